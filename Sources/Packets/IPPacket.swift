/// The network-layer header of a packet.
public enum NetworkHeader: Hashable, Sendable {
    case v4(IPv4Header)
    case v6(IPv6Header)

    public var source: IPAddress {
        switch self {
        case .v4(let h): return .v4(h.source)
        case .v6(let h): return .v6(h.source)
        }
    }
    public var destination: IPAddress {
        switch self {
        case .v4(let h): return .v4(h.destination)
        case .v6(let h): return .v6(h.destination)
        }
    }
    /// TTL for IPv4, hop limit for IPv6.
    public var ttl: UInt8 {
        switch self {
        case .v4(let h): return h.ttl
        case .v6(let h): return h.hopLimit
        }
    }
    /// The protocol carried above IP (after IPv6 extension headers).
    public var upperLayerProtocol: UInt8 {
        switch self {
        case .v4(let h): return h.proto
        case .v6(let h): return h.upperLayerProtocol
        }
    }
    public var headerLength: Int {
        switch self {
        case .v4(let h): return h.headerLength
        case .v6(let h): return h.headerLength
        }
    }
}

/// What follows the IP header(s).
public enum TransportLayer: Hashable, Sendable {
    case tcp(TCPSegment)
    case udp(UDPDatagram)
    case icmp(ICMPMessage)
    /// Fewer than 20 bytes of TCP, as in most ICMP quotes.
    case tcpPrefix(TCPHeaderPrefix)
    /// A fragment other than the first: no transport header in it.
    case fragment(proto: UInt8, payload: ArraySlice<UInt8>)
    /// A header that could not be decoded; the bytes are kept.
    indirect case malformed(proto: UInt8, error: PacketError, payload: ArraySlice<UInt8>)   // boxed: rare, and keeps the enum small
    /// A protocol we do not decode.
    case other(proto: UInt8, payload: ArraySlice<UInt8>)

    public var tcp: TCPSegment? { if case .tcp(let t) = self { return t }; return nil }
    public var udp: UDPDatagram? { if case .udp(let u) = self { return u }; return nil }
    public var icmp: ICMPMessage? { if case .icmp(let i) = self { return i }; return nil }
}

/// An IP packet: header and decoded transport.
public struct IPPacket: Hashable, Sendable {
    public var header: NetworkHeader
    public var transport: TransportLayer
    /// Fewer bytes were present than the IP header's length fields announce
    /// (a snap length, or an ICMP quote).
    public var isTruncated: Bool

    public init(header: NetworkHeader, transport: TransportLayer, isTruncated: Bool = false) {
        self.header = header
        self.transport = transport
        self.isTruncated = isTruncated
    }

    public init(_ header: IPv4Header, _ transport: TransportLayer) {
        self.init(header: .v4(header), transport: transport)
    }

    public init(_ header: IPv6Header, _ transport: TransportLayer) {
        self.init(header: .v6(header), transport: transport)
    }

    public var source: IPAddress { header.source }
    public var destination: IPAddress { header.destination }

    /// Parses an IP packet of either version. Bytes past the IP length (Ethernet padding)
    /// are ignored. Only an unreadable IP header is an error: a bad transport header
    /// becomes `.malformed`, a short one `.tcpPrefix` or `.malformed`.
    /// With `quoted`, an inconsistent IPv4 total length is tolerated (routers rewrite it).
    public static func parse(_ bytes: ArraySlice<UInt8>, quoted: Bool = false) throws(PacketError) -> IPPacket {
        guard let first = bytes.first else { throw .truncated(layer: "IP header", needed: 20, available: 0) }
        switch first >> 4 {
        case 4:
            let h: IPv4Header
            if quoted, bytes.count >= 4, bytes.u16(2) < UInt16(bytes.u8(0) & 0xF) * 4 {
                var copy = Array(bytes)
                copy.setU16(UInt16(clamping: copy.count), at: 2)
                h = try IPv4Header.parse(copy[...])
            } else {
                h = try IPv4Header.parse(bytes)
            }
            let hl = h.headerLength
            let end = min(Int(h.totalLength), bytes.count)
            let truncated = Int(h.totalLength) > bytes.count
            let payload = bytes.sub(hl, max(0, end - hl))
            if h.fragmentOffset != 0 {
                return IPPacket(header: .v4(h), transport: .fragment(proto: h.proto, payload: payload), isTruncated: truncated)
            }
            return IPPacket(header: .v4(h), transport: decodeTransport(h.proto, payload, family: .v4), isTruncated: truncated)
        case 6:
            let h = try IPv6Header.parse(bytes)
            let hl = h.headerLength
            let declared = 40 + Int(h.payloadLength)
            let end = h.payloadLength == 0 ? bytes.count : min(declared, bytes.count)
            let truncated = h.payloadLength != 0 && declared > bytes.count
            let payload = bytes.sub(hl, max(0, end - hl))
            let proto = h.upperLayerProtocol
            if let f = h.fragment, f.offset != 0 {
                return IPPacket(header: .v6(h), transport: .fragment(proto: proto, payload: payload), isTruncated: truncated)
            }
            if IPv6ExtensionHeader.isExtension(proto) {   // chain cut short
                return IPPacket(header: .v6(h), transport: .malformed(
                    proto: proto, error: .truncated(layer: "IPv6 extension header", needed: 8, available: payload.count),
                    payload: payload), isTruncated: truncated)
            }
            return IPPacket(header: .v6(h), transport: decodeTransport(proto, payload, family: .v6), isTruncated: truncated)
        default:
            throw .invalid(layer: "IP header", reason: "version is \(first >> 4), neither 4 nor 6")
        }
    }

    public static func parse(_ bytes: [UInt8]) throws(PacketError) -> IPPacket {
        try parse(bytes[...])
    }

    static func decodeTransport(_ proto: UInt8, _ payload: ArraySlice<UInt8>, family: ICMPMessage.Family) -> TransportLayer {
        do {
            switch proto {
            case 6:
                if payload.count < 20, payload.count >= 4 { return .tcpPrefix(TCPHeaderPrefix(slice: payload)) }
                return .tcp(try TCPSegment.parse(payload))
            case 17:
                return .udp(try UDPDatagram.parse(payload, jumbogram: family == .v6))
            case 1 where family == .v4, 58 where family == .v6:
                return .icmp(try ICMPMessage.parse(payload, family: family))
            default:
                return .other(proto: proto, payload: payload)
            }
        } catch {
            if proto == 6, case .truncated = error, payload.count >= 4 {
                return .tcpPrefix(TCPHeaderPrefix(slice: payload.prefix(20)))
            }
            return .malformed(proto: proto, error: error, payload: payload)
        }
    }

    // MARK: - Building

    /// The transport bytes with the stored checksum.
    public func transportBytes() -> [UInt8] {
        var out: [UInt8] = []
        switch transport {
        case .tcp(let t): out.reserveCapacity(t.headerLength + t.payload.count); t.write(into: &out)
        case .udp(let u): u.write(into: &out)
        case .icmp(let i): i.write(into: &out)
        case .tcpPrefix(let p): out = Array(p.bytes)
        case .fragment(_, let p), .malformed(_, _, let p), .other(_, let p): out.append(contentsOf: p)
        }
        return out
    }

    /// Offset of the checksum in the transport header, and whether a pseudo-header covers it.
    private var checksumField: (offset: Int, pseudo: Bool)? {
        switch transport {
        case .tcp: return (16, true)
        case .udp: return (6, true)
        case .icmp(let m): return (2, m.family == .v6)
        default: return nil
        }
    }

    /// The packet on the wire. `fillLengths` sets IP and UDP length fields from the content;
    /// `fillChecksums` computes the IPv4 header and transport checksums. With both off the
    /// stored values are written, which reproduces a parsed packet byte for byte.
    public func serialized(fillLengths: Bool = true, fillChecksums: Bool = true) -> [UInt8] {
        var packet = self
        if fillLengths, case .udp(var u) = packet.transport {
            u.length = UInt16(truncatingIfNeeded: 8 + u.payload.count)
            packet.transport = .udp(u)
        }
        var l4 = packet.transportBytes()
        let proto = header.upperLayerProtocol
        if fillChecksums, let field = packet.checksumField, l4.count >= field.offset + 2 {
            l4.setU16(0, at: field.offset)
            var sum = field.pseudo
                ? InternetChecksum.transport(l4, proto: proto, header: packet.header)
                : InternetChecksum.compute(l4)
            if case .udp = packet.transport, sum == 0 { sum = 0xFFFF }  // 0 means "no checksum" in UDP
            l4.setU16(sum, at: field.offset)
        }
        var out: [UInt8] = []
        switch packet.header {
        case .v4(var h):
            out.reserveCapacity(h.headerLength + l4.count)
            if fillLengths { h.totalLength = UInt16(truncatingIfNeeded: h.headerLength + l4.count) }
            h.write(into: &out, fillChecksum: fillChecksums)
        case .v6(var h):
            out.reserveCapacity(h.headerLength + l4.count)
            if fillLengths { h.payloadLength = UInt16(truncatingIfNeeded: h.headerLength - 40 + l4.count) }
            h.write(into: &out)
        }
        out.append(contentsOf: l4)
        return out
    }

    // MARK: - Validation

    /// Whether the IPv4 header checksum is correct (nil for IPv6, which has none).
    public var headerChecksumIsValid: Bool? {
        guard case .v4(let h) = header else { return nil }
        var out: [UInt8] = []
        h.write(into: &out, fillChecksum: false)
        return IPv4Header.checksumIsValid(out[...])
    }

    /// Whether the TCP/UDP/ICMP checksum is correct; nil when it cannot be checked
    /// (truncated packet, fragment, undecoded protocol, UDP over IPv4 without checksum).
    public var transportChecksumIsValid: Bool? {
        guard !isTruncated, let field = checksumField else { return nil }
        if case .v4(let h) = header, h.moreFragments { return nil }
        if case .v6(let h) = header, let f = h.fragment, f.more { return nil }
        if case .udp(let u) = transport, u.checksum == 0, case .v4 = header { return nil }
        let l4 = transportBytes()
        let sum = field.pseudo
            ? InternetChecksum.transport(l4, proto: header.upperLayerProtocol, header: header)
            : InternetChecksum.compute(l4)
        return sum == 0
    }
}
