import Packets

/// How a trace's probes are carried.
public enum TraceMethod: String, CaseIterable, Sendable {
    case tcp, icmp, udp
}

/// Why a trace plan is refused. Each description is one sentence for the user.
public enum TracePlanError: Error, Hashable, Sendable, CustomStringConvertible {
    case ttlOutOfRange(name: String, value: Int)
    case ttlOrder(first: Int, max: Int)
    case queriesOutOfRange(Int)
    case negativeStartIndex(Int)
    case probe(ProbeBuildError)

    public var description: String {
        switch self {
        case let .ttlOutOfRange(name, value):
            return "the \(name) TTL \(value) is outside 1...255"
        case let .ttlOrder(first, max):
            return "the first TTL \(first) is above the maximum TTL \(max)"
        case let .queriesOutOfRange(n):
            return "\(n) queries per TTL is outside 1...10"
        case let .negativeStartIndex(n):
            return "the start index \(n) is negative"
        case let .probe(error):
            return error.description
        }
    }
}

/// A Paris traceroute (Augustin et al., IMC 2006) with every TTL in flight at once (Yarrp):
/// all probes share one flow identifier so per-flow load balancers keep them on one path,
/// and each carries a distinct per-probe identifier so every answer is told apart.
///
/// Flow identifier, constant: the 5-tuple for TCP and UDP; for ICMP the echo identifier
/// (`sourcePort` serves as it) and the checksum, which balancers hash as the first transport
/// bytes. Per-probe identifier: the TCP sequence number, the UDP checksum or the ICMP
/// sequence number, and the IPv4 IP ID (IPv6 has none; its flow label stays constant).
public struct TracePlan: Sendable {
    public let method: TraceMethod
    public let builder: ProbeBuilder
    public let destinationPort: UInt16
    public let sourcePort: UInt16
    public let shape: TCPProbeShape
    public let firstTTL: Int
    public let maxTTL: Int
    public let queries: Int
    public let seed: UInt32

    /// Payload bytes of ICMP and UDP probes: 60-byte IPv4 (80-byte IPv6) packets, the
    /// traceroute default.
    public static let payloadSize = 32
    /// Odd, so index ↦ index × step is a bijection modulo 2³²: sequence numbers never repeat
    /// within 2³² probes and neighbours are far apart (an ack of seq + 1 + n cannot hit another probe).
    static let sequenceStep: UInt32 = 0x9E37_79B9

    /// `destinationPort` defaults to 80 for TCP and 33434 for UDP (ignored for ICMP); `shape`
    /// (TCP only) to the `mss` SYN variant as `traceroute -T` sends it.
    public init(method: TraceMethod, source: IPAddress, destination: IPAddress, destinationPort: UInt16? = nil,
                sourcePort: UInt16, shape: TCPProbeShape? = nil,
                firstTTL: Int = 1, maxTTL: Int = 30, queries: Int = 1, seed: UInt32) throws(TracePlanError) {
        guard (1...255).contains(firstTTL) else { throw .ttlOutOfRange(name: "first", value: firstTTL) }
        guard (1...255).contains(maxTTL) else { throw .ttlOutOfRange(name: "maximum", value: maxTTL) }
        guard firstTTL <= maxTTL else { throw .ttlOrder(first: firstTTL, max: maxTTL) }
        guard (1...10).contains(queries) else { throw .queriesOutOfRange(queries) }
        do {
            builder = try ProbeBuilder(source: source, destination: destination)
            let shape = shape ?? .variant(.mss, ipv6: builder.isIPv6)
            if method == .tcp { try shape.validate(ipv6: builder.isIPv6) }
            self.shape = shape
        } catch {
            throw .probe(error)
        }
        self.method = method
        self.destinationPort = destinationPort ?? (method == .udp ? 33434 : 80)
        self.sourcePort = sourcePort
        self.firstTTL = firstTTL
        self.maxTTL = maxTTL
        self.queries = queries
        self.seed = seed
    }

    /// Number of probes: TTLs × queries.
    public var count: Int { (maxTTL - firstTTL + 1) * queries }

    /// The ICMP checksum every probe of an ICMP plan carries: from the seed, never 0xFFFF
    /// (which a computed checksum cannot be).
    public var icmpChecksum: UInt16 { UInt16(truncatingIfNeeded: seed >> 16) % 0xFFFF }

    /// The per-probe identifier of the probe at `offset` from the first (0-based), in 1...65535:
    /// distinct for up to 65535 probes (a plan has at most 2550). Used as UDP checksum (never
    /// 0) and IP ID.
    func probeIdentifier(_ offset: Int, salt: UInt32) -> UInt16 {
        let base = Int((seed ^ salt) % 65535)
        return UInt16(1 + (base + offset) % 65535)
    }

    /// TTL firstTTL...maxTTL, each `queries` times, TTL-major, indices from `startIndex`.
    public func probes(startIndex: Int = 0) throws(TracePlanError) -> [Probe] {
        guard startIndex >= 0 else { throw .negativeStartIndex(startIndex) }
        var out: [Probe] = []
        out.reserveCapacity(count)
        var offset = 0
        for ttl in firstTTL...maxTTL {
            for _ in 0..<queries {
                do {
                    out.append(try probe(offset: offset, index: startIndex + offset, ttl: UInt8(ttl)))
                } catch {
                    throw .probe(error)
                }
                offset += 1
            }
        }
        return out
    }

    private func probe(offset: Int, index: Int, ttl: UInt8) throws(ProbeBuildError) -> Probe {
        let ipID = probeIdentifier(offset, salt: 0x5A5A_0000)
        switch method {
        case .tcp:
            let sequence = seed &+ UInt32(truncatingIfNeeded: offset) &* TracePlan.sequenceStep
            return try builder.tcp(index: index, shape: shape, sourcePort: sourcePort, destinationPort: destinationPort,
                                   sequence: sequence, ttl: ttl, ipID: ipID)
        case .udp:
            return try builder.udp(index: index, sourcePort: sourcePort, destinationPort: destinationPort,
                                   payload: [UInt8](repeating: 0, count: TracePlan.payloadSize), ttl: ttl, ipID: ipID,
                                   checksum: probeIdentifier(offset, salt: 0))
        case .icmp:
            let sequence = UInt16(truncatingIfNeeded: Int(seed & 0xFFFF) + offset)
            return try builder.icmpEcho(index: index, identifier: sourcePort, sequence: sequence,
                                        payloadSize: TracePlan.payloadSize, ttl: ttl, ipID: ipID,
                                        constantChecksum: icmpChecksum)
        }
    }
}
