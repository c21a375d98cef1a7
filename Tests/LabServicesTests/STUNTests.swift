import Packets
import Testing

/// The sample messages of RFC 5769. Checked independently when written: their FINGERPRINT
/// (CRC-32) and MESSAGE-INTEGRITY (HMAC-SHA1, password "VOkJxbRl1RmTxUk/WvJxBt") both verify.
enum RFC5769 {
    static let transactionID = bytes("b7e7a701bc34d686fa87dfae")

    /// §2.1 Sample Request.
    static let request = bytes("""
        000100582112a442b7e7a701bc34d686fa87dfae
        802200105354554e207465737420636c69656e74
        002400046e0001ff80290008932ff9b151263b36
        000600096576746a3a68367659202020
        000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2
        80280004e57a3bcf
        """)

    /// §2.2 Sample IPv4 Response: 192.0.2.1 port 32853.
    static let response4 = bytes("""
        0101003c2112a442b7e7a701bc34d686fa87dfae
        8022000b7465737420766563746f7220
        002000080001a147e112a643
        000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7
        80280004c07d4c96
        """)

    /// §2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
    static let response6 = bytes("""
        010100482112a442b7e7a701bc34d686fa87dfae
        8022000b7465737420766563746f7220
        002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9
        00080014a382954e4be67bf11784c97c8292c275bfe3ed41
        80280004c8fb0b4c
        """)

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = hex.filter(\.isHexDigit)
        var out: [UInt8] = []
        var i = digits.startIndex
        while i < digits.endIndex {
            let j = digits.index(i, offsetBy: 2)
            out.append(UInt8(digits[i..<j], radix: 16)!)
            i = j
        }
        return out
    }
}

@Suite struct STUNCodecTests {
    @Test func decodesTheRFC5769Request() throws {
        let m = try STUNMessage(decoding: RFC5769.request)
        #expect(m.type == STUNMessage.bindingRequest)
        #expect(m.method == 1)
        #expect(m.messageClass == .request)
        #expect(m.transactionID == RFC5769.transactionID)
        #expect(m.software == "STUN test client")
        #expect(m.attributes.map(\.type) == [0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028])
        #expect(m.attribute(STUNAttribute.username)?.value == Array("evtj:h6vY".utf8))
    }

    @Test func decodesTheRFC5769IPv4Response() throws {
        let m = try STUNMessage(decoding: RFC5769.response4)
        #expect(m.messageClass == .successResponse)
        #expect(m.software == "test vector")
        #expect(m.xorMappedAddress == STUNAddress(address: IPAddress("192.0.2.1")!, port: 32853))
    }

    @Test func decodesTheRFC5769IPv6Response() throws {
        let m = try STUNMessage(decoding: RFC5769.response6)
        #expect(m.xorMappedAddress == STUNAddress(address: IPAddress("2001:db8:1234:5678:11:2233:4455:6677")!, port: 32853))
    }

    /// The vectors pad SOFTWARE and USERNAME with spaces where this encoder pads with zeros,
    /// so they cannot be re-encoded byte for byte; the parts that do not depend on padding can.
    @Test func encodesTheVectorsAddressesAndFingerprint() throws {
        let v4 = STUNAddress(address: IPAddress("192.0.2.1")!, port: 32853)
        let v6 = STUNAddress(address: IPAddress("2001:db8:1234:5678:11:2233:4455:6677")!, port: 32853)
        #expect(v4.xorValue(transactionID: RFC5769.transactionID) == Array(RFC5769.response4[40..<48]))
        #expect(v6.xorValue(transactionID: RFC5769.transactionID) == Array(RFC5769.response6[40..<60]))
        for vector in [RFC5769.request, RFC5769.response4, RFC5769.response6] {
            var body = Array(vector.dropLast(8))
            body[2] = UInt8((vector.count - 20) >> 8)
            body[3] = UInt8((vector.count - 20) & 0xFF)
            let crc = STUNMessage.fingerprint(body)
            #expect([UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
                    == Array(vector.suffix(4)))
        }
        // Zero-padded messages do re-encode exactly.
        let m = STUNMessage.bindingResponse(to: STUNMessage(type: 1, transactionID: RFC5769.transactionID),
                                            source: v6, software: "ab")
        let bytes = m.encoded(fingerprint: true)
        #expect(try STUNMessage(decoding: bytes).encoded(fingerprint: true) == bytes)
    }

    @Test func xorMappedAddressEncodesAsTheRFCDoes() {
        let a = STUNAddress(address: IPAddress("192.0.2.1")!, port: 32853)
        #expect(a.xorValue(transactionID: RFC5769.transactionID) == RFC5769.bytes("0001a147e112a643"))
        #expect(STUNAddress(xorValue: a.xorValue(transactionID: RFC5769.transactionID),
                            transactionID: RFC5769.transactionID) == a)
    }

    @Test func bindingResponseRoundTrips() throws {
        let request = STUNMessage(type: STUNMessage.bindingRequest, transactionID: Array(1...12))
        for text in ["198.18.1.1", "2001:db8:1::1"] {
            let source = STUNAddress(address: IPAddress(text)!, port: 54321)
            let response = STUNMessage.bindingResponse(to: request, source: source, software: "x")
            let decoded = try STUNMessage(decoding: response.encoded(fingerprint: true))
            #expect(decoded.type == STUNMessage.bindingSuccess)
            #expect(decoded.transactionID == request.transactionID)
            #expect(decoded.xorMappedAddress == source)
            #expect(decoded.mappedAddress == source)
            #expect(decoded.attributes.last?.type == STUNAttribute.fingerprint)
        }
    }

    @Test func rejectsWhatIsNotSTUN() {
        #expect(throws: STUNError.tooShort) { try STUNMessage(decoding: [0, 1, 0, 0]) }
        var noCookie = RFC5769.response4
        noCookie[4] = 0
        #expect(throws: STUNError.notSTUN) { try STUNMessage(decoding: noCookie) }
        var badLength = RFC5769.response4
        badLength[3] = 0x40
        #expect(throws: STUNError.lengthMismatch) { try STUNMessage(decoding: badLength) }
        var badCRC = RFC5769.response4
        badCRC[badCRC.count - 1] ^= 1
        #expect(throws: STUNError.badFingerprint) { try STUNMessage(decoding: badCRC) }
        var overrun = RFC5769.bytes("000100082112a442b7e7a701bc34d686fa87dfae")
        overrun += [0x80, 0x22, 0x00, 0x10, 0, 0, 0, 0]
        #expect(throws: STUNError.truncatedAttribute) { try STUNMessage(decoding: overrun) }
    }

    @Test func randomBytesNeverTrap() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if bytes.count >= 8, Bool.random(using: &rng) {
                // Make it look like STUN so the attribute walk is exercised.
                bytes[0] &= 0x3F
                bytes.replaceSubrange(4..<8, with: [0x21, 0x12, 0xA4, 0x42])
                let body = (bytes.count - 20) & ~3
                if body >= 0 { bytes = Array(bytes.prefix(20 + body)); bytes[2] = UInt8(body >> 8); bytes[3] = UInt8(body & 0xFF) }
            }
            _ = try? STUNMessage(decoding: bytes)
        }
    }
}
