import Packets

/// Why a probe cannot be built as asked. Each description is one sentence for the user.
public enum ProbeBuildError: Error, Hashable, Sendable, CustomStringConvertible {
    case addressFamilyMismatch(source: IPAddress, destination: IPAddress)
    case optionsTooLong(bytes: Int)
    case sizeBelowNatural(size: Int, natural: Int)
    case sizeTooLarge(size: Int)
    case packetTooLarge(length: Int)
    case negativePayloadSize(Int)
    case zeroUDPChecksum
    case unreachableICMPChecksum
    case payloadTooShortForChecksum(payloadSize: Int)
    case transactionIDLength(Int)
    case invalidDNSName(String)
    /// Defensive: the serialised packet did not read back as built (a bug, never input).
    case inconsistentPacket(String)

    public var description: String {
        switch self {
        case let .addressFamilyMismatch(s, d):
            return "the source \(s) and the destination \(d) are not of the same address family"
        case let .optionsTooLong(bytes):
            return "the TCP options take \(bytes) bytes, more than the 40 a TCP header can hold"
        case let .sizeBelowNatural(size, natural):
            return "size \(size) is smaller than the \(natural) bytes this probe takes without padding"
        case let .sizeTooLarge(size):
            return "size \(size) is larger than 65535, the largest IP packet"
        case let .packetTooLarge(length):
            return "the probe would be \(length) bytes long, more than 65535, the largest IP packet"
        case let .negativePayloadSize(n):
            return "payload size \(n) is negative"
        case .zeroUDPChecksum:
            return "a UDP checksum of 0 cannot be requested because 0 means \"no checksum\" in IPv4"
        case .unreachableICMPChecksum:
            return "ICMP checksum 0xffff cannot be produced because a computed checksum over non-zero data is never 0xffff"
        case let .payloadTooShortForChecksum(n):
            return "a constant ICMP checksum needs at least 2 payload bytes to adjust, but the payload size is \(n)"
        case let .transactionIDLength(n):
            return "a STUN transaction ID is 12 bytes long, not \(n)"
        case let .invalidDNSName(name):
            return "\"\(name)\" is not a valid DNS name (labels of 1 to 63 bytes, 255 bytes in all)"
        case let .inconsistentPacket(reason):
            return "the built packet does not read back as built: \(reason)"
        }
    }
}

/// Builds probes from one source to one destination. Each probe kind adds its builder
/// method in its own file (`Kinds/TCPKind.swift`, `Kinds/ICMPEchoKind.swift`, …); this file holds
/// what they share: the IP header and the final serialise-and-read-back step.
public struct ProbeBuilder: Sendable {
    /// The two addresses, of one family by construction.
    private enum Endpoints: Sendable {
        case v4(IPv4Address, IPv4Address)
        case v6(IPv6Address, IPv6Address)
    }
    private let endpoints: Endpoints
    /// DF for the ICMP and UDP probes (TCP probes take theirs from the shape). Linux ping
    /// and Paris traceroute set it.
    public var dontFragment: Bool = true
    /// IPv4 TOS / IPv6 traffic class for the ICMP and UDP probes.
    public var tos: UInt8 = 0
    /// IPv6 flow label of every probe. Constant, so that flow-label hashing routers keep
    /// a Paris trace on one path.
    public var flowLabel: UInt32 = 0

    /// Throws `addressFamilyMismatch` unless both addresses are IPv4 or both IPv6.
    public init(source: IPAddress, destination: IPAddress) throws(ProbeBuildError) {
        switch (source, destination) {
        case let (.v4(s), .v4(d)): endpoints = .v4(s, d)
        case let (.v6(s), .v6(d)): endpoints = .v6(s, d)
        default: throw .addressFamilyMismatch(source: source, destination: destination)
        }
    }

    public var source: IPAddress {
        switch endpoints {
        case .v4(let s, _): return .v4(s)
        case .v6(let s, _): return .v6(s)
        }
    }

    public var destination: IPAddress {
        switch endpoints {
        case .v4(_, let d): return .v4(d)
        case .v6(_, let d): return .v6(d)
        }
    }

    /// True when the probes are IPv6.
    public var isIPv6: Bool {
        if case .v6 = endpoints { return true }
        return false
    }

    /// Bytes of the IP header every probe of this builder carries (no options, no extension headers).
    public var ipHeaderLength: Int { isIPv6 ? 40 : 20 }

    /// The network header for a probe. IPv6 has no IP ID: `ipID` is ignored there.
    func networkHeader(proto: UInt8, ttl: UInt8, ipID: UInt16, tos: UInt8, dontFragment: Bool) -> NetworkHeader {
        switch endpoints {
        case let .v4(s, d):
            return .v4(IPv4Header(tos: tos, identification: ipID, flags: dontFragment ? .dontFragment : [],
                                  ttl: ttl, proto: proto, source: s, destination: d))
        case let .v6(s, d):
            return .v6(IPv6Header(trafficClass: tos, flowLabel: flowLabel, nextHeader: proto, hopLimit: ttl,
                                  source: s, destination: d))
        }
    }

    /// The raw Internet checksum of `transport` under `header` with the checksum field as
    /// stored, the pseudo-header included where the protocol has one (TCP, UDP, ICMPv6).
    static func rawChecksum(_ transport: TransportLayer, under header: NetworkHeader) -> UInt16 {
        let l4 = IPPacket(header: header, transport: transport).transportBytes()
        if case .icmp(let m) = transport, m.family == .v4 { return InternetChecksum.compute(l4) }
        return InternetChecksum.transport(l4, proto: header.upperLayerProtocol, header: header)
    }

    /// Serialises with lengths and checksums filled and reads the bytes back, so that
    /// `Probe.packet` is exactly what a capture of the probe decodes to (padding options
    /// read back as end-of-list plus trailing bytes, for instance).
    func finish(index: Int, module: String, label: String, header: NetworkHeader,
                transport: TransportLayer) throws(ProbeBuildError) -> Probe {
        let built = IPPacket(header: header, transport: transport)
        let l4Length = built.transportBytes().count
        let total = header.headerLength + l4Length
        guard total <= 65535 else { throw .packetTooLarge(length: total) }
        let bytes = built.serialized()
        let parsed: IPPacket
        do { parsed = try IPPacket.parse(bytes) } catch { throw .inconsistentPacket(error.description) }
        guard parsed.transportChecksumIsValid == true else { throw .inconsistentPacket("transport checksum is wrong") }
        guard parsed.transport.tcp != nil || parsed.transport.udp != nil || parsed.transport.icmp != nil else {
            throw .inconsistentPacket("transport header did not decode")
        }
        return Probe(index: index, module: module, label: label, packet: parsed, bytes: bytes)
    }
}

/// The one's-complement arithmetic of RFC 1624 that Paris traceroute uses to hold a
/// checksum at a chosen value: two payload bytes are chosen to compensate for the rest.
enum ChecksumCompensation {
    /// The word to put in a zeroed, 16-bit-aligned slot of a message whose checksum with
    /// the slot zero is `current`, so that the checksum becomes `target`.
    /// checksum = ~(S ⊕ w) with S = ~current, so w = ~target ⊕ current (⊕: one's-complement
    /// addition). `target` 0xFFFF would need S ⊕ w = 0, which a non-zero sum never gives.
    static func word(current: UInt16, target: UInt16) -> UInt16? {
        guard target != 0xFFFF else { return nil }
        let s = UInt32(~target) + UInt32(current)
        return UInt16(truncatingIfNeeded: (s & 0xFFFF) + (s >> 16))
    }

    /// Writes `word` big-endian at `offset` of `bytes` (which must hold two bytes there).
    static func store(_ word: UInt16, in bytes: inout [UInt8], at offset: Int) {
        guard offset >= 0, offset + 1 < bytes.count else { return }
        bytes[offset] = UInt8(truncatingIfNeeded: word >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: word)
    }
}
