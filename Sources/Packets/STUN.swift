// STUN messages (RFC 5389): header, attributes, (XOR-)MAPPED-ADDRESS and FINGERPRINT.
// Pure: the lab's STUN responder and the UDP application probes both use it.
// MESSAGE-INTEGRITY is carried as an opaque attribute (no credentials in this tool).

public struct STUNMessage: Sendable, Equatable {
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerLength = 20

    /// Message type: method and class combined as on the wire (0x0001 Binding Request,
    /// 0x0101 Binding Success Response, 0x0111 Binding Error Response).
    public var type: UInt16
    /// 12 bytes.
    public var transactionID: [UInt8]
    public var attributes: [STUNAttribute]

    public init(type: UInt16, transactionID: [UInt8], attributes: [STUNAttribute] = []) {
        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
    }

    public static let bindingRequest: UInt16 = 0x0001
    public static let bindingSuccess: UInt16 = 0x0101
    public static let bindingError: UInt16 = 0x0111

    public var method: UInt16 { (type & 0x000F) | (type & 0x00E0) >> 1 | (type & 0x3E00) >> 2 }
    public var messageClass: STUNClass { STUNClass(rawValue: UInt8((type >> 4) & 1 | (type >> 7) & 2))! }

    /// The first attribute of a type.
    public func attribute(_ type: UInt16) -> STUNAttribute? { attributes.first { $0.type == type } }

    /// The XOR-MAPPED-ADDRESS, decoded, when present and well formed.
    public var xorMappedAddress: STUNAddress? {
        attribute(STUNAttribute.xorMappedAddress).flatMap { STUNAddress(xorValue: $0.value, transactionID: transactionID) }
    }

    /// The MAPPED-ADDRESS, decoded, when present and well formed.
    public var mappedAddress: STUNAddress? {
        attribute(STUNAttribute.mappedAddress).flatMap { STUNAddress(value: $0.value) }
    }

    public var software: String? {
        attribute(STUNAttribute.software).map { String(decoding: $0.value, as: UTF8.self) }
    }
}

public enum STUNClass: UInt8, Sendable {
    case request = 0, indication = 1, successResponse = 2, errorResponse = 3
}

public struct STUNAttribute: Sendable, Equatable {
    public var type: UInt16
    public var value: [UInt8]

    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    public static let mappedAddress: UInt16 = 0x0001
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let software: UInt16 = 0x8022
    public static let fingerprint: UInt16 = 0x8028
}

/// A transport address as STUN carries it.
public struct STUNAddress: Sendable, Equatable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    public var description: String {
        if case .v6 = address { return "[\(address)]:\(port)" }
        return "\(address):\(port)"
    }

    /// MAPPED-ADDRESS value: 0, family, port, address.
    public init?(value: [UInt8]) {
        guard let (family, port, raw) = STUNAddress.split(value) else { return nil }
        guard let a = STUNAddress.address(family: family, raw) else { return nil }
        self.init(address: a, port: port)
    }

    /// XOR-MAPPED-ADDRESS value: port XOR the cookie's top half, address XOR cookie (+ transaction id).
    public init?(xorValue value: [UInt8], transactionID: [UInt8]) {
        guard transactionID.count == 12, let (family, xport, raw) = STUNAddress.split(value) else { return nil }
        let pad = STUNAddress.xorPad(transactionID)
        // The pad covers an IPv6 address (16 bytes); a longer value is hostile, not an address.
        guard raw.count <= pad.count else { return nil }
        let plain = raw.enumerated().map { $0.element ^ pad[$0.offset] }
        guard let a = STUNAddress.address(family: family, plain) else { return nil }
        self.init(address: a, port: xport ^ UInt16(STUNMessage.magicCookie >> 16))
    }

    public func mappedValue() -> [UInt8] {
        var v: [UInt8] = [0, family]
        v.appendU16(port)
        v += address.bytes
        return v
    }

    public func xorValue(transactionID: [UInt8]) -> [UInt8] {
        let pad = STUNAddress.xorPad(transactionID)
        var v: [UInt8] = [0, family]
        v.appendU16(port ^ UInt16(STUNMessage.magicCookie >> 16))
        v += address.bytes.enumerated().map { $0.element ^ pad[$0.offset] }
        return v
    }

    private var family: UInt8 {
        if case .v6 = address { return 2 }
        return 1
    }

    private static func xorPad(_ transactionID: [UInt8]) -> [UInt8] {
        var pad: [UInt8] = []
        pad.appendU32(STUNMessage.magicCookie)
        return pad + transactionID + [UInt8](repeating: 0, count: max(0, 12 - transactionID.count))
    }

    private static func split(_ value: [UInt8]) -> (UInt8, UInt16, [UInt8])? {
        guard value.count >= 4 else { return nil }
        let port = UInt16(value[2]) << 8 | UInt16(value[3])
        return (value[1], port, Array(value[4...]))
    }

    private static func address(family: UInt8, _ raw: [UInt8]) -> IPAddress? {
        switch (family, raw.count) {
        case (1, 4): return .v4(IPv4Address(raw[0], raw[1], raw[2], raw[3]))
        case (2, 16): return IPv6Address(bytes: raw).map { .v6($0) }
        default: return nil
        }
    }
}

public enum STUNError: Error, Equatable, Sendable {
    case tooShort
    case notSTUN            // top bits set, bad cookie, or length not a multiple of 4
    case lengthMismatch
    case truncatedAttribute
    case badFingerprint
}

extension STUNMessage {
    /// Decodes a whole datagram. Rejects anything that is not an RFC 5389 message, so a
    /// responder can ignore stray traffic; checks FINGERPRINT when present.
    public init(decoding bytes: [UInt8]) throws(STUNError) {
        guard bytes.count >= STUNMessage.headerLength else { throw .tooShort }
        let s = bytes[...]
        let type = s.u16(0), length = Int(s.u16(2))
        guard type & 0xC000 == 0, s.u32(4) == STUNMessage.magicCookie, length % 4 == 0 else { throw .notSTUN }
        guard STUNMessage.headerLength + length == bytes.count else { throw .lengthMismatch }
        var attributes: [STUNAttribute] = []
        var offset = STUNMessage.headerLength
        while offset < bytes.count {
            guard offset + 4 <= bytes.count else { throw .truncatedAttribute }
            let atype = s.u16(offset), alen = Int(s.u16(offset + 2))
            let padded = (alen + 3) & ~3
            guard offset + 4 + padded <= bytes.count else { throw .truncatedAttribute }
            let value = Array(s.sub(offset + 4, alen))
            if atype == STUNAttribute.fingerprint {
                // FINGERPRINT must be last and cover everything before it.
                guard alen == 4, offset + 8 == bytes.count,
                      STUNMessage.fingerprint(Array(bytes[..<offset])) == s.u32(offset + 4) else { throw .badFingerprint }
            }
            attributes.append(STUNAttribute(type: atype, value: value))
            offset += 4 + padded
        }
        self.init(type: type, transactionID: Array(s.sub(8, 12)), attributes: attributes)
    }

    /// Encodes with zero padding; a FINGERPRINT attribute in `attributes` is ignored and,
    /// when `fingerprint` is true, a correct one is appended.
    public func encoded(fingerprint: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.appendU16(type)
        out.appendU16(0)
        out.appendU32(STUNMessage.magicCookie)
        out += transactionID.prefix(12) + [UInt8](repeating: 0, count: max(0, 12 - transactionID.count))
        for a in attributes where a.type != STUNAttribute.fingerprint {
            out.appendU16(a.type)
            out.appendU16(UInt16(truncatingIfNeeded: a.value.count))
            out += a.value
            out += [UInt8](repeating: 0, count: (4 - a.value.count % 4) % 4)
        }
        if fingerprint {
            out.setU16(UInt16(truncatingIfNeeded: out.count - STUNMessage.headerLength + 8), at: 2)
            let crc = STUNMessage.fingerprint(out)
            out.appendU16(STUNAttribute.fingerprint)
            out.appendU16(4)
            out.appendU32(crc)
        } else {
            out.setU16(UInt16(truncatingIfNeeded: out.count - STUNMessage.headerLength), at: 2)
        }
        return out
    }

    /// CRC-32 (ISO HDLC, as zlib) XOR 0x5354554E over the message up to the attribute,
    /// with the header length already counting the FINGERPRINT attribute.
    public static func fingerprint(_ bytes: [UInt8]) -> UInt32 { CRC32.checksum(bytes) ^ 0x5354_554E }

    /// The Binding Success Response a server sends to a Binding Request seen from `source`.
    public static func bindingResponse(to request: STUNMessage, source: STUNAddress, software: String?) -> STUNMessage {
        var attributes = [
            STUNAttribute(type: STUNAttribute.xorMappedAddress, value: source.xorValue(transactionID: request.transactionID)),
            STUNAttribute(type: STUNAttribute.mappedAddress, value: source.mappedValue()),
        ]
        if let software { attributes.append(STUNAttribute(type: STUNAttribute.software, value: Array(software.utf8))) }
        return STUNMessage(type: STUNMessage.bindingSuccess, transactionID: request.transactionID, attributes: attributes)
    }
}

/// CRC-32 as zlib computes it (reflected, polynomial 0xEDB88320).
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
