// QUIC's long header, the client Initial and Version Negotiation (RFC 9000 §17.2, RFC 8999),
// checked against byte layouts written out by hand from the RFCs.
import Packets
import Testing

@Suite struct QUICTests {
    static let dcid: [UInt8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]
    static let scid: [UInt8] = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9]

    @Test func reservedVersions() {
        #expect(QUICVersion.isReserved(0x1A2A_3A4A))
        #expect(QUICVersion.isReserved(0x0A0A_0A0A) && QUICVersion.isReserved(0xFAFA_FAFA))
        #expect(!QUICVersion.isReserved(QUICVersion.v1) && !QUICVersion.isReserved(QUICVersion.v2))
        #expect(!QUICVersion.isReserved(0x1A2A_3A4B) && !QUICVersion.isReserved(0xFF00_001D))
        #expect(QUICVersion.reserved(0x0000) == 0x0A0A_0A0A)
        #expect(QUICVersion.reserved(0x4321) == 0x4A3A_2A1A)
        var seen = Set<UInt32>()
        for seed in 0...UInt16.max {
            let v = QUICVersion.reserved(seed)
            #expect(QUICVersion.isReserved(v))
            seen.insert(v)
        }
        #expect(seen.count == 65536)
        #expect(QUICVersion.hex(1) == "0x00000001" && QUICVersion.hex(0x6B33_43CF) == "0x6b3343cf")
    }

    /// The Initial byte by byte, as RFC 9000 §17.2.2 lays it out.
    @Test func initialLayout() throws {
        let filler: [UInt8] = [0xEE, 0xDD]
        let bytes = try QUICInitial.encode(version: 0x1A2A_3A4A, destinationConnectionID: Self.dcid,
                                           sourceConnectionID: Self.scid, packetNumber: 0x0102_0304, size: 1200, filler: filler)
        #expect(bytes.count == 1200)
        var expected: [UInt8] = [0xC3, 0x1A, 0x2A, 0x3A, 0x4A, 8] + Self.dcid + [9] + Self.scid + [0x00]
        // Length: 1200 − 25 bytes so far − 2 bytes of the length itself = 1173 = 0x495, as a 2-byte varint.
        #expect(expected.count == 25)
        expected += [0x44, 0x95, 0x01, 0x02, 0x03, 0x04]
        #expect(Array(bytes.prefix(expected.count)) == expected)
        let rest = bytes.dropFirst(expected.count)
        #expect(rest.count == 1169 && rest.enumerated().allSatisfy { $0.element == filler[$0.offset % 2] })
        let zeros = try QUICInitial.encode(version: 0x0A0A_0A0A, destinationConnectionID: Self.dcid, sourceConnectionID: [], size: 1300)
        #expect(zeros.count == 1300 && zeros.suffix(1200).allSatisfy { $0 == 0 })
    }

    @Test func initialRefusesWhatNoClientSends() {
        #expect(throws: QUICInitial.BuildError.connectionIDLength(21)) {
            try QUICInitial.encode(version: 0x0A0A_0A0A, destinationConnectionID: [UInt8](repeating: 1, count: 21), sourceConnectionID: [])
        }
        #expect(throws: QUICInitial.BuildError.datagramSize(1199)) {
            try QUICInitial.encode(version: 0x0A0A_0A0A, destinationConnectionID: Self.dcid, sourceConnectionID: [], size: 1199)
        }
        #expect(throws: QUICInitial.BuildError.datagramSize(16_384)) {
            try QUICInitial.encode(version: 0x0A0A_0A0A, destinationConnectionID: Self.dcid, sourceConnectionID: [], size: 16_384)
        }
    }

    @Test func longHeaderOfAnInitial() throws {
        let bytes = try QUICInitial.encode(version: 0x5A6A_7A8A, destinationConnectionID: Self.dcid, sourceConnectionID: Self.scid)
        let header = try #require(QUICLongHeader(parsing: bytes[...]))
        #expect(header.firstByte == 0xC3 && header.version == 0x5A6A_7A8A)
        #expect(header.destinationConnectionID == Self.dcid && header.sourceConnectionID == Self.scid)
        #expect(header.remainder.count == 1200 - 6 - 8 - 1 - 9)
        // A short header (top bit clear) is no long header; neither is anything cut in the IDs.
        var short = bytes
        short[0] = 0x43
        #expect(QUICLongHeader(parsing: short[...]) == nil)
        for cut in 0..<(7 + 8 + 9) { #expect(QUICLongHeader(parsing: bytes.prefix(cut)) == nil, "prefix \(cut)") }
        #expect(QUICLongHeader(parsing: bytes.prefix(7 + 8 + 9))?.remainder.isEmpty == true)
        // Slices that do not start at index 0.
        let shifted = ([0xFF, 0xFF] + bytes)[2...]
        #expect(QUICLongHeader(parsing: shifted) == header)
    }

    /// RFC 9000 §17.2.1: first byte with the top bit set, version 0, the IDs, the versions.
    static let negotiation: [UInt8] = [0xC5, 0, 0, 0, 0, 9] + scid + [8] + dcid + [0, 0, 0, 1, 0x6B, 0x33, 0x43, 0xCF]

    @Test func versionNegotiationDecodesAndEncodes() throws {
        let vn = try #require(QUICVersionNegotiation(decoding: Self.negotiation))
        #expect(vn.destinationConnectionID == Self.scid && vn.sourceConnectionID == Self.dcid)
        #expect(vn.supportedVersions == [QUICVersion.v1, QUICVersion.v2])
        #expect(vn.unusedBits == 0x45)
        #expect(vn.encoded() == Self.negotiation)
        let client = try #require(QUICLongHeader(parsing: try QUICInitial.encode(version: 0x0A0A_0A0A, destinationConnectionID: Self.dcid,
                                                                                  sourceConnectionID: Self.scid)[...]))
        let answer = QUICVersionNegotiation.answering(client, supportedVersions: [QUICVersion.v1, QUICVersion.v2], unusedBits: 0x45)
        #expect(answer.encoded() == Self.negotiation)
    }

    @Test func versionNegotiationRefusesEverythingElse() {
        var other = Self.negotiation
        other[4] = 1                                          // version 1: not a negotiation
        #expect(QUICVersionNegotiation(decoding: other) == nil)
        other = Self.negotiation
        other[0] = 0x45                                       // short header
        #expect(QUICVersionNegotiation(decoding: other) == nil)
        #expect(QUICVersionNegotiation(decoding: Array(Self.negotiation.prefix(7 + 9 + 8))) == nil)   // no version listed
        let full = Self.negotiation.count
        for cut in 0..<full where cut != full - 4 {
            #expect(QUICVersionNegotiation(decoding: Array(Self.negotiation.prefix(cut))) == nil, "prefix \(cut)")
        }
        // Cut after the first version: still a negotiation, listing one.
        #expect(QUICVersionNegotiation(decoding: Array(Self.negotiation.prefix(full - 4)))?.supportedVersions == [QUICVersion.v1])
        #expect(QUICVersionNegotiation(decoding: Self.negotiation + [0]) == nil)
    }

    /// RFC 8999 lets connection IDs of unknown versions be up to 255 bytes long.
    @Test func longConnectionIDs() throws {
        let long = [UInt8](repeating: 0x5C, count: 255)
        let vn = QUICVersionNegotiation(destinationConnectionID: long, sourceConnectionID: long, supportedVersions: [1])
        let bytes = vn.encoded()
        #expect(bytes.count == 1 + 4 + 1 + 255 + 1 + 255 + 4)
        #expect(QUICVersionNegotiation(decoding: bytes) == vn)
        #expect(QUICVersionNegotiation(decoding: Array(bytes.prefix(300))) == nil)
        // Lengths that promise more than the datagram holds.
        var lying = Self.negotiation
        lying[5] = 200
        #expect(QUICVersionNegotiation(decoding: lying) == nil && QUICLongHeader(parsing: lying[...]) == nil)
        lying = Self.negotiation
        lying[6 + 9] = 30
        #expect(QUICVersionNegotiation(decoding: lying) == nil && QUICLongHeader(parsing: lying[...]) == nil)
    }
}
