/// An ICMP (RFC 792) or ICMPv6 (RFC 4443) message: the 8-byte header and the body.
/// Interpretations (echo identifiers, quoted packet, extensions) are computed on demand.
public struct ICMPMessage: Hashable, Sendable {
    public enum Family: Hashable, Sendable { case v4, v6 }

    public var family: Family
    public var type: UInt8
    public var code: UInt8
    public var checksum: UInt16
    /// Bytes 4–7 of the header: identifier/sequence, MTU, pointer, RFC 4884 length.
    public var restOfHeader: UInt32
    public var body: ArraySlice<UInt8>

    public init(family: Family, type: UInt8, code: UInt8, checksum: UInt16 = 0,
                restOfHeader: UInt32 = 0, body: ArraySlice<UInt8> = []) {
        self.family = family
        self.type = type
        self.code = code
        self.checksum = checksum
        self.restOfHeader = restOfHeader
        self.body = body
    }

    public static func parse(_ bytes: ArraySlice<UInt8>, family: Family) throws(PacketError) -> ICMPMessage {
        let layer = family == .v4 ? "ICMP header" : "ICMPv6 header"
        guard bytes.count >= 8 else { throw .truncated(layer: layer, needed: 8, available: bytes.count) }
        return ICMPMessage(family: family, type: bytes.u8(0), code: bytes.u8(1), checksum: bytes.u16(2),
                           restOfHeader: bytes.u32(4), body: bytes.dropping(8))
    }

    public func write(into out: inout [UInt8]) {
        out.append(type)
        out.append(code)
        out.appendU16(checksum)
        out.appendU32(restOfHeader)
        out.append(contentsOf: body)
    }

    // MARK: - Interpretation

    public var isEcho: Bool {
        family == .v4 ? (type == 0 || type == 8) : (type == 128 || type == 129)
    }
    public var isEchoReply: Bool { family == .v4 ? type == 0 : type == 129 }

    /// Errors carry the offending packet's header (RFC 792 / RFC 4443 §2.4).
    public var isError: Bool {
        switch family {
        case .v4: return [3, 4, 5, 11, 12].contains(type)
        case .v6: return (1...4).contains(type)
        }
    }

    public var isTimeExceeded: Bool { family == .v4 ? type == 11 : type == 3 }
    public var isDestinationUnreachable: Bool { family == .v4 ? type == 3 : type == 1 }

    public var identifier: UInt16? { isEcho ? UInt16(restOfHeader >> 16) : nil }
    public var sequence: UInt16? { isEcho ? UInt16(truncatingIfNeeded: restOfHeader) : nil }

    /// Next-hop MTU of "fragmentation needed" (v4 3/4) or "packet too big" (v6 2).
    public var mtu: UInt32? {
        if family == .v4, type == 3, code == 4 { return restOfHeader & 0xFFFF }
        if family == .v6, type == 2 { return restOfHeader }
        return nil
    }

    /// The RFC 4884 "length of original datagram" field converted to bytes (0 when unset).
    public var originalDatagramLength: Int {
        switch (family, type) {
        case (.v4, 3), (.v4, 11), (.v4, 12): return Int((restOfHeader >> 16) & 0xFF) * 4
        case (.v6, 1), (.v6, 3): return Int(restOfHeader >> 24) * 8
        default: return 0
        }
    }

    /// The quoted original datagram of an error message (without extensions).
    public var quotedBytes: ArraySlice<UInt8>? {
        guard isError else { return nil }
        return splitErrorBody(body, declaredLength: originalDatagramLength).quote
    }

    /// The quoted packet, decoded as far as the bytes go; nil if not even its IP header is there.
    public var quotedPacket: IPPacket? {
        guard let q = quotedBytes else { return nil }
        return try? IPPacket.parse(q, quoted: true)
    }

    /// RFC 4884 extensions (MPLS label stack and others), if present and well formed.
    public var extensions: ICMPExtensionStructure? {
        guard isError else { return nil }
        return splitErrorBody(body, declaredLength: originalDatagramLength).extensions
    }

    /// A short human name: "echo request", "time exceeded in-transit", "port unreachable" …
    public var name: String {
        switch family {
        case .v4:
            switch (type, code) {
            case (0, _): return "echo reply"
            case (8, _): return "echo request"
            case (3, 0): return "net unreachable"
            case (3, 1): return "host unreachable"
            case (3, 2): return "protocol unreachable"
            case (3, 3): return "port unreachable"
            case (3, 4): return "need to frag"
            case (3, 9), (3, 10), (3, 13): return "admin prohibited (code \(code))"
            case (3, _): return "unreachable (code \(code))"
            case (4, _): return "source quench"
            case (5, _): return "redirect"
            case (11, 0): return "time exceeded in-transit"
            case (11, 1): return "time exceeded reassembly"
            case (11, _): return "time exceeded (code \(code))"
            case (12, _): return "parameter problem"
            case (13, _): return "timestamp request"
            case (14, _): return "timestamp reply"
            default: return "type \(type) code \(code)"
            }
        case .v6:
            switch (type, code) {
            case (1, 0): return "no route"
            case (1, 1): return "admin prohibited"
            case (1, 3): return "address unreachable"
            case (1, 4): return "port unreachable"
            case (1, _): return "unreachable (code \(code))"
            case (2, _): return "packet too big"
            case (3, 0): return "time exceeded in-transit"
            case (3, _): return "time exceeded (code \(code))"
            case (4, _): return "parameter problem"
            case (128, _): return "echo request"
            case (129, _): return "echo reply"
            case (133, _): return "router solicitation"
            case (134, _): return "router advertisement"
            case (135, _): return "neighbor solicitation"
            case (136, _): return "neighbor advertisement"
            default: return "type \(type) code \(code)"
            }
        }
    }
}
