import JSONSupport
import Packets
import Probing
import Records
import Testing
@testable import Analysis

@Suite struct ASNHopEnrichmentTests {
    static func response(_ address: String, probe: Int) -> HopResponse {
        let a = IPAddress(address) ?? .v4(IPv4Address(0))
        return HopResponse(address: a, kind: .timeExceeded, rttMilliseconds: 1.5, probeIndex: probe,
                           fingerprint: Fingerprint(source: a, ttl: 250, ipID: 1, dontFragment: false, tos: 0, length: 56,
                                                    icmpType: 11, icmpCode: 0),
                           quoteDifferences: [], mplsLabels: [])
    }

    @Test func annotationsPerDistinctAddress() throws {
        let db = try ASNDatabase(text: ASNSamples.iptoasn)
        let addresses = ["1.0.0.1", "159.89.184.10", "1.0.0.1", "198.18.0.1", "2001:4860::1"].compactMap(IPAddress.init)
        let names: [IPAddress: String] = [addresses[0]: "one.one.example"]
        let out = HopEnrichment.annotate(addresses, database: db, hostnames: names)
        #expect(out.count == 4)
        #expect(out[addresses[0]] == HopAnnotation(asn: 13335, asName: "CLOUDFLARENET", country: "US", asLabel: "AS13335", hostname: "one.one.example"))
        #expect(out[addresses[1]]?.asn == 14061)
        #expect(out[addresses[1]]?.country == "DE")
        #expect(out[addresses[3]] == HopAnnotation())
        #expect(out[addresses[4]]?.asName == "GOOGLE")
        #expect(out[addresses[0]]?.bracket == "[AS13335 CLOUDFLARENET]")
        #expect(out[addresses[3]]?.bracket == "[*]")
        let pfx = try ASNDatabase(text: ASNSamples.pfx2as)
        #expect(HopAnnotation(pfx.lookup(try #require(IPAddress("1.0.5.1")))).bracket == "[AS64500_64501]")
        // Without a database only the names are known.
        #expect(HopEnrichment.annotate(addresses, database: nil, hostnames: names)[addresses[0]] == HopAnnotation(hostname: "one.one.example"))
    }

    /// The hop objects of `trace --json` gain asn and as_name after `address`, in the hop and
    /// in each response; silent hops get nulls.
    @Test func traceHopJSONGainsTheFields() throws {
        let db = try ASNDatabase(text: ASNSamples.iptoasn)
        let hops = [
            TraceHop(ttl: 1, responses: [Self.response("1.0.0.1", probe: 0), Self.response("1.0.4.4", probe: 1)]),
            TraceHop(ttl: 2, responses: []),
            TraceHop(ttl: 3, responses: [Self.response("198.18.9.9", probe: 2)]),
        ]
        let addresses = hops.flatMap { $0.responses.map(\.address) }
        let annotations = HopEnrichment.annotate(addresses, database: db)
        let trace = Trace(destination: IPAddress("198.18.9.9")!, hops: hops, reached: true, destinationTTL: 3, stopReason: "reached")
        let record = trace.record(target: IPAddress("198.18.9.9")!, source: IPAddress("198.18.1.2")!, method: "icmp", port: nil,
                                  sourcePort: nil, variant: nil, probeSize: 84, probesSent: 3, answers: 3, durationMilliseconds: 5)
        let items = HopEnrichment.annotating(record, with: annotations, includeHostname: false).hops.map(\.json)
        guard items.count == 3, case .object(let first) = items[0] else { Issue.record("not three hop objects"); return }
        #expect(first.map(\.key) == ["ttl", "address", "asn", "as_name", "rtt_ms", "kind", "responses"])
        #expect(items[0]["asn"] == .int(13335) && items[0]["as_name"] == .string("CLOUDFLARENET"))
        guard case .array(let responses) = try #require(items[0]["responses"]) else { Issue.record("no responses"); return }
        #expect(responses[1]["asn"] == .int(38803))
        #expect(responses[1]["as_name"] == .string("GTELECOM-AUSTRALIA Gtelecom Pty Ltd"))
        #expect(items[1]["address"] == .null && items[1]["asn"] == .null && items[1]["as_name"] == .null)
        #expect(items[2]["asn"] == .null && items[2]["hostname"] == nil)

        let named = HopEnrichment.annotating(record, with: HopEnrichment.annotate(addresses, database: nil,
                                             hostnames: [addresses[0]: "r1.example"]), includeHostname: true)
        #expect(named.hops[0].json["hostname"] == .string("r1.example") && named.hops[0].json["asn"] == .null)
        // Annotating twice replaces rather than duplicates.
        let twice = HopEnrichment.annotating(named, with: annotations, includeHostname: true).hops[0].json
        guard case .object(let fields) = twice else { Issue.record("not an object"); return }
        #expect(fields.filter { $0.key == "asn" }.count == 1 && twice["asn"] == .int(13335) && twice["hostname"] == .null)
    }

    /// Enrichment on typed records: a trace's hops and responses, an investigation's paths.
    @Test func typedRecordsGainTheFields() throws {
        let db = try ASNDatabase(text: ASNSamples.iptoasn)
        let hops = [TraceHop(ttl: 1, responses: [Self.response("1.0.0.1", probe: 0)]), TraceHop(ttl: 2, responses: [])]
        let trace = Trace(destination: IPAddress("1.0.0.1")!, hops: hops, reached: true, destinationTTL: 1, stopReason: "reached")
        let record = trace.record(target: IPAddress("1.0.0.1")!, source: IPAddress("198.18.1.2")!, method: "icmp", port: nil,
                                  sourcePort: nil, variant: nil, probeSize: 84, probesSent: 2, answers: 1, durationMilliseconds: 5)
        let addresses = hops.flatMap { $0.responses.map(\.address) }
        let annotations = HopEnrichment.annotate(addresses, database: db, hostnames: [addresses[0]: "one.example"])
        let enriched = HopEnrichment.annotating(record, with: annotations, includeHostname: true)
        #expect(enriched.hops[0].asn == 13335 && enriched.hops[0].asName == "CLOUDFLARENET" && enriched.hops[0].hostname == "one.example")
        #expect(enriched.hops[0].responses?[0].annotation?.asn == 13335)
        #expect(enriched.hops[1].asn == nil && enriched.hops[1].annotation == .afterAddress(hostname: true))
        #expect(try TraceRecord(json: enriched.json) == enriched)

        let investigation = InvestigationRecord(target: "1.0.0.1", port: 80, verdict: "reachable", blocked: false, summary: nil,
                                                trigger: nil, path: hops.map(\.pathRecord))
        #expect(investigation.path?[0].json.serialized() == #"{"ttl":1,"address":"1.0.0.1","rtt_ms":1.5,"kind":"time-exceeded","asn":null,"as_name":null}"#)
        let annotated = HopEnrichment.annotating(investigation, with: annotations, includeHostname: false)
        #expect(annotated.path?[0].json.serialized() == #"{"ttl":1,"address":"1.0.0.1","asn":13335,"as_name":"CLOUDFLARENET","rtt_ms":1.5,"kind":"time-exceeded"}"#)
    }
}
