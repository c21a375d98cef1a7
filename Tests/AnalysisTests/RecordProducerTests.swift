import Capture
import Foundation
import JSONSupport
import Packets
import Probing
import Records
import Testing
@testable import Analysis

/// The records Analysis makes from Probing's values write what the documentation and the
/// golden outputs of the binary say.
@Suite struct RecordProducerTests {
    static let client = IPAddress("198.18.1.2")!
    static let target = IPAddress("198.18.9.2")!
    static let router = IPAddress("198.18.2.2")!

    func v4(_ a: IPAddress) -> IPv4Address {
        guard case .v4(let x) = a else { preconditionFailure("IPv4 in these tests") }
        return x
    }

    /// A SYN, an echo, and the answers a network sends them, matched by the correlator.
    func run() throws -> (syn: Probe, echo: Probe, answers: [[Answer]]) {
        let builder = try ProbeBuilder(source: Self.client, destination: Self.target)
        let syn = try builder.tcp(index: 0, shape: .variant(.linux), sourcePort: 40000, destinationPort: 80, sequence: 1234,
                                  ttl: 64, ipID: 7, label: "syn linux ttl 64 #0")
        let echo = try builder.icmpEcho(index: 1, identifier: 0x4242, sequence: 1, payloadSize: 56, ttl: 64, ipID: 8)
        var correlator = Correlator(probes: [syn, echo])
        func observe(_ packet: IPPacket, ms: UInt32) {
            let parsed = (try? IPPacket.parse(packet.serialized())) ?? packet
            _ = correlator.observe(parsed, at: CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: ms * 1_000_000 + 123_457))
        }
        let rst = TCPSegment(sourcePort: 80, destinationPort: 40000, sequenceNumber: 0, acknowledgmentNumber: 1235,
                             flags: [.rst, .ack], window: 0)
        observe(IPPacket(header: .v4(IPv4Header(identification: 1, ttl: 58, proto: 6, source: v4(Self.target), destination: v4(Self.client))),
                         transport: .tcp(rst)), ms: 1)
        var quote = Array(syn.bytes.prefix(28))
        quote[8] = 1   // the TTL as the router saw it
        observe(IPPacket(header: .v4(IPv4Header(identification: 99, ttl: 63, proto: 1, source: v4(Self.router), destination: v4(Self.client))),
                         transport: .icmp(ICMPMessage(family: .v4, type: 11, code: 0, restOfHeader: 0, body: quote[...]))), ms: 2)
        let m = echo.packet.transport.icmp!
        observe(IPPacket(header: .v4(IPv4Header(identification: 5, flags: [.dontFragment], ttl: 60, proto: 1,
                                                source: v4(Self.target), destination: v4(Self.client))),
                         transport: .icmp(ICMPMessage(family: .v4, type: 0, code: 0, restOfHeader: m.restOfHeader, body: m.body))), ms: 3)
        return (syn, echo, [correlator.answers(for: 0), correlator.answers(for: 1)])
    }

    /// The probe form of a fingerprint, an answer and a trace response, as Docs/probing.md
    /// gives them (and as Probing's own JSON wrote them before the records).
    @Test func answersAndFingerprintsInTheDocumentedForm() throws {
        let r = try run()
        let all = r.answers.flatMap { $0 }
        #expect(all.count == 3)
        let rst = try #require(all.first { $0.kind == .rst })
        #expect(rst.fingerprint.record().json.serialized()
            == #"{"src":"198.18.9.2","ttl":58,"ip_id":1,"df":false,"tos":0,"length":40,"flags":"RA","window":0,"seq":0,"ack":1235,"options":[],"payload_len":0}"#)
        let assessment = InjectionAssessment(injected: true, reasons: ["TTL 58 where the host's arrive with 60."])
        #expect(rst.record(injection: assessment).json.objectKeys
            == ["probe", "kind", "from", "rtt_ms", "match", "duplicates", "fingerprint", "injected", "injection_reasons"])
        let exceeded = try #require(all.first { $0.quotedTTL != nil })
        #expect(exceeded.record().json.objectKeys
            == ["probe", "kind", "from", "rtt_ms", "match", "duplicates", "fingerprint", "quoted_ttl", "quote_diff"])
        #expect(exceeded.fingerprint.record().json.objectKeys == ["src", "ttl", "ip_id", "df", "tos", "length", "icmp_type", "icmp_code"])
        #expect(HopResponse(exceeded).record.json.objectKeys == ["address", "kind", "rtt_ms", "probe", "fingerprint", "quote_diff"])
    }

    @Test func traceHopsInTheDocumentedForm() throws {
        let r = try run()
        let hops = [TraceHop(ttl: 1, responses: []), TraceHop(ttl: 2, responses: r.answers[0].map(HopResponse.init))]
        let trace = Trace(destination: Self.target, hops: hops, reached: true, destinationTTL: 2, stopReason: "reached")
        #expect(hops[0].record.json.serialized() == #"{"ttl":1,"address":null,"rtt_ms":null,"kind":"silent","responses":[]}"#)
        #expect(hops[1].record.json.objectKeys == ["ttl", "address", "rtt_ms", "kind", "responses"])
        let record = trace.record(target: Self.target, source: Self.client, method: "tcp", port: 80, sourcePort: 40000,
                                  variant: "mss", probeSize: 44, probesSent: 2, answers: 2, durationMilliseconds: 3)
        guard case .object(let fields) = record.json else { Issue.record("not an object"); return }
        #expect(fields.map(\.key) == ["target", "source", "method", "port", "sport", "variant", "probe_size", "hops", "reached",
                                      "destination_ttl", "stop_reason", "probes_sent", "answers", "duration_ms"])
        #expect(try TraceRecord(json: record.json) == record)
        // The agent's answer adds its evidence last.
        var served = record
        served.evidencePCAPNG = "AAAA"
        #expect(try served.json.objectKeys.last == "evidence_pcapng" && TraceRecord(json: served.json) == served)
    }

    @Test func probeResultsHaveTheDocumentedKeys() throws {
        let r = try run()
        let syn = ProbeResultRecord.syn(target: Self.target, port: 80, variant: "linux", probe: r.syn, result: "rst",
                                        answers: r.answers[0], assessments: r.answers[0].map { _ in InjectionAssessment(injected: false, reasons: []) },
                                        reference: r.answers[1].first?.fingerprint)
        #expect(syn.json.objectKeys == ["target", "port", "variant", "size", "probe", "result", "injected", "injection_reasons",
                                         "response", "rtt_ms", "icmp", "answers", "reference"])
        #expect(syn.json["probe"]?.objectKeys == ["src", "sport", "seq", "ttl", "flags", "window", "options", "payload_len", "length"])
        #expect(syn.json["probe"]?["options"] == ["mss", "sackOK", "TS", "nop", "wscale"])
        let echo = ProbeResultRecord.datagram(target: Self.target, kind: "icmp", port: nil, probe: r.echo, result: "echo-reply",
                                              answers: r.answers[1], kindFields: [("extra", "x")])
        #expect(echo.json.objectKeys == ["target", "kind", "probe", "result", "response", "rtt_ms", "icmp", "extra", "answers"])
        #expect(echo.json["icmp"]?.objectKeys == ["type", "code", "kind", "from"])   // as `probe icmp` writes it for an echo reply
        for record in [syn, echo] { #expect(try ProbeResultRecord(json: record.json) == record) }
    }

    /// `probe payload`'s observation, rebuilt from a golden output, writes that output.
    @Test func payloadObservationAsTheBinaryWroteIt() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("RecordsTests/Fixtures/payload-keyword.json")
        let golden = try PayloadTraceRecord(bytes: Array(try Data(contentsOf: url)))
        var checked = 0
        for step in golden.steps {
            for o in [step.test, step.control] {
                let f = o.fingerprint
                let observation = PayloadObservation(
                    outcome: try #require(PayloadOutcome(rawValue: o.outcome ?? "")), from: o.from.flatMap(IPAddress.init),
                    rttMilliseconds: o.rttMilliseconds,
                    fingerprint: f.map { f in
                        Fingerprint(source: Self.target, ttl: UInt8(f.ttl ?? 0), ipID: f.ipID.map { UInt32($0) }, dontFragment: f.dontFragment ?? false,
                                    tos: UInt8(f.tos ?? 0), length: f.length ?? 0, flags: f.flags.map(Self.flags), window: f.window.map { UInt16($0) },
                                    sequenceNumber: f.sequence.map { UInt32($0) }, acknowledgmentNumber: f.acknowledgment.map { UInt32($0) },
                                    icmpType: f.icmpType.map { UInt8($0) }, icmpCode: f.icmpCode.map { UInt8($0) })
                    },
                    quoteDifferences: o.quoteDifferences.map { QuoteDifference(field: $0.field, sent: $0.sent, quoted: $0.quoted) },
                    responseBytes: o.responseBytes ?? 0, firstBytes: o.firstLine, inWindow: o.inWindow,
                    timeExceededFrom: o.timeExceededFrom.flatMap(IPAddress.init), socketError: o.socketError)
                #expect(observation.record.json == o.json)
                checked += 1
            }
        }
        #expect(checked >= 8)
    }

    static func flags(_ letters: String) -> TCPFlags {
        var f: TCPFlags = []
        for (letter, flag) in [("S", TCPFlags.syn), ("F", .fin), ("R", .rst), ("P", .psh), ("A", .ack), ("U", .urg)]
            where letters.contains(letter) { f.insert(flag) }
        return f
    }

    /// The datagram analysis gives the investigation record, which reads back as written.
    @Test func datagramAnalysisMakesTheInvestigationRecord() throws {
        let builder = try ProbeBuilder(source: Self.client, destination: Self.target)
        let echo = try builder.icmpEcho(index: 0, identifier: 1, sequence: 1, payloadSize: 56, ttl: 64, ipID: 7)
        let stun = try builder.stunBinding(index: 1, sourcePort: 61001, destinationPort: 3478, transactionID: Array(1...12),
                                           ttl: 64, ipID: 8, label: "stun binding port 3478")
        let result = DatagramAnalysis.analyse(DatagramInput(target: Self.target, port: 3478, echoReplies: [],
                                                            trials: [DatagramTrial(probe: stun, answers: [])]))
        _ = echo
        var context = Investigation.ReportContext()
        context.run = .init(transport: "udp", name: nil, script: "lab", seed: 1)
        let record = result.record(context)
        #expect(record.verdict == "unreachable" && record.blocked == false && record.synVariants.isEmpty && record.port == 3478)
        let read = try InvestigationRecord(json: record.json)
        #expect(read == record && read.run?.transport == "udp")
        #expect(record.json.objectKeys.suffix(5) == ["transport", "name", "script", "seed", "layers_tested"])
        #expect(read.layersTested == ["icmp", "udp"])
    }
}

extension JSONValue {
    var objectKeys: [String] {
        if case .object(let fields) = self { return fields.map(\.key) }
        return []
    }
}
