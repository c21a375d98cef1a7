import Packets
import Probing

/// What a sweep sends: TCP SYNs, ICMP echo requests or UDP datagrams.
public enum SweepProtocol: String, Sendable, CaseIterable {
    case tcp, icmp, udp

    /// The IP protocol number (IPv6 next header) of its probes.
    func number(ipv6: Bool) -> UInt8 {
        switch self {
        case .tcp: return 6
        case .udp: return 17
        case .icmp: return ipv6 ? 58 : 1
        }
    }
}

/// The sweep's probe module (the ZMap way): one probe per (target, probe number), built from
/// a template per variant as it is sent; its identifiers are a keyed hash of the flow (TCP:
/// source port and sequence number; ICMP: echo identifier and sequence; UDP: source port),
/// so an answer is validated by recomputing the hash, without a table.
public struct SweepProbe: Sendable {
    public struct Variant: Sendable {
        public enum Shape: Sendable {
            case syn(TCPProbeShape)
            /// An echo request with this many zero bytes of payload.
            case echo(payloadSize: Int)
            /// A datagram with this payload; `echo`: where it carries the probe's hash, which
            /// the service's reply echoes (the payload holds zeros there).
            case datagram([UInt8], echo: PayloadEcho? = nil)

            var sweepProtocol: SweepProtocol {
                switch self {
                case .syn: return .tcp
                case .echo: return .icmp
                case .datagram: return .udp
                }
            }
        }

        public var name: String
        public var shape: Shape

        public init(name: String, shape: Shape) {
            self.name = name
            self.shape = shape
        }

        public init(name: String, shape: TCPProbeShape) { self.init(name: name, shape: .syn(shape)) }
    }

    public let sweepProtocol: SweepProtocol
    public let source: IPAddress
    /// The destination port; 0 for ICMP.
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
        /// One's-complement sums of the template with destination, identifiers (and IPv4 ID)
        /// zero: the per-probe checksums add only what changes.
        var transportSum: UInt32
        var ipSum: UInt32
        var ipHeaderLength: Int
        /// A UDP payload's hash field: its offset in the packet (even) and the field.
        var echoOffset = 0
        var echo: PayloadEcho?
    }

    public init(source: IPAddress, port: UInt16, variants: [Variant], repeats: Int, key: SipHashKey, ttl: UInt8 = 64) throws(ProbeBuildError) {
        precondition(!variants.isEmpty && repeats >= 1)
        let kind = variants[0].shape.sweepProtocol
        precondition(variants.allSatisfy { $0.shape.sweepProtocol == kind }, "one protocol per sweep")
        self.sweepProtocol = kind
        self.source = source
        self.port = kind == .icmp ? 0 : port
        self.variants = variants
        self.probesPerTarget = variants.count * repeats
        self.key = key
        self.ttl = ttl
        if case .v4 = source { isIPv4 = true } else { isIPv4 = false }
        let zero: IPAddress = isIPv4 ? .v4(IPv4Address(0)) : .v6(IPv6Address(high: 0, low: 0))
        let builder = try ProbeBuilder(source: source, destination: zero)
        var templates: [Template] = []
        for v in variants {
            let probe: Probe
            switch v.shape {
            case .syn(let shape):
                probe = try builder.tcp(index: 0, shape: shape, sourcePort: 0, destinationPort: port, sequence: 0, ttl: ttl, ipID: 0)
            case .echo(let size):
                probe = try builder.icmpEcho(index: 0, identifier: 0, sequence: 0, payloadSize: size, ttl: ttl, ipID: 0)
            case .datagram(let payload, _):
                probe = try builder.udp(index: 0, sourcePort: 0, destinationPort: port, payload: payload, ttl: ttl, ipID: 0)
            }
            var bytes = probe.bytes
            let ihl = isIPv4 ? Int(bytes[0] & 0xF) * 4 : 40
            let checksum = ihl + Self.checksumOffset(kind)
            var stored = UInt16(bytes[checksum]) << 8 | UInt16(bytes[checksum + 1])
            // A UDP checksum computed as 0 is sent as 0xFFFF (RFC 768): the sum is 0 either way.
            if kind == .udp, stored == 0xFFFF { stored = 0 }
            var ipSum: UInt32 = 0
            if isIPv4 {
                let storedIP = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
                ipSum = UInt32(~storedIP)
                bytes[10] = 0; bytes[11] = 0
            }
            bytes[checksum] = 0; bytes[checksum + 1] = 0
            var template = Template(bytes: bytes, transportSum: UInt32(~stored), ipSum: ipSum, ipHeaderLength: ihl)
            if case .datagram(_, let echo?) = v.shape {
                template.echo = echo
                template.echoOffset = ihl + 8 + echo.requestOffset
            }
            templates.append(template)
        }
        self.templates = templates
        sourceKey = Self.key(source)
    }

    /// Where the transport checksum sits in the transport header.
    static func checksumOffset(_ kind: SweepProtocol) -> Int {
        switch kind {
        case .tcp: return 16
        case .udp: return 6
        case .icmp: return 2
        }
    }

    public var maximumPacketLength: Int { templates.map(\.bytes.count).max() ?? 0 }

    /// The variant a probe number sends.
    public func variant(ofProbe p: Int) -> Int { p % variants.count }

    /// TCP: source port and sequence number; UDP: the source port; ICMP: `sequence` is the
    /// echo identifier (high half) and sequence number (low half). The IPv4 ID is hashed too.
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
        var sum = t.transportSum
        let ihl = t.ipHeaderLength
        // The destination enters the pseudo-header of TCP, UDP and ICMPv6, not ICMPv4's sum.
        let pseudo = sweepProtocol != .icmp || !isIPv4
        if isIPv4 {
            let d = UInt32(truncatingIfNeeded: target)
            put32(p + 16, d)
            put16(p + 4, ipID)
            if pseudo { sum += d >> 16 + d & 0xFFFF }
            let ip = t.ipSum + d >> 16 + d & 0xFFFF + UInt32(ipID)
            put16(p + 10, ~fold(ip))
        } else {
            let hi = UInt64(target >> 64), lo = UInt64(truncatingIfNeeded: target)
            put64(p + 24, hi)
            put64(p + 32, lo)
            sum += UInt32(hi >> 48) + UInt32(hi >> 32 & 0xFFFF) + UInt32(hi >> 16 & 0xFFFF) + UInt32(hi & 0xFFFF)
            sum += UInt32(lo >> 48) + UInt32(lo >> 32 & 0xFFFF) + UInt32(lo >> 16 & 0xFFFF) + UInt32(lo & 0xFFFF)
        }
        switch sweepProtocol {
        case .tcp:
            put16(p + ihl, sport)
            put32(p + ihl + 4, seq)
            sum += UInt32(sport) + seq >> 16 + seq & 0xFFFF
            put16(p + ihl + 16, ~fold(sum))
        case .icmp:
            put32(p + ihl + 4, seq)
            sum += seq >> 16 + seq & 0xFFFF
            put16(p + ihl + 2, ~fold(sum))
        case .udp:
            put16(p + ihl, sport)
            sum += UInt32(sport)
            if let echo = t.echo {
                if echo.length == 2 {
                    let id = UInt16(truncatingIfNeeded: seq)
                    put16(p + t.echoOffset, id)
                    sum += UInt32(id)
                } else {
                    put32(p + t.echoOffset, seq)
                    sum += seq >> 16 + seq & 0xFFFF
                }
            }
            let c = ~fold(sum)
            put16(p + ihl + 6, c == 0 ? 0xFFFF : c)
        }
        return t.bytes.count
    }

    /// The probe number an answer's identifiers belong to, nil when no probe to `target`
    /// carried them. `sequence` nil: only the source port is known (an RST without ACK, UDP).
    @inline(__always)
    func probeNumber(target: UInt128, sourcePort: UInt16, sequence: UInt32?) -> Int? {
        for p in 0..<probesPerTarget {
            let id = identifiers(target: target, probe: p)
            if id.sourcePort == sourcePort, sequence == nil || id.sequence == sequence { return p }
        }
        return nil
    }

    /// The probe number of an echo whose identifier and sequence are `word`.
    @inline(__always)
    func probeNumber(target: UInt128, echo word: UInt32) -> Int? {
        for p in 0..<probesPerTarget where identifiers(target: target, probe: p).sequence == word { return p }
        return nil
    }

    static func key(_ a: IPAddress) -> UInt128 {
        switch a {
        case .v4(let v): return UInt128(v.value)
        case .v6(let v): return UInt128(v.high) << 64 | UInt128(v.low)
        }
    }
}

/// Where a datagram's payload carries the probe's hash, and where the service's reply echoes
/// it: the DNS message ID, the first four bytes of a STUN transaction ID, the first four of a
/// QUIC destination connection ID (a Version Negotiation returns it as its source ID).
public enum PayloadEcho: Sendable {
    case dnsID, stunTransaction, quicConnectionID

    /// Offset in the request's payload; an even number of bytes into the UDP header.
    var requestOffset: Int {
        switch self {
        case .dnsID: return 0
        case .stunTransaction: return 8
        case .quicConnectionID: return 6
        }
    }

    var length: Int { self == .dnsID ? 2 : 4 }

    /// Whether the reply's payload (`b[start..<end]`) echoes `word` (the probe's hash bits).
    func echoed(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ word: UInt32) -> Bool {
        func u16(_ i: Int) -> UInt32 { UInt32(b[i]) << 8 | UInt32(b[i + 1]) }
        switch self {
        case .dnsID:
            return end - start >= 12 && u16(start) == word & 0xFFFF
        case .stunTransaction:
            return end - start >= 20 && u16(start + 8) << 16 | u16(start + 10) == word
        case .quicConnectionID:
            // Long header: flags, version, DCID length and DCID, SCID length and SCID.
            guard end - start >= 7, b[start] & 0x80 != 0 else { return false }
            let scidLength = start + 6 + Int(b[start + 5])
            guard scidLength < end, b[scidLength] >= 4, scidLength + 5 <= end else { return false }
            return u16(scidLength + 1) << 16 | u16(scidLength + 3) == word
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
