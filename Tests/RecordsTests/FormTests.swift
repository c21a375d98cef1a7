import JSONSupport
import Records
import Testing

/// The documented forms the shared sub-records are written in.
@Suite struct FormTests {
    static let synAck = FingerprintRecord(source: "198.18.9.2", ttl: 60, ipID: 0, dontFragment: true, tos: 0, length: 44, flags: "SA",
                                          window: 64240, sequence: 7, acknowledgment: 8, options: ["mss"], payloadLength: 0)

    @Test func oneFingerprintThreeForms() {
        #expect(Self.synAck.json.serialized()
            == #"{"src":"198.18.9.2","ttl":60,"ip_id":0,"df":true,"tos":0,"length":44,"flags":"SA","window":64240,"seq":7,"ack":8,"options":["mss"],"payload_len":0}"#)
        #expect(Self.synAck.as(.payload).json.serialized()
            == #"{"ttl":60,"ip_id":0,"df":true,"tos":0,"length":44,"window":64240,"flags":"SA","seq":7,"ack":8,"icmp_type":null,"icmp_code":null}"#)
        #expect(Self.synAck.as(.synResponse).json.serialized()
            == #"{"ttl":60,"ip_id":0,"df":true,"window":64240,"flags":"SA","source":"198.18.9.2"}"#)
        let timeExceeded = FingerprintRecord(source: "198.18.1.1", ttl: 64, ipID: 5, dontFragment: false, tos: 192, length: 72,
                                             icmpType: 11, icmpCode: 0)
        #expect(timeExceeded.json.serialized()
            == #"{"src":"198.18.1.1","ttl":64,"ip_id":5,"df":false,"tos":192,"length":72,"icmp_type":11,"icmp_code":0}"#)
        for f in [Self.synAck, timeExceeded] {
            for form in [FingerprintRecord.Form.probe, .payload, .synResponse] {
                let written = f.as(form).json
                #expect(FingerprintRecord(json: written, form: form).json == written)
            }
        }
    }

    @Test func payloadSweepAbsentNullOrSteps() throws {
        var record = InvestigationRecord(target: "198.18.9.2", port: 80, verdict: "reachable", blocked: false, summary: nil, trigger: nil)
        #expect(record.json["payload_sweep"] == nil)
        record.payloadSweep = .notRun
        #expect(record.json["payload_sweep"] == .null)
        record.payloadSweep = .steps([PayloadStepRecord(ttl: 1, test: .init(outcome: "timeout"), control: .init(outcome: "timeout"))])
        #expect(try InvestigationRecord(json: record.json).payloadSweep == record.payloadSweep)
        for sweep in [InvestigationRecord.PayloadSweep.absent, .notRun] {
            record.payloadSweep = sweep
            #expect(try InvestigationRecord(json: record.json).payloadSweep == sweep)
        }
    }

    /// The keys the engine (`investigate`, campaigns) and `--both` add come after the
    /// documented ones, in their order; results written before the seed was recorded have none.
    @Test func optionalKeysInOrder() throws {
        var record = InvestigationRecord(target: "198.18.9.2", port: 80, verdict: "drop", blocked: true, summary: "s", trigger: nil)
        record.run = .init(transport: "tcp", name: "example.com", script: "lab", seed: 42)
        record.payloadSweep = .notRun
        var reverse = ReverseRecord()
        reverse.outcome = "rst"
        reverse.listener = .init(port: 80, accepted: 0, bytesReceived: 0, reset: false)
        record.reverse = reverse
        record.direction = DirectionRecord(forward: true, reverse: nil, summary: "acts on the forward direction; the reverse direction is inconclusive")
        guard case .object(let fields) = record.json else { Issue.record("not an object"); return }
        #expect(fields.map(\.key).suffix(8) == ["software", "transport", "name", "script", "seed", "payload_sweep", "reverse", "direction"])
        #expect(try InvestigationRecord(json: record.json) == record)
        record.run?.seed = nil
        #expect(try record.json["seed"] == nil && InvestigationRecord(json: record.json).run == record.run)
    }

    @Test func requestsKeepTheirKey() {
        for (request, key) in [(PayloadRequestRecord.http("a.example"), "host"), (.tls("b.example"), "sni"), (.raw(hex: "474554"), "hex")] {
            #expect(request.json[key] != nil)
            #expect(PayloadRequestRecord(json: request.json) == request)
        }
        #expect(PayloadRequestRecord.raw(hex: "00").name == nil && PayloadRequestRecord.tls("x").name == "x")
    }
}
