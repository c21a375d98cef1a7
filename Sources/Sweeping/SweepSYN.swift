import Packets
import Probing

/// The sweep's probe module (the ZMap way): one SYN per (target, probe number), built from a
/// template per variant as it is sent; its identifiers (source port and sequence number)
/// are a keyed hash of the flow, so an answer is validated by recomputing the hash.
public struct SweepSYN: Sendable {
    public struct Variant: Sendable {
        public var name: String
        public var shape: TCPProbeShape

        public init(name: String, shape: TCPProbeShape) {
            self.name = name
            self.shape = shape
        }
    }

    public let source: IPAddress
    public let port: UInt16
    public let variants: [Variant]
    /// Probes per target: every variant, `repeats` times.
    public let probesPerTarget: Int
    public let key: SipHashKey
    public let ttl: UInt8
    public let isIPv4: Bool
    /// Source ports are drawn from `portBase ..< portBase + portCount` (the Linux ephemeral range).
    public let portBase: UInt16 = 32768
    public let portCount: UInt16 = 28232
    let templates: [Template]
    let sourceKey: UInt128

    struct Template: Sendable {
        var bytes: [UInt8]
        /// One's-complement sums of the template with destination, source port, sequence
        /// (and IPv4 ID) zero: the per-probe checksums add only what changes.
        var tcpSum: UInt32
        var ipSum: UInt32
        var ipHeaderLength: Int
    }

    public init(source: IPAddress, port: UInt16, variants: [Variant], repeats: Int, key: SipHashKey, ttl: UInt8 = 64) throws {
        precondition(!variants.isEmpty && repeats >= 1)
        self.source = source
        self.port = port
        self.variants = variants
        self.probesPerTarget = variants.count * repeats
        self.key = key
        self.ttl = ttl
        if case .v4 = source { isIPv4 = true } else { isIPv4 = false }
        let zero: IPAddress = isIPv4 ? .v4(IPv4Address(0)) : .v6(IPv6Address(high: 0, low: 0))
        let builder = try ProbeBuilder(source: source, destination: zero)
        var templates: [Template] = []
        for v in variants {
            let probe = try builder.tcp(index: 0, shape: v.shape, sourcePort: 0, destinationPort: port, sequence: 0, ttl: ttl, ipID: 0)
            var bytes = probe.bytes
            let ihl = isIPv4 ? Int(bytes[0] & 0xF) * 4 : 40
            let tcpChecksum = ihl + 16
            let storedTCP = UInt16(bytes[tcpChecksum]) << 8 | UInt16(bytes[tcpChecksum + 1])
            var ipSum: UInt32 = 0
            if isIPv4 {
                let storedIP = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
                ipSum = UInt32(~storedIP)
                bytes[10] = 0; bytes[11] = 0
            }
            bytes[tcpChecksum] = 0; bytes[tcpChecksum + 1] = 0
            templates.append(Template(bytes: bytes, tcpSum: UInt32(~storedTCP), ipSum: ipSum, ipHeaderLength: ihl))
        }
        self.templates = templates
        sourceKey = Self.key(source)
    }

    public var maximumPacketLength: Int { templates.map(\.bytes.count).max() ?? 0 }

    /// The variant a probe number sends.
    public func variant(ofProbe p: Int) -> Int { p % variants.count }

    @inline(__always)
    func identifiers(target: UInt128, probe: Int) -> (sourcePort: UInt16, sequence: UInt32, ipID: UInt16) {
        let h = key.hash(UInt64(target >> 64), UInt64(truncatingIfNeeded: target), UInt64(port) | UInt64(probe) << 16)
        return (portBase &+ UInt16((h >> 32) % UInt64(portCount)), UInt32(truncatingIfNeeded: h), UInt16(truncatingIfNeeded: h >> 48))
    }

    /// Writes probe `probe` to `target` at `out` (room for `maximumPacketLength` bytes);
    /// returns its length. Checksums are complete (the IPv4 header's too, for AF_PACKET).
    @inline(__always)
    func write(target: UInt128, probe: Int, into out: UnsafeMutableRawPointer) -> Int {
        let t = templates[probe % templates.count]
        let (sport, seq, ipID) = identifiers(target: target, probe: probe)
        t.bytes.withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let p = out.assumingMemoryBound(to: UInt8.self)
        var tcp = t.tcpSum
        let ihl = t.ipHeaderLength
        if isIPv4 {
            let d = UInt32(truncatingIfNeeded: target)
            put32(p + 16, d)
            put16(p + 4, ipID)
            tcp += d >> 16 + d & 0xFFFF
            let ip = t.ipSum + d >> 16 + d & 0xFFFF + UInt32(ipID)
            put16(p + 10, ~fold(ip))
        } else {
            let hi = UInt64(target >> 64), lo = UInt64(truncatingIfNeeded: target)
            put64(p + 24, hi)
            put64(p + 32, lo)
            tcp += UInt32(hi >> 48) + UInt32(hi >> 32 & 0xFFFF) + UInt32(hi >> 16 & 0xFFFF) + UInt32(hi & 0xFFFF)
            tcp += UInt32(lo >> 48) + UInt32(lo >> 32 & 0xFFFF) + UInt32(lo >> 16 & 0xFFFF) + UInt32(lo & 0xFFFF)
        }
        put16(p + ihl, sport)
        put32(p + ihl + 4, seq)
        tcp += UInt32(sport) + seq >> 16 + seq & 0xFFFF
        put16(p + ihl + 16, ~fold(tcp))
        return t.bytes.count
    }

    /// The probe number an answer's identifiers belong to, nil when no probe to `target`
    /// carried them. `sequence` nil: only the source port is known (an RST without ACK).
    @inline(__always)
    func probeNumber(target: UInt128, sourcePort: UInt16, sequence: UInt32?) -> Int? {
        for p in 0..<probesPerTarget {
            let id = identifiers(target: target, probe: p)
            if id.sourcePort == sourcePort, sequence == nil || id.sequence == sequence { return p }
        }
        return nil
    }

    static func key(_ a: IPAddress) -> UInt128 {
        switch a {
        case .v4(let v): return UInt128(v.value)
        case .v6(let v): return UInt128(v.high) << 64 | UInt128(v.low)
        }
    }
}

@inline(__always) func fold(_ s: UInt32) -> UInt16 {
    var s = s
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return UInt16(s)
}

@inline(__always) func put16(_ p: UnsafeMutablePointer<UInt8>, _ v: UInt16) {
    p[0] = UInt8(v >> 8); p[1] = UInt8(truncatingIfNeeded: v)
}

@inline(__always) func put32(_ p: UnsafeMutablePointer<UInt8>, _ v: UInt32) {
    put16(p, UInt16(v >> 16)); put16(p + 2, UInt16(truncatingIfNeeded: v))
}

@inline(__always) func put64(_ p: UnsafeMutablePointer<UInt8>, _ v: UInt64) {
    put32(p, UInt32(v >> 32)); put32(p + 4, UInt32(truncatingIfNeeded: v))
}
