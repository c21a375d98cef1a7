// Hostile answers to the UDP application probes: STUN, DNS and QUIC decoders fed the
// reproducer of a known crash, random bytes, truncations and mutations of valid messages.
// Nothing may trap; where a decode succeeds, what it read must be consistent. Seeds are
// fixed, so a failure reproduces.
import Packets
import TestSupport
import Testing

@Suite struct DatagramFuzzTests {
    /// The remote crash of issue 15: a Binding success whose XOR-MAPPED-ADDRESS value is 24
    /// bytes (family IPv4) made `STUNAddress(xorValue:)` index past its 16-byte pad.
    @Test func stunXorMappedAddressOfTwentyOneBytesOrMore() throws {
        let transaction: [UInt8] = Array(0x30..<0x3C)
        let reproducer = try Hex.decode("0101001c2112a442") + transaction + (try Hex.decode("0020001800011234"))
            + [UInt8](repeating: 0, count: 20)
        let message = try STUNMessage(decoding: reproducer)
        #expect(message.messageClass == .successResponse && message.transactionID == transaction)
        #expect(message.attribute(STUNAttribute.xorMappedAddress)?.value.count == 24)
        #expect(message.xorMappedAddress == nil)
        // Every value length past a plain address, for both families, is refused the same way.
        for family: UInt8 in [1, 2] {
            for length in 4...64 {
                let value = [0, family, 0x12, 0x34] + [UInt8](repeating: 0xAB, count: length - 4)
                let decoded = STUNAddress(xorValue: value, transactionID: transaction)
                let plainLength = family == 1 ? 8 : 20
                #expect((decoded != nil) == (length == plainLength), "family \(family), \(length) bytes")
            }
        }
    }

    static func stunMessages(_ rng: inout SeededGenerator) -> [[UInt8]] {
        let id = rng.bytes(12)
        let v4 = STUNAddress(address: .v4(IPv4Address(198, 18, 1, 2)), port: rng.u16())
        let v6 = STUNAddress(address: IPAddress("2001:db8:1::2")!, port: rng.u16())
        let request = STUNMessage(type: STUNMessage.bindingRequest, transactionID: id)
        return [
            request.encoded(),
            STUNMessage.bindingResponse(to: request, source: v4, software: "lab").encoded(fingerprint: true),
            STUNMessage.bindingResponse(to: request, source: v6, software: nil).encoded(fingerprint: false),
            STUNMessage(type: STUNMessage.bindingError, transactionID: id,
                        attributes: [STUNAttribute(type: STUNAttribute.errorCode, value: [0, 0, 4, 0])]).encoded(),
        ]
    }

    static func exercise(stun bytes: [UInt8]) {
        guard let m = try? STUNMessage(decoding: bytes) else { return }
        _ = (m.method, m.messageClass, m.xorMappedAddress?.description, m.mappedAddress?.description, m.software)
        #expect(m.transactionID.count == 12)
    }

    static func dnsMessages(_ rng: inout SeededGenerator) -> [[UInt8]] {
        let name = DNSName("www.example.com")!
        var response = DNSMessage(id: rng.u16(), flags: 0x8180, questions: [DNSQuestion(name: name, type: DNSType.a)],
                                  answers: [.a(name, IPv4Address(198, 18, 9, 2), ttl: 60),
                                            .aaaa(DNSName("example.com")!, IPv6Address("2001:db8:9::2")!, ttl: 60)],
                                  additionals: [.opt(udpPayloadSize: 1232)])
        let plain = response.encoded()
        response.answers.append(DNSRecord(name: DNSName("mail.example.com")!, type: DNSType.txt, ttl: 5, data: rng.bytes(0...40)))
        return [plain, response.encoded(), DNSMessage(id: 7, flags: 0x0100, questions: [DNSQuestion(name: name, type: 28)]).encoded()]
    }

    static func exercise(dns bytes: [UInt8]) {
        _ = DNSMessage.header(of: bytes)
        guard let m = try? DNSMessage(decoding: bytes) else { return }
        for q in m.questions { _ = q.name.description; #expect(q.name.wireLength <= 255) }
        for r in m.answers + m.authorities + m.additionals { _ = (r.name.description, r.address) }
        _ = (m.rcode.description, m.opt, m.isResponse, m.opcode)
    }

    static func quicPackets(_ rng: inout SeededGenerator) -> [[UInt8]] {
        let dcid = rng.bytes(8...20), scid = rng.bytes(0...20)
        let initial = (try? QUICInitial.encode(version: QUICVersion.reserved(rng.u16()), destinationConnectionID: dcid,
                                                sourceConnectionID: scid, size: rng.int(1200...1300), filler: rng.bytes(1...64))) ?? []
        let vn = QUICVersionNegotiation(unusedBits: rng.u8(), destinationConnectionID: scid, sourceConnectionID: dcid,
                                        supportedVersions: (0..<rng.int(1...4)).map { _ in rng.u32() })
        return [initial, vn.encoded()]
    }

    /// A decoded negotiation re-encodes to exactly the bytes it came from.
    static func exercise(quic bytes: [UInt8]) {
        if let header = QUICLongHeader(parsing: bytes[...]) {
            #expect(7 + header.destinationConnectionID.count + header.sourceConnectionID.count + header.remainder.count == bytes.count)
        }
        if let vn = QUICVersionNegotiation(decoding: bytes) {
            #expect(vn.encoded() == bytes, "\(hexString(bytes))")
        }
    }

    static func mutate(_ original: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var b = original
        for _ in 0..<rng.int(1...4) {
            guard !b.isEmpty else { return rng.bytes(0...8) }
            let i = rng.int(0...(b.count - 1))
            switch rng.int(0...5) {
            case 0: b[i] ^= 1 << UInt8(rng.int(0...7))
            case 1: b = Array(b.prefix(rng.int(0...b.count)))                     // truncation
            case 2: b[i] = rng.pick([0, 1, 3, 4, 8, 12, 20, 21, 24, 0x3F, 0x7F, 0xC0, 0xFF])   // length bytes
            case 3: b.insert(contentsOf: rng.bytes(1...8), at: i)
            case 4: b.removeSubrange(i..<min(b.count, i + rng.int(1...8)))
            default: b += rng.bytes(1...16)
            }
        }
        return b
    }

    @Test(arguments: ["stun", "dns", "quic"])
    func randomTruncatedAndMutated(_ protocolName: String) {
        var rng = SeededGenerator(seed: 0x15_2018 &+ UInt64(protocolName.utf8.reduce(0) { $0 &* 31 &+ Int($1) }))
        for i in 0..<20_000 {
            let pool: [[UInt8]]
            switch protocolName {
            case "stun": pool = Self.stunMessages(&rng)
            case "dns": pool = Self.dnsMessages(&rng)
            default: pool = Self.quicPackets(&rng)
            }
            let seed = rng.pick(pool)
            let bytes: [UInt8]
            switch i % 3 {
            case 0: bytes = rng.bytes(0...400)
            case 1: bytes = Array(seed.prefix(rng.int(0...seed.count)))
            default: bytes = Self.mutate(seed, &rng)
            }
            switch protocolName {
            case "stun": Self.exercise(stun: bytes)
            case "dns": Self.exercise(dns: bytes)
            default: Self.exercise(quic: bytes)
            }
        }
    }

    /// Every whole valid message decodes, and every strict prefix of a STUN or DNS message is refused.
    @Test func validMessagesAndTheirPrefixes() throws {
        var rng = SeededGenerator(seed: 77)
        for _ in 0..<200 {
            for m in Self.stunMessages(&rng) {
                #expect((try? STUNMessage(decoding: m)) != nil)
                for cut in 0..<m.count { #expect((try? STUNMessage(decoding: Array(m.prefix(cut)))) == nil) }
            }
            for m in Self.dnsMessages(&rng) {
                #expect((try? DNSMessage(decoding: m)) != nil)
                for cut in 0..<m.count { #expect((try? DNSMessage(decoding: Array(m.prefix(cut)))) == nil) }
            }
            let quic = Self.quicPackets(&rng)
            #expect(QUICLongHeader(parsing: quic[0][...]) != nil)
            #expect(QUICVersionNegotiation(decoding: quic[1]) != nil)
        }
    }
}
