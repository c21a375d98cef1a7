import JSONSupport
import Packets
import Probing
import Testing

/// The table of probe kinds: every kind once, names and answer kinds unique, parameters
/// described so that a front end can check and build from them.
@Suite struct ProbeKindsTests {
    @Test func everyKindIsListedOnceWithUniqueNames() {
        let ids = ProbeKinds.all.map { ObjectIdentifier($0) }
        #expect(Set(ids).count == ids.count)
        let names = ProbeKinds.all.flatMap { $0.names }
        #expect(Set(names).count == names.count, "\(names)")
        #expect(Set(names) == ["syn", "tcp", "icmp", "udp", "stun", "dns", "quic"])
        for name in names { #expect(ProbeKinds.kind(named: name)?.names.contains(name) == true, "\(name)") }
        #expect(ProbeKinds.kind(named: "http") == nil && ProbeKinds.datagramKind(named: "syn") == nil)
        #expect(ProbeKinds.datagram.map { $0.name } == ["stun", "dns", "quic"])
        #expect(ProbeKinds.datagram.count <= 64)
        for kind in ProbeKinds.datagram {
            #expect(kind.names == [kind.name])
            #expect(ProbeKinds.datagramKind(named: kind.name).map { ObjectIdentifier($0) } == ObjectIdentifier(kind))
            #expect(ids.contains(ObjectIdentifier(kind)), "\(kind.name) is a datagram kind but not in all")
            #expect(!kind.summary.isEmpty && kind.defaultPort > 0)
        }
    }

    /// The JSON words of answers are documented (Docs/probing.md); they must not drift.
    @Test func answerKindsKeepTheirDocumentedWords() {
        let words = ProbeKinds.answerKinds.map(\.rawValue)
        #expect(Set(words).count == words.count, "\(words)")
        #expect(Set(words) == ["syn-ack", "rst", "tcp", "echo-reply", "udp", "stun-response", "dns-response",
                               "version-negotiation", "time-exceeded", "port-unreachable", "unreachable", "icmp-other"])
        #expect(AnswerKind.synAck.rawValue == "syn-ack" && AnswerKind.echoReply.rawValue == "echo-reply")
        #expect(STUNKind.responseKind.rawValue == "stun-response" && DNSKind.responseKind.rawValue == "dns-response")
        #expect(QUICKind.responseKind.rawValue == "version-negotiation")
        for kind in AnswerKind.icmpErrors { #expect(kind.resultWord == "icmp" && kind.isICMPError) }
        for kind in [AnswerKind.synAck, .rst, .udp, QUICKind.responseKind] { #expect(kind.resultWord == kind.rawValue) }
        #expect(Set(ProbeKinds.serviceAnswerKinds) == [.udp, STUNKind.responseKind, DNSKind.responseKind, QUICKind.responseKind])
        #expect(AnswerKind(rawValue: "rst") == .rst)
    }

    /// What a front end needs to fill before building: the required parameters.
    static func required(_ kind: any DatagramKind.Type) -> [String: KindValue] {
        kind.name == "dns" ? ["name": .text("example.com")] : [:]
    }

    @Test func parametersAreDescribedAndTheirDefaultsValid() throws {
        for kind in ProbeKinds.datagram {
            let parameters = ProbeKinds.parameters(of: kind)
            let names = parameters.map(\.name)
            #expect(Array(names.prefix(3)) == ["port", "ttl", "count"])
            #expect(Set(names).count == names.count, "\(kind.name): \(names)")
            // The command line reads these next to the run options and ArgumentParser's own.
            #expect(Set(names).isDisjoint(with: ["rate", "timeout", "pcap", "interface", "allow_reserved", "json", "help", "version"]))
            for p in parameters {
                #expect(p.name.allSatisfy { $0.isLowercase || $0 == "_" } && !p.help.isEmpty, "\(kind.name).\(p.name)")
                #expect(p.flag == "--" + p.name.replacingOccurrences(of: "_", with: "-"))
                if case .value(let v) = p.defaultValue { #expect((try? p.check(v)) == v, "\(kind.name).\(p.name) default \(v)") }
            }
            let arguments = try ProbeKinds.arguments(for: kind, values: Self.required(kind))
            #expect(arguments.port == kind.defaultPort && arguments.ttl == 64 && arguments.count == 1)
        }
    }

    @Test func parametersAreChecked() throws {
        func problem(_ kind: any DatagramKind.Type, _ values: [String: KindValue]) -> KindParameterError? {
            do { _ = try ProbeKinds.arguments(for: kind, values: values); return nil } catch { return error }
        }
        #expect(problem(STUNKind.self, ["count": .integer(0)]) == KindParameterError(parameter: "count", problem: "must be between 1 and 10000, not 0"))
        #expect(problem(STUNKind.self, ["port": .integer(70_000)])?.parameter == "port")
        #expect(problem(STUNKind.self, ["ttl": .text("x")])?.problem == "must be a whole number between 1 and 255, not 'x'")
        #expect(problem(STUNKind.self, ["name": .text("example.com")])?.problem.hasPrefix("is not a parameter of stun probes") == true)
        #expect(problem(DNSKind.self, [:]) == KindParameterError(parameter: "name", problem: "is required: the name to query."))
        #expect(problem(DNSKind.self, ["name": .text("a..b")])?.parameter == "name")
        #expect(problem(DNSKind.self, ["name": .text("example.com"), "type": .text("MX?")])?.parameter == "type")
        #expect(problem(DNSKind.self, ["name": .text("example.com"), "type": .text("aaaa")]) == nil)
        #expect(problem(DNSKind.self, ["name": .text("example.com"), "type": .text("65")]) == nil)
        #expect(problem(QUICKind.self, ["offered_version": .integer(1)])?.problem.contains("0x00000001") == true)
        #expect(problem(QUICKind.self, ["offered_version": .text("0x1a2a3a4a")]) == nil)
        #expect(problem(QUICKind.self, ["dcid_length": .integer(7)])?.parameter == "dcid_length")
        #expect(problem(QUICKind.self, ["size": .integer(1199)])?.parameter == "size")
        #expect(KindParameterError(parameter: "dcid_length", problem: "x").commandLineDescription == "--dcid-length x")
    }

    @Test func commandLineOptionsAreTakenOutOfTheWords() throws {
        let (dns, rest) = try ProbeKinds.arguments(for: DNSKind.self,
                                                   commandLine: ["198.18.9.2", "--name", "example.com", "--json", "--type=aaaa", "--ttl", "5", "--rate", "10"])
        #expect(rest == ["198.18.9.2", "--json", "--rate", "10"])
        #expect(dns.text("name") == "example.com" && dns.text("type") == "aaaa" && dns.ttl == 5 && dns.port == 53)
        let (quic, _) = try ProbeKinds.arguments(for: QUICKind.self, commandLine: ["h", "--offered-version", "0xfafafafa", "--dcid-length", "20"])
        #expect(quic.integer("offered_version") == 0xFAFA_FAFA && quic.integer("dcid_length") == 20)
        // Words after `--` are the command's.
        let (_, after) = try ProbeKinds.arguments(for: STUNKind.self, commandLine: ["h", "--", "--port", "1"])
        #expect(after == ["h", "--", "--port", "1"])
        #expect(throws: KindParameterError.self) { try ProbeKinds.arguments(for: STUNKind.self, commandLine: ["h", "--port"]) }
        #expect(throws: KindParameterError(parameter: "port", problem: "is given twice; give it once")) {
            try ProbeKinds.arguments(for: STUNKind.self, commandLine: ["--port", "1", "--port=2"])
        }
    }

    @Test(arguments: [false, true])
    func everyDatagramKindBuildsWellFormedRequests(ipv6: Bool) throws {
        var random = SplitMix64(seed: 42)
        for kind in ProbeKinds.datagram {
            var values = Self.required(kind)
            values["ttl"] = .integer(9)
            let arguments = try ProbeKinds.arguments(for: kind, values: values)
            let probe = try ProbeKinds.datagramProbe(kind, builder: try ModulesFixture.builder(ipv6: ipv6), index: 3,
                                                     sourcePort: 61_234, ipID: 77, arguments: arguments, random: &random)
            ModulesFixture.expectWellFormed(probe)
            let udp = try #require(probe.packet.transport.udp)
            #expect(probe.module == kind.name && probe.ttl == 9 && probe.label.hasSuffix(" ttl 9 #3"), "\(probe.label)")
            #expect(udp.sourcePort == 61_234 && udp.destinationPort == kind.defaultPort)
            #expect(kind.requestTransaction(udp.payload) != nil, "\(kind.name) request without transaction")
            #expect(kind.responseTransaction(udp.payload) == nil, "\(kind.name) takes its own request for a response")
            #expect(ProbeKinds.recognises(module: kind.name, answer: probe.packet, probe: probe) == false)
            // Fields of a result without an answer: every kind says what it has, with nulls.
            let fields = kind.resultFields(probe: probe, answer: nil)
            #expect(!fields.isEmpty && Set(fields.map(\.key)).count == fields.count)
        }
    }

    @Test func transactionIDsCompareExactly() throws {
        let a = try #require(TransactionID([1, 2, 3]))
        #expect(a == TransactionID([1, 2, 3]) && a != TransactionID([1, 2, 3, 0]) && a != TransactionID([1, 2, 4]))
        #expect(TransactionID([UInt8](repeating: 9, count: 48)) != nil && TransactionID([UInt8](repeating: 9, count: 49)) == nil)
        let long = (0..<48).map { UInt8($0) }
        var other = long
        other[47] ^= 1
        #expect(TransactionID(long) != TransactionID(other))
        #expect(TransactionID([]) == TransactionID([UInt8]()) && TransactionID([]) != TransactionID([0]))
    }
}
