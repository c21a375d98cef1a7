import Foundation
import JSONSupport
import Records
import Testing

/// Outputs of the real binary (Fixtures/README.md says how each was made): decoding then
/// encoding gives the same bytes.
@Suite struct RoundTripTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func files(_ prefix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) && ($0.hasSuffix(".json") || $0.hasSuffix(".jsonl")) }.sorted()
    }

    /// Each line of a fixture (the binary prints one object per line) decoded and encoded again.
    func roundTrip<R: JSONRecord>(_ type: R.Type, prefix: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let names = Self.files(prefix)
        #expect(!names.isEmpty, "no fixture starts with \(prefix)", sourceLocation: sourceLocation)
        for name in names {
            let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            #expect(!lines.isEmpty, "\(name) is empty", sourceLocation: sourceLocation)
            for line in lines {
                let record = try R(bytes: Array(line.utf8))
                #expect(record.json.serialized() == String(line), "\(name) does not round-trip", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func investigations() throws { try roundTrip(InvestigationRecord.self, prefix: "investigate") }
    @Test func traces() throws { try roundTrip(TraceRecord.self, prefix: "trace-") }
    @Test func tracePairs() throws { try roundTrip(TracePairRecord.self, prefix: "trace2-") }
    @Test func probeResults() throws { try roundTrip(ProbeResultRecord.self, prefix: "probe-") }
    @Test func payloadTraces() throws { try roundTrip(PayloadTraceRecord.self, prefix: "payload-") }
    @Test func routeComparisons() throws { try roundTrip(RouteComparisonRecord.self, prefix: "routes-") }
    @Test func sweeps() throws { try roundTrip(SweepRecord.self, prefix: "analyze-") }
    @Test func sweepTargets() throws { try roundTrip(SweepTargetRecord.self, prefix: "sweep-target") }
    @Test func campaignItems() throws { try roundTrip(InvestigationRecord.self, prefix: "campaign-") }

    /// The engine's investigations as the lab recorded them for the replay tests, with the
    /// item's keys and the seed (`payload_sweep` too in keyword-http).
    @Test func engineInvestigationsWithTheirSeed() throws {
        let recorded = Self.directory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MeasurementTests/Fixtures")
        let names = try FileManager.default.contentsOfDirectory(atPath: recorded.path).filter { $0.hasSuffix(".json") }
        #expect(names.count >= 8)
        for name in names {
            let text = try String(contentsOf: recorded.appendingPathComponent(name), encoding: .utf8)
            let record = try InvestigationRecord(bytes: Array(text.utf8))
            #expect(record.json.serialized() + "\n" == text, "\(name) does not round-trip")
            #expect(record.run?.seed != nil && record.run?.script != nil && record.additionalFields.isEmpty, "\(name)")
        }
    }

    @Test func schemasAreVersioned() {
        let schemas = [InvestigationRecord.schema, TraceRecord.schema, TracePairRecord.schema, ProbeResultRecord.schema,
                       PayloadTraceRecord.schema, RouteComparisonRecord.schema, SweepRecord.schema, ReverseRecord.schema]
        #expect(Set(schemas).count == schemas.count)
        for schema in schemas {
            #expect(schema.hasPrefix("censorscope."))
            #expect(schema.hasSuffix("/1"))
        }
    }

    /// A record that was enriched keeps its AS keys right after the address; one that was
    /// not keeps the investigation's null placeholders at the end.
    @Test func enrichmentMovesTheASKeys() throws {
        let hop = HopRecord(ttl: 2, address: "198.18.2.2", rttMilliseconds: 0.5, kind: "time-exceeded", annotation: .trailing)
        #expect(hop.json.serialized() == #"{"ttl":2,"address":"198.18.2.2","rtt_ms":0.5,"kind":"time-exceeded","asn":null,"as_name":null}"#)
        let enriched = hop.annotated(hostname: true) { _ in HopAnnotationValues(asn: 64500, asName: "Lab", hostname: nil) }
        #expect(enriched.json.serialized()
            == #"{"ttl":2,"address":"198.18.2.2","asn":64500,"as_name":"Lab","hostname":null,"rtt_ms":0.5,"kind":"time-exceeded"}"#)
        #expect(HopRecord(json: enriched.json) == enriched)
        #expect(HopRecord(json: hop.json) == hop)
    }

    /// Keys a later version adds pass through after the known ones.
    @Test func unknownKeysPassThrough() throws {
        let text = #"{"schema":"censorscope.investigation/2","target":"198.18.9.3","verdict":"drop","later":{"x":[1,2]}}"#
        let record = try InvestigationRecord(bytes: Array(text.utf8))
        #expect(record.schemaName == "censorscope.investigation/2")
        #expect(record.additionalFields.map(\.key) == ["later"])
        #expect(record.json["later"] == JSONValue.object([("x", [1, 2])]))
    }
}
