/// One IPv6 extension header, kept raw so it re-serialises exactly.
public struct IPv6ExtensionHeader: Hashable, Sendable {
    /// The protocol number that announced this header (0, 43, 44, 60, 51, 135, 139, 140).
    public var type: UInt8
    public var nextHeader: UInt8
    /// Everything after the next-header byte (the length byte included, if any).
    public var body: [UInt8]

    public init(type: UInt8, nextHeader: UInt8, body: [UInt8]) {
        self.type = type
        self.nextHeader = nextHeader
        self.body = body
    }

    public var length: Int { 1 + body.count }

    public var name: String {
        switch type {
        case 0: return "hop-by-hop"
        case 43: return "routing"
        case 44: return "fragment"
        case 51: return "auth"
        case 60: return "dest-options"
        case 135: return "mobility"
        case 139: return "hip"
        case 140: return "shim6"
        default: return "ext-\(type)"
        }
    }

    /// For a fragment header: offset in 8-byte units, more-fragments flag, identification.
    public var fragment: (offset: UInt16, more: Bool, identification: UInt32)? {
        guard type == 44, body.count == 7 else { return nil }
        let om = UInt16(body[1]) << 8 | UInt16(body[2])
        let id = UInt32(body[3]) << 24 | UInt32(body[4]) << 16 | UInt32(body[5]) << 8 | UInt32(body[6])
        return (om >> 3, om & 1 == 1, id)
    }

    static func isExtension(_ proto: UInt8) -> Bool {
        switch proto {
        case 0, 43, 44, 51, 60, 135, 139, 140: return true
        default: return false
        }
    }
}

/// The IPv6 fixed header (RFC 8200) and the chain of extension headers that follows it.
public struct IPv6Header: Hashable, Sendable {
    public var trafficClass: UInt8
    public var flowLabel: UInt32
    public var payloadLength: UInt16
    /// The next-header field of the fixed header.
    public var nextHeader: UInt8
    public var hopLimit: UInt8
    public var source: IPv6Address
    public var destination: IPv6Address
    public var extensionHeaders: [IPv6ExtensionHeader]

    public init(trafficClass: UInt8 = 0, flowLabel: UInt32 = 0, payloadLength: UInt16 = 0,
                nextHeader: UInt8, hopLimit: UInt8 = 64,
                source: IPv6Address, destination: IPv6Address,
                extensionHeaders: [IPv6ExtensionHeader] = []) {
        self.trafficClass = trafficClass
        self.flowLabel = flowLabel & 0xFFFFF
        self.payloadLength = payloadLength
        self.nextHeader = nextHeader
        self.hopLimit = hopLimit
        self.source = source
        self.destination = destination
        self.extensionHeaders = extensionHeaders
    }

    /// Fixed header plus extension headers.
    public var headerLength: Int { 40 + extensionHeaders.reduce(0) { $0 + $1.length } }

    /// The protocol of what follows the last extension header.
    public var upperLayerProtocol: UInt8 { extensionHeaders.last?.nextHeader ?? nextHeader }

    public var fragment: (offset: UInt16, more: Bool, identification: UInt32)? {
        extensionHeaders.lazy.compactMap(\.fragment).first
    }

    /// The address the upper-layer checksum covers (RFC 8200 §8.1): with a routing header
    /// that still has segments left, the final destination it carries, else `destination`.
    public var finalDestination: IPv6Address {
        guard let rh = extensionHeaders.first(where: { $0.type == 43 }) else { return destination }
        // body: ext len, routing type, segments left, 4 type-specific bytes, then addresses.
        let b = rh.body
        guard b.count >= 23, b[2] > 0 else { return destination }
        let count = (b.count - 7) / 16
        switch b[1] {
        case 0, 2:   // type 0 (deprecated) and type 2 (Mobile IPv6): the last address listed
            let start = 7 + 16 * (count - 1)
            return IPv6Address(bytes: b[start..<(start + 16)]) ?? destination
        case 4:      // segment routing header: Segment List[0] is the final segment
            return IPv6Address(bytes: b[7..<23]) ?? destination
        default:
            return destination
        }
    }

    /// Parses the fixed header and walks the extension headers that are present.
    /// A chain cut short by the end of the bytes ends the walk without error (quoted packets).
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(PacketError) -> IPv6Header {
        guard bytes.count >= 40 else { throw .truncated(layer: "IPv6 header", needed: 40, available: bytes.count) }
        let w = bytes.u32(0)
        guard w >> 28 == 6 else { throw .invalid(layer: "IPv6 header", reason: "version is \(w >> 28), not 6") }
        var h = IPv6Header(
            trafficClass: UInt8(truncatingIfNeeded: w >> 20), flowLabel: w & 0xFFFFF,
            payloadLength: bytes.u16(4), nextHeader: bytes.u8(6), hopLimit: bytes.u8(7),
            source: IPv6Address(high: bytes.u64(8), low: bytes.u64(16)),
            destination: IPv6Address(high: bytes.u64(24), low: bytes.u64(32)))
        var next = h.nextHeader
        var offset = 40
        while IPv6ExtensionHeader.isExtension(next), h.extensionHeaders.count < 32 {
            guard bytes.count - offset >= 8 else { break }
            let len: Int
            switch next {
            case 44: len = 8
            case 51: len = (Int(bytes.u8(offset + 1)) + 2) * 4
            default: len = (Int(bytes.u8(offset + 1)) + 1) * 8
            }
            guard bytes.count - offset >= len else { break }
            let ext = IPv6ExtensionHeader(type: next, nextHeader: bytes.u8(offset),
                                          body: Array(bytes.sub(offset + 1, len - 1)))
            h.extensionHeaders.append(ext)
            next = ext.nextHeader
            offset += len
            if let f = ext.fragment, f.offset != 0 { break }  // later fragments carry no headers
        }
        return h
    }

    public func write(into out: inout [UInt8]) {
        out.appendU32(6 << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0xFFFFF))
        out.appendU16(payloadLength)
        out.append(nextHeader)
        out.append(hopLimit)
        out.append(contentsOf: source.bytes)
        out.append(contentsOf: destination.bytes)
        for e in extensionHeaders {
            out.append(e.nextHeader)
            out.append(contentsOf: e.body)
        }
    }
}
