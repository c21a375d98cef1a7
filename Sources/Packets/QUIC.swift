// QUIC's version-independent long header (RFC 8999 §5.1), the Initial a client opens with
// (RFC 9000 §17.2.2) and the Version Negotiation packet (RFC 9000 §17.2.1, RFC 8999 §6).
// Pure. Parsing never traps: every length is checked against the bytes there are, and a
// connection ID may be up to 255 bytes long, as RFC 8999 allows for versions it does not know.

public enum QUICVersion {
    public static let negotiation: UInt32 = 0
    public static let v1: UInt32 = 0x0000_0001
    /// QUIC version 2 (RFC 9369).
    public static let v2: UInt32 = 0x6B33_43CF

    /// Versions of the form 0x?a?a?a?a, reserved so that any server must answer them with
    /// Version Negotiation (RFC 9000 §6.3 and §15).
    public static func isReserved(_ version: UInt32) -> Bool { version & 0x0F0F_0F0F == 0x0A0A_0A0A }

    /// The reserved version whose four free nibbles are the low 16 bits of `seed`.
    public static func reserved(_ seed: UInt16) -> UInt32 {
        var v: UInt32 = 0x0A0A_0A0A
        for i in 0..<4 { v |= UInt32((seed >> (4 * i)) & 0xF) << (8 * i + 4) }
        return v
    }

    /// "0x0000000a": eight hex digits, as Docs/probing.md shows versions.
    public static func hex(_ version: UInt32) -> String {
        let digits = String(version, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// The fields every QUIC version shares in a long header: the first byte (its top bit set),
/// the version and the two connection IDs. The rest is the version's business.
public struct QUICLongHeader: Sendable, Equatable {
    public var firstByte: UInt8
    public var version: UInt32
    public var destinationConnectionID: [UInt8]
    public var sourceConnectionID: [UInt8]
    /// Bytes after the source connection ID (for Version Negotiation, the version list).
    public var remainder: ArraySlice<UInt8>

    /// Nil for anything that is not a long header: empty, top bit clear, or shorter than its
    /// connection ID lengths say.
    public init?(parsing bytes: ArraySlice<UInt8>) {
        // First byte, version, DCID length: 6 bytes; then the DCID, the SCID length, the SCID.
        guard bytes.count >= 7, bytes.u8(0) & 0x80 != 0 else { return nil }
        let dcidLength = Int(bytes.u8(5))
        guard bytes.count >= 6 + dcidLength + 1 else { return nil }
        let scidLength = Int(bytes.u8(6 + dcidLength))
        let end = 7 + dcidLength + scidLength
        guard bytes.count >= end else { return nil }
        firstByte = bytes.u8(0)
        version = bytes.u32(1)
        destinationConnectionID = Array(bytes.sub(6, dcidLength))
        sourceConnectionID = Array(bytes.sub(7 + dcidLength, scidLength))
        remainder = bytes.dropping(end)
    }
}

/// A Version Negotiation packet: a long header with version 0, the client's connection IDs
/// swapped, then the server's versions (RFC 9000 §17.2.1).
public struct QUICVersionNegotiation: Sendable, Equatable {
    /// Arbitrary bits after the top one; servers set 0x40 so QUIC can be told from other
    /// protocols on the port (RFC 9000 §17.2.1).
    public var unusedBits: UInt8
    /// The client's source connection ID, echoed.
    public var destinationConnectionID: [UInt8]
    /// The client's destination connection ID, echoed.
    public var sourceConnectionID: [UInt8]
    public var supportedVersions: [UInt32]

    public init(unusedBits: UInt8 = 0x40, destinationConnectionID: [UInt8], sourceConnectionID: [UInt8],
                supportedVersions: [UInt32]) {
        self.unusedBits = unusedBits & 0x7F
        self.destinationConnectionID = destinationConnectionID
        self.sourceConnectionID = sourceConnectionID
        self.supportedVersions = supportedVersions
    }

    /// Nil unless `bytes` is a long header with version 0 followed by a whole number of
    /// 32-bit versions, at least one.
    public init?(decoding bytes: ArraySlice<UInt8>) {
        guard let header = QUICLongHeader(parsing: bytes), header.version == QUICVersion.negotiation else { return nil }
        let list = header.remainder
        guard !list.isEmpty, list.count % 4 == 0 else { return nil }
        var versions: [UInt32] = []
        versions.reserveCapacity(list.count / 4)
        var offset = 0
        while offset < list.count {
            versions.append(list.u32(offset))
            offset += 4
        }
        self.init(unusedBits: header.firstByte, destinationConnectionID: header.destinationConnectionID,
                  sourceConnectionID: header.sourceConnectionID, supportedVersions: versions)
    }

    public init?(decoding bytes: [UInt8]) { self.init(decoding: bytes[...]) }

    /// The answer to a client's long header: its connection IDs swapped.
    public static func answering(_ client: QUICLongHeader, supportedVersions: [UInt32], unusedBits: UInt8 = 0x40) -> QUICVersionNegotiation {
        QUICVersionNegotiation(unusedBits: unusedBits, destinationConnectionID: client.sourceConnectionID,
                               sourceConnectionID: client.destinationConnectionID, supportedVersions: supportedVersions)
    }

    /// Connection IDs longer than 255 bytes are cut to 255 (the length is one byte).
    public func encoded() -> [UInt8] {
        let dcid = destinationConnectionID.prefix(255), scid = sourceConnectionID.prefix(255)
        var out: [UInt8] = [0x80 | unusedBits]
        out.reserveCapacity(7 + dcid.count + scid.count + 4 * supportedVersions.count)
        out.appendU32(QUICVersion.negotiation)
        out.append(UInt8(dcid.count))
        out += dcid
        out.append(UInt8(scid.count))
        out += scid
        for v in supportedVersions { out.appendU32(v) }
        return out
    }
}

/// A client's first packet: a long-header Initial (type 0) as RFC 9000 §17.2.2 lays it out,
/// padded to a datagram of at least 1200 bytes (RFC 9000 §14.1). Under a version the server
/// does not know, nothing after the connection IDs is read; it is shaped like a real Initial
/// (empty token, length, 4-byte packet number, then `filler` standing for the ciphertext) so
/// that it looks like one to a middlebox.
public enum QUICInitial {
    public static let minimumDatagramSize = 1200
    public static let maximumConnectionIDLength = 20

    public enum BuildError: Error, Hashable, Sendable {
        case connectionIDLength(Int)
        case datagramSize(Int)
    }

    /// The whole UDP payload, exactly `size` bytes. `filler` is repeated or cut to fill the
    /// payload after the packet number (an empty filler gives zeros).
    public static func encode(version: UInt32, destinationConnectionID dcid: [UInt8], sourceConnectionID scid: [UInt8],
                              packetNumber: UInt32 = 0, size: Int = minimumDatagramSize,
                              filler: [UInt8] = []) throws(BuildError) -> [UInt8] {
        for id in [dcid, scid] where id.count > maximumConnectionIDLength { throw .connectionIDLength(id.count) }
        // First byte 1 1 00 0011: long header, fixed bit, Initial, packet number length 4.
        var out: [UInt8] = [0xC3]
        out.appendU32(version)
        out.append(UInt8(dcid.count))
        out += dcid
        out.append(UInt8(scid.count))
        out += scid
        out.append(0)   // token length (variable-length integer 0)
        // Length (2-byte variable-length integer): packet number and payload.
        let length = size - out.count - 2
        guard size >= minimumDatagramSize, size <= 16_383, length >= 4 else { throw .datagramSize(size) }
        out.appendU16(0x4000 | UInt16(length))
        out.appendU32(packetNumber)
        let remaining = size - out.count
        if filler.isEmpty {
            out += [UInt8](repeating: 0, count: remaining)
        } else {
            for i in 0..<remaining { out.append(filler[i % filler.count]) }
        }
        return out
    }
}
