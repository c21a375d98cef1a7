import LabServices
import Packets
import Testing

@Suite struct DNSCodecTests {
    /// `dig +noedns example.com A` as captured: id 0x1234, RD.
    static let query = RFC5769.bytes("123401000001000000000000076578616d706c6503636f6d0000010001")

    @Test func decodesAQuery() throws {
        let m = try DNSMessage(decoding: Self.query)
        #expect(m.id == 0x1234)
        #expect(!m.isResponse)
        #expect(m.recursionDesired)
        #expect(m.opcode == 0)
        #expect(m.questions == [DNSQuestion(name: DNSName("example.com")!, type: DNSType.a)])
        #expect(m.encoded() == Self.query)
    }

    @Test func compressesAnswerNamesAgainstTheQuestion() throws {
        var m = try DNSMessage(decoding: Self.query)
        m.isResponse = true
        m.answers = [.a(m.questions[0].name, IPv4Address("198.18.3.2")!, ttl: 60)]
        let bytes = m.encoded()
        // Question as sent, then the answer's name as a pointer to offset 12.
        #expect(Array(bytes[29..<31]) == [0xC0, 0x0C])
        #expect(bytes.count == 29 + 2 + 10 + 4)
        let back = try DNSMessage(decoding: bytes)
        #expect(back.answers.first?.address == IPAddress("198.18.3.2"))
        #expect(back.answers.first?.name == DNSName("example.com"))
    }

    @Test func namesPrintLikeDig() {
        #expect(DNSName("Example.COM")!.description == "Example.COM.")
        #expect(DNSName.root.description == ".")
        #expect(DNSName(labels: [[0x61, 0x2E, 0x00]]).description == "a\\.\\000.")
        #expect(DNSName("a..b") == nil)
        #expect(DNSName(String(repeating: "a", count: 64)) == nil)
        #expect(DNSName("x.Invalid")!.isWithin(DNSName("invalid")!))
        #expect(!DNSName("invalid.example")!.isWithin(DNSName("invalid")!))
    }

    @Test func rejectsPointerLoopsAndOverruns() {
        // Question name is a pointer to itself.
        let loop = RFC5769.bytes("123401000001000000000000c00c00010001")
        #expect(throws: DNSError.badPointer) { try DNSMessage(decoding: loop) }
        // A forward pointer.
        let forward = RFC5769.bytes("123401000001000000000000c01000010001")
        #expect(throws: DNSError.badPointer) { try DNSMessage(decoding: forward) }
        // A label longer than the message.
        let overrun = RFC5769.bytes("12340100000100000000000020616263")
        #expect(throws: DNSError.truncated) { try DNSMessage(decoding: overrun) }
        // Record data longer than the message.
        let rdata = RFC5769.bytes("123481000000000100000000000001000100000000ffff01")
        #expect(throws: DNSError.truncated) { try DNSMessage(decoding: rdata) }
        let extended = RFC5769.bytes("1234010000010000000000004161")
        #expect(throws: DNSError.badLabel) { try DNSMessage(decoding: extended) }
    }

    @Test func randomBytesNeverTrap() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var bytes = (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if bytes.count > 12, Bool.random(using: &rng) {
                bytes.replaceSubrange(4..<12, with: [0, 1, 0, 1, 0, 0, 0, 1])  // plausible counts
            }
            _ = try? DNSMessage(decoding: bytes)
            _ = DNSResponder(ipv4: [], ipv6: []).respond(to: bytes, udp: true)
        }
    }
}

@Suite struct DNSResponderTests {
    let responder = DNSResponder(ipv4: [IPv4Address("198.18.3.2")!, IPv4Address("198.18.3.3")!],
                                 ipv6: [IPv6Address("2001:db8:3::2")!])

    func query(_ name: String, _ type: UInt16, id: UInt16 = 7, edns: Bool = false) -> [UInt8] {
        var m = DNSMessage(id: id, questions: [DNSQuestion(name: DNSName(name)!, type: type)])
        m.recursionDesired = true
        if edns { m.additionals = [.opt(udpPayloadSize: 4096)] }
        return m.encoded()
    }

    func answer(_ bytes: [UInt8], udp: Bool = true) throws -> DNSMessage {
        let outcome = responder.respond(to: bytes, udp: udp)
        return try DNSMessage(decoding: try #require(outcome.response))
    }

    @Test func answersAAndAAAAForAnyName() throws {
        let a = try answer(query("Blocked.Example", DNSType.a, id: 99))
        #expect(a.id == 99 && a.isResponse && a.authoritative && a.recursionDesired)
        #expect(a.rcode == .noError)
        #expect(a.questions.first?.name.description == "Blocked.Example.")   // case echoed
        #expect(a.answers.compactMap(\.address) == [IPAddress("198.18.3.2")!, IPAddress("198.18.3.3")!])
        #expect(a.answers.allSatisfy { $0.ttl == 60 && $0.name == DNSName("Blocked.Example") })
        let aaaa = try answer(query("x.y.z", DNSType.aaaa))
        #expect(aaaa.answers.compactMap(\.address) == [IPAddress("2001:db8:3::2")!])
    }

    @Test func otherTypesGetNoDataAndInvalidGetsNXDOMAIN() throws {
        let mx = try answer(query("example.com", 15))
        #expect(mx.rcode == .noError && mx.answers.isEmpty)
        for name in ["foo.invalid", "INVALID", "a.b.Invalid."] {
            let nx = try answer(query(name, DNSType.a))
            #expect(nx.rcode == .nameError)
            #expect(nx.answers.isEmpty)
        }
    }

    @Test func echoesEDNS() throws {
        let m = try answer(query("example.com", DNSType.a, edns: true))
        #expect(m.opt?.rclass == 1232)
        let plain = try answer(query("example.com", DNSType.a))
        #expect(plain.opt == nil)
    }

    @Test func malformedQueriesGetFORMERROrNothing() throws {
        // Header fine, question cut short.
        let cut = Array(query("example.com", DNSType.a).prefix(20))
        let formerr = try answer(cut)
        #expect(formerr.rcode == .formatError && formerr.id == 7 && formerr.questions.isEmpty)
        // Two questions.
        var two = DNSMessage(id: 1, questions: [DNSQuestion(name: DNSName("a")!, type: 1), DNSQuestion(name: DNSName("b")!, type: 1)])
        #expect(try answer(two.encoded()).rcode == .formatError)
        // Not a query at all: a response, or too short.
        two.isResponse = true
        #expect(responder.respond(to: two.encoded(), udp: true).response == nil)
        #expect(responder.respond(to: [1, 2, 3], udp: true).response == nil)
        // Other opcodes: NOTIMP.
        var notify = DNSMessage(id: 3, questions: [DNSQuestion(name: DNSName("a")!, type: 6)])
        notify.opcode = 4
        #expect(try answer(notify.encoded()).rcode == .notImplemented)
    }

    @Test func truncatesOverUDPWhenTooBig() throws {
        let many = DNSResponder(ipv4: (1...40).map { IPv4Address(198, 18, 0, UInt8($0)) }, ipv6: [])
        let q = query(String(repeating: "a", count: 60) + ".example", DNSType.a)
        let udp = try DNSMessage(decoding: many.respond(to: q, udp: true).response!)
        #expect(udp.truncated && udp.answers.isEmpty)
        let tcp = try DNSMessage(decoding: many.respond(to: q, udp: false).response!)
        #expect(!tcp.truncated && tcp.answers.count == 40)
    }
}
