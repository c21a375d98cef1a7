import LabServices
import Packets
import Testing

/// The lab's QUIC responder answers as RFC 9000 requires of any server, and no more.
@Suite struct QUICResponderTests {
    static let dcid: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
    static let scid: [UInt8] = [9, 10, 11, 12]

    static func initial(version: UInt32 = 0x1A2A_3A4A, size: Int = 1200, dcid: [UInt8] = dcid, scid: [UInt8] = scid) throws -> [UInt8] {
        try QUICInitial.encode(version: version, destinationConnectionID: dcid, sourceConnectionID: scid, size: size)
    }

    @Test func answersAnUnsupportedVersionWithNegotiation() throws {
        let outcome = QUICResponder().respond(to: try Self.initial())
        let response = try #require(outcome.response)
        // Written out from RFC 9000 §17.2.1: 0x80 | unused, version 0, the IDs swapped, the versions.
        #expect(response == [0xC0, 0, 0, 0, 0, 4] + Self.scid + [8] + Self.dcid + [0, 0, 0, 1, 0x6B, 0x33, 0x43, 0xCF])
        #expect(outcome.version == 0x1A2A_3A4A && outcome.ignored == nil)
        let vn = try #require(QUICVersionNegotiation(decoding: response))
        #expect(vn.supportedVersions == QUICResponder.defaultVersions)
        // Any version it does not speak, reserved or not.
        #expect(QUICResponder().respond(to: try Self.initial(version: 0xFF00_001D)).response != nil)
        #expect(QUICResponder(versions: [7]).respond(to: try Self.initial(version: 1)).response.flatMap {
            QUICVersionNegotiation(decoding: $0)?.supportedVersions } == [7])
    }

    @Test func staysSilentWhereTheRFCSaysSo() throws {
        let responder = QUICResponder()
        // Fewer than 1200 bytes: dropped (RFC 9000 §5.2.2, §14.1), so it cannot amplify.
        var short = try Self.initial()
        short.removeLast()
        #expect(responder.respond(to: short).response == nil)
        #expect(responder.respond(to: short).ignored == "shorter than 1200 bytes")
        // A version it speaks: it has no QUIC stack to go on with.
        #expect(responder.respond(to: try Self.initial(version: QUICVersion.v1)).response == nil)
        #expect(responder.respond(to: try Self.initial(version: QUICVersion.v2)).response == nil)
        // Never a negotiation in answer to a negotiation (RFC 9000 §6.1), however large.
        let vn = QUICVersionNegotiation(destinationConnectionID: Self.dcid, sourceConnectionID: Self.scid,
                                        supportedVersions: [UInt32](repeating: 0x1A2A_3A4A, count: 400)).encoded()
        #expect(vn.count > 1200 && responder.respond(to: vn).response == nil)
        // Short headers and non-QUIC bytes.
        var shortHeader = try Self.initial()
        shortHeader[0] = 0x43
        #expect(responder.respond(to: shortHeader).ignored == "short header")
        #expect(responder.respond(to: []).response == nil)
        #expect(responder.respond(to: [0xC3, 0x1A, 0x2A, 0x3A, 0x4A, 200] + [UInt8](repeating: 0, count: 1300)).response != nil)
        #expect(responder.respond(to: [0xC3, 0x1A, 0x2A, 0x3A, 0x4A, 255] + [UInt8](repeating: 0, count: 100)).response == nil)
    }

    /// Whatever arrives, the answer is smaller than the datagram that drew it, and echoes its IDs.
    @Test func neverAmplifiesAndNeverTraps() throws {
        var rng = SystemRandomNumberGenerator()
        let responder = QUICResponder()
        for i in 0..<5_000 {
            var datagram = [UInt8](repeating: 0, count: Int.random(in: 0...1600, using: &rng))
            for j in datagram.indices { datagram[j] = UInt8.random(in: 0...255, using: &rng) }
            if i % 2 == 0, datagram.count > 7 {
                datagram[0] |= 0x80                                          // a long header
                datagram[5] = UInt8.random(in: 0...255, using: &rng) % 64    // plausible ID lengths
            }
            let outcome = responder.respond(to: datagram)
            guard let response = outcome.response else { continue }
            #expect(datagram.count >= 1200 && response.count < datagram.count)
            let asked = try #require(QUICLongHeader(parsing: datagram[...]))
            let vn = try #require(QUICVersionNegotiation(decoding: response))
            #expect(vn.destinationConnectionID == asked.sourceConnectionID && vn.sourceConnectionID == asked.destinationConnectionID)
            #expect(asked.version != 0 && !QUICResponder.defaultVersions.contains(asked.version))
        }
        // The largest answer: 255-byte IDs both ways, in a 1200-byte datagram.
        let long = [UInt8](repeating: 0xAA, count: 255)
        var big: [UInt8] = [0xC0, 0x1A, 0x2A, 0x3A, 0x4A, 255] + long + [255] + long
        big += [UInt8](repeating: 0, count: 1200 - big.count)
        let answer = try #require(responder.respond(to: big).response)
        #expect(answer.count == 7 + 510 + 8 && answer.count < big.count)
    }
}
