import Packets
import Probing
import Testing

/// STUN and DNS probes: what they send decodes with Packets' codecs, and only a proper
/// response is recognised.
@Suite struct ApplicationProbeTests {
    static let transactionID: [UInt8] = [0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18, 0x29, 0x3A, 0x4B, 0x5C]

    func stunProbe(ipv6: Bool) throws -> Probe {
        try ModulesFixture.builder(ipv6: ipv6).stunBinding(index: 2, sourcePort: 50000, destinationPort: 3478,
                                                           transactionID: Self.transactionID, ttl: 64, ipID: 3)
    }

    @Test(arguments: [false, true])
    func stunBindingRequestDecodes(ipv6: Bool) throws {
        let probe = try stunProbe(ipv6: ipv6)
        ModulesFixture.expectWellFormed(probe)
        let udp = try #require(probe.packet.transport.udp)
        #expect(udp.destinationPort == 3478 && udp.sourcePort == 50000)
        #expect(Array(udp.payload.prefix(8)) == [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42])
        let message = try STUNMessage(decoding: Array(udp.payload))
        #expect(message.type == STUNMessage.bindingRequest && message.messageClass == .request)
        #expect(message.transactionID == Self.transactionID && message.attributes.isEmpty)
        #expect(probe.module == "stun" && probe.label == "stun binding ttl 64 #2")
        #expect(STUNKind.transactionID(of: probe) == Self.transactionID)
    }

    @Test func stunTransactionIDMustBeTwelveBytes() throws {
        #expect(throws: ProbeBuildError.transactionIDLength(11)) {
            try ModulesFixture.builder(ipv6: false).stunBinding(index: 0, sourcePort: 1, destinationPort: 3478,
                                                                transactionID: Array(Self.transactionID.prefix(11)), ttl: 1, ipID: 0)
        }
    }

    @Test(arguments: [false, true])
    func stunRecognisesResponsesWithItsTransactionID(ipv6: Bool) throws {
        let probe = try stunProbe(ipv6: ipv6)
        let request = try STUNMessage(decoding: Array(try #require(probe.packet.transport.udp).payload))
        func answer(_ message: [UInt8], sport: UInt16 = 3478) throws -> IPPacket {
            try ModulesFixture.reply(.udp(UDPDatagram(sourcePort: sport, destinationPort: 50000, payload: message[...])), to: probe)
        }
        let mapped = STUNAddress(address: probe.source, port: 50000)
        let success = STUNMessage.bindingResponse(to: request, source: mapped, software: "lab").encoded(fingerprint: true)
        #expect(STUNKind.recognises(try answer(success), for: probe))
        #expect(ProbeKinds.recognises(module: "stun", answer: try answer(success), probe: probe))
        let error = STUNMessage(type: STUNMessage.bindingError, transactionID: Self.transactionID,
                                attributes: [STUNAttribute(type: STUNAttribute.errorCode, value: [0, 0, 4, 0])]).encoded()
        #expect(STUNKind.recognises(try answer(error), for: probe))

        var otherID = Self.transactionID
        otherID[11] ^= 1
        let wrongID = STUNMessage(type: STUNMessage.bindingSuccess, transactionID: otherID).encoded()
        #expect(!STUNKind.recognises(try answer(wrongID), for: probe))
        #expect(!STUNKind.recognises(try answer(request.encoded()), for: probe))       // a request, not a response
        #expect(!STUNKind.recognises(try answer(success, sport: 3479), for: probe))
        #expect(!STUNKind.recognises(try answer(Array(success.dropLast())), for: probe))   // not a whole STUN message
        #expect(!STUNKind.recognises(try answer([]), for: probe))
    }

    // MARK: - DNS

    func dnsProbe(ipv6: Bool, name: String = "example.com", type: UInt16 = DNSType.a) throws -> Probe {
        try ModulesFixture.builder(ipv6: ipv6).dnsQuery(index: 4, sourcePort: 53000, destinationPort: 53, id: 0xD00D,
                                                        name: name, type: type, ttl: 64, ipID: 4)
    }

    @Test(arguments: [false, true])
    func dnsQueryDecodes(ipv6: Bool) throws {
        let probe = try dnsProbe(ipv6: ipv6, type: DNSType.aaaa)
        ModulesFixture.expectWellFormed(probe)
        let udp = try #require(probe.packet.transport.udp)
        #expect(udp.destinationPort == 53)
        let query = try DNSMessage(decoding: Array(udp.payload))
        #expect(query.id == 0xD00D && !query.isResponse && query.opcode == 0 && query.recursionDesired)
        #expect(query.flags == 0x0100)
        #expect(query.questions == [DNSQuestion(name: DNSName("example.com")!, type: DNSType.aaaa)])
        #expect(query.answers.isEmpty && query.authorities.isEmpty && query.additionals.isEmpty)
        #expect(probe.module == "dns" && probe.label == "dns AAAA example.com. ttl 64 #4")
        #expect(DNSKind.query(of: probe) == query)
    }

    @Test func dnsNameMustBeValid() throws {
        #expect(throws: ProbeBuildError.invalidDNSName("a..b")) { try dnsProbe(ipv6: false, name: "a..b") }
        let long = String(repeating: "x", count: 64) + ".com"
        #expect(throws: ProbeBuildError.invalidDNSName(long)) { try dnsProbe(ipv6: false, name: long) }
    }

    @Test(arguments: [false, true])
    func dnsRecognisesResponsesToItsQuestion(ipv6: Bool) throws {
        let probe = try dnsProbe(ipv6: ipv6)
        let query = try #require(DNSKind.query(of: probe))
        func answer(id: UInt16 = 0xD00D, name: String = "example.com", type: UInt16 = DNSType.a,
                    response: Bool = true, sport: UInt16 = 53) throws -> IPPacket {
            var m = DNSMessage(id: id, questions: [DNSQuestion(name: DNSName(name)!, type: type)],
                               answers: [.a(DNSName(name)!, IPv4Address(198, 18, 3, 4), ttl: 60)])
            m.isResponse = response
            m.recursionDesired = true
            m.recursionAvailable = true
            return try ModulesFixture.reply(.udp(UDPDatagram(sourcePort: sport, destinationPort: 53000,
                                                             payload: m.encoded()[...])), to: probe)
        }
        #expect(DNSKind.recognises(try answer(), for: probe))
        #expect(DNSKind.recognises(try answer(name: "ExAmPlE.CoM."), for: probe))   // 0x20 case echo
        #expect(ProbeKinds.recognises(module: "dns", answer: try answer(), probe: probe))
        #expect(!DNSKind.recognises(try answer(id: 0xD00E), for: probe))
        #expect(!DNSKind.recognises(try answer(name: "example.org"), for: probe))
        #expect(!DNSKind.recognises(try answer(name: "www.example.com"), for: probe))
        #expect(!DNSKind.recognises(try answer(type: DNSType.aaaa), for: probe))
        #expect(!DNSKind.recognises(try answer(response: false), for: probe))
        #expect(!DNSKind.recognises(try answer(sport: 5353), for: probe))
        let noQuestion = DNSMessage(id: query.id, flags: 0x8181)
        #expect(!DNSKind.recognises(try ModulesFixture.reply(.udp(UDPDatagram(sourcePort: 53, destinationPort: 53000,
                                                                                  payload: noQuestion.encoded()[...])),
                                                                to: probe), for: probe))
        #expect(!DNSKind.recognises(try ModulesFixture.reply(.udp(UDPDatagram(sourcePort: 53, destinationPort: 53000,
                                                                                  payload: [0xD0, 0x0D, 0x81])), to: probe),
                                      for: probe))
    }

    // MARK: - Registry

    @Test func registryKnowsEveryKindOnce() {
        for name in ["syn", "tcp", "icmp", "udp", "stun", "dns"] {
            #expect(ProbeKinds.kind(named: name) != nil, "\(name)")
        }
        #expect(ProbeKinds.kind(named: "http") == nil)
        let names = ProbeKinds.all.flatMap { $0.names }
        #expect(Set(names).count == names.count)
    }

    /// A probe kind's answers are not another kind's: a STUN response does not pass as DNS.
    @Test func kindsDoNotAcceptEachOthersAnswers() throws {
        let stun = try stunProbe(ipv6: false)
        let dns = try dnsProbe(ipv6: false)
        let request = try STUNMessage(decoding: Array(try #require(stun.packet.transport.udp).payload))
        let success = STUNMessage.bindingResponse(to: request, source: STUNAddress(address: stun.source, port: 50000),
                                                  software: nil).encoded()
        let stunAnswerOnDNSFlow = try ModulesFixture.reply(.udp(UDPDatagram(sourcePort: 53, destinationPort: 53000,
                                                                            payload: success[...])), to: dns)
        #expect(!DNSKind.recognises(stunAnswerOnDNSFlow, for: dns))
        #expect(UDPKind.recognises(stunAnswerOnDNSFlow, for: dns))   // any datagram passes plain UDP
        #expect(!STUNKind.recognises(stunAnswerOnDNSFlow, for: dns))   // the DNS probe carries no transaction ID
    }
}
