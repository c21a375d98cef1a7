import Foundation
import Packets
import Testing
@testable import Analysis

/// The route fixtures (Fixtures/routes/README.md): the telegram-2018 lab's paths.
enum RouteFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("routes")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func path(_ name: String, format: RouteFormat? = nil, direction: RouteDirection? = nil,
                     index: Int? = nil) throws -> RoutePath {
        try RouteImport.parse(bytes(name), name: name, format: format, direction: direction, index: index)
    }

    /// The forward path in every format.
    static let forwardFiles: [(name: String, format: RouteFormat)] = [
        ("forward.censorscope.json", .censorscope), ("forward.atlas.json", .atlas), ("forward.scamper.json", .scamper),
        ("forward.mtr.json", .mtr), ("forward.traceroute.txt", .traceroute),
    ]
}

func routeIP(_ text: String) -> IPAddress {
    guard let address = IPAddress(text) else { fatalError("bad address literal \(text)") }
    return address
}

/// TTL, responders and silence: what every format must agree on.
func routeShape(_ path: RoutePath) -> [String] {
    path.hops.map { "\($0.ttl) \($0.silent ? "*" : $0.addresses.map(\.description).joined(separator: ","))" }
}

@Suite struct RoutesImportTests {
    static let forwardShape = ["1 198.18.1.1", "2 198.18.2.2", "3 198.18.3.2", "4 198.18.5.2", "5 198.18.9.2"]

    @Test func everyFormatOfTheForwardPathImportsTheSameHops() throws {
        for (name, format) in RouteFixtures.forwardFiles {
            let detected = try RouteFixtures.path(name)
            #expect(detected.source == format.rawValue, "\(name)")
            #expect(routeShape(detected) == Self.forwardShape, "\(name)")
            #expect(detected.destination == routeIP("198.18.9.2"), "\(name)")
            // Forcing the right format reads the same path.
            #expect(try RouteFixtures.path(name, format: format) == detected, "\(name)")
        }
    }

    @Test func originsAndRoundTripTimesAsEachToolGivesThem() throws {
        let ours = try RouteFixtures.path("forward.censorscope.json")
        #expect(ours.origin == routeIP("198.18.1.2"))
        #expect(ours.hops.map(\.rttMilliseconds) == [[0.052], [0.081], [0.103], [0.121], [0.142]])
        let atlas = try RouteFixtures.path("forward.atlas.json")
        #expect(atlas.origin == routeIP("198.18.1.2"))
        #expect(atlas.hops[2].rttMilliseconds == [0.118, 0.102], "the lost probe has no time")
        #expect(atlas.notes.contains { $0.contains("holds 2 traceroute results; the first is used") })
        let scamper = try RouteFixtures.path("forward.scamper.json")
        #expect(scamper.origin == routeIP("198.18.1.2") && scamper.hops[0].rttMilliseconds == [0.052])
        let mtr = try RouteFixtures.path("forward.mtr.json")
        #expect(mtr.origin == nil, "mtr's src is the host name 'client'")
        #expect(mtr.hops.map(\.rttMilliseconds) == [[0.06], [0.09], [0.11], [0.13], [0.15]])
        let text = try RouteFixtures.path("forward.traceroute.txt")
        #expect(text.origin == nil)
        #expect(text.hops[0].rttMilliseconds == [0.061, 0.042, 0.038])
        #expect(text.hops[2].rttMilliseconds == [0.118, 0.102])
    }

    @Test func atlasIndexPicksTheIPv6ResultWithItsSilentHop() throws {
        let v6 = try RouteFixtures.path("forward.atlas.json", index: 1)
        #expect(routeShape(v6) == ["1 2001:db8:1::1", "2 *", "3 2001:db8:3::2", "4 2001:db8:9::2"])
        #expect(v6.origin == routeIP("2001:db8:1::2") && v6.destination == routeIP("2001:db8:9::2"))
        #expect(v6.notes.isEmpty)
        let error = #expect(throws: RouteImportError.self) { try RouteFixtures.path("forward.atlas.json", index: 2) }
        #expect(error?.description == "forward.atlas.json holds 2 traceroute results, so --index 2 is out of range (0 to 1).")
    }

    @Test func atlasFirmwareOneResultHoldsTracerouteText() throws {
        let json = #"{"fw": 1, "from": "192.0.2.7", "msm_id": 5001, "prb_id": 21, "timestamp": 1332938930, "type": "traceroute", "result": "traceroute to 203.0.113.1 (203.0.113.1), 30 hops max, 40 byte packets\n 1  192.0.2.1  0.5 ms  0.4 ms  0.4 ms\n 2  * * *\n 3  203.0.113.1  9.1 ms  9.0 ms  9.2 ms\n"}"#
        let path = try RouteImport.parse(json, name: "v1.json")
        #expect(path.source == "atlas")
        #expect(routeShape(path) == ["1 192.0.2.1", "2 *", "3 203.0.113.1"])
        #expect(path.origin == routeIP("192.0.2.7") && path.destination == routeIP("203.0.113.1"))
    }

    @Test func scamperSkipsOtherRecordsAndFillsUnansweredTTLs() throws {
        let lines = """
            {"type":"cycle-start", "list_name":"default", "id":1, "hostname":"vp", "start_time":1700000000}
            {"type":"ping", "src":"192.0.2.10", "dst":"203.0.113.5"}
            {"type":"trace","version":"0.1", "method":"udp-paris", "src":"192.0.2.10", "dst":"203.0.113.5", "stop_reason":"GAPLIMIT", "hop_count":4, "firsthop":1, "hops":[{"addr":"192.0.2.1", "probe_ttl":1, "probe_id":1, "rtt":0.4},{"addr":"198.51.100.9", "probe_ttl":3, "probe_id":1, "rtt":7.25},{"addr":"198.51.100.10", "probe_ttl":3, "probe_id":2, "rtt":7.5}]}
            {"type":"trace","version":"0.1", "method":"udp-paris", "src":"192.0.2.10", "dst":"203.0.113.6", "hop_count":1, "hops":[{"addr":"192.0.2.1", "probe_ttl":1, "rtt":0.3}]}
            {"type":"cycle-stop", "list_name":"default", "id":1, "hostname":"vp", "stop_time":1700000009}
            """
        let path = try RouteImport.parse(lines, name: "vp.json")
        #expect(path.source == "scamper")
        #expect(routeShape(path) == ["1 192.0.2.1", "2 *", "3 198.51.100.9,198.51.100.10", "4 *"])
        #expect(path.hops[2].rttMilliseconds == [7.25, 7.5])
        #expect(path.notes == ["vp.json holds 2 traceroute results; the first is used (choose another with --index)."])
        #expect(try RouteImport.parse(lines, name: "vp.json", index: 1).destination == routeIP("203.0.113.6"))
        let onlyCycles = #"{"type":"cycle-start", "list_name":"default", "id":1, "start_time":1}"#
        #expect(throws: RouteImportError("c.json holds scamper records but no trace (\"type\":\"trace\") among them.")) {
            try RouteImport.parse(onlyCycles, name: "c.json")
        }
    }

    @Test func mtrSilentHubsIntegerCountsAndNamesWithAddresses() throws {
        let json = """
            {"report": {"mtr": {"src": "192.0.2.10", "dst": "203.0.113.5", "tos": 0, "tests": 10, "psize": "64", "bitpattern": "0x00"},
             "hubs": [{"count": 1, "host": "gw.example (192.0.2.1)", "Loss%": 0.0, "Snt": 10, "Avg": 0.5},
                      {"count": 2, "host": "???", "Loss%": 100.0, "Snt": 10, "Avg": 0.0},
                      {"count": 3, "host": "core.example", "Loss%": 0.0, "Snt": 10, "Avg": 7.0},
                      {"count": 4, "host": "203.0.113.5", "Loss%": 0.0, "Snt": 10, "Avg": 9.5}]}}
            """
        let path = try RouteImport.parse(json, name: "m.json")
        #expect(path.source == "mtr")
        #expect(routeShape(path) == ["1 192.0.2.1", "2 *", "3 ", "4 203.0.113.5"])
        #expect(!path.hops[2].silent && path.hops[2].addresses.isEmpty, "a name without an address still answered")
        #expect(path.origin == routeIP("192.0.2.10") && path.destination == routeIP("203.0.113.5"))
        #expect(path.notes == ["mtr printed only a name for 1 hop of m.json; run mtr with -n or -b so that routers can be compared by address."])
    }

    @Test func censorscopeInvestigationCarriesTheCensorAndTheVantage() throws {
        let path = try RouteFixtures.path("investigate.censorscope.json")
        #expect(routeShape(path) == Self.forwardShape)
        #expect(path.censor == routeIP("198.18.2.2"))
        #expect(path.origin == routeIP("198.18.1.2") && path.destination == routeIP("198.18.9.2"))
    }

    @Test func bothDirectionsNeedADirection() throws {
        let bytes = try RouteFixtures.bytes("both.censorscope.json")
        #expect(RouteImport.holdsBothDirections(bytes))
        #expect(!RouteImport.holdsBothDirections(try RouteFixtures.bytes("forward.censorscope.json")))
        #expect(throws: RouteImportError("both.json holds both directions of a trace --both run; choose one with --direction forward or --direction reverse.")) {
            try RouteImport.parse(bytes, name: "both.json")
        }
        let forward = try RouteImport.parse(bytes, name: "both.json", direction: .forward)
        let reverse = try RouteImport.parse(bytes, name: "both.json", direction: .reverse)
        #expect(forward == (try RouteFixtures.path("forward.censorscope.json")))
        #expect(routeShape(reverse) == ["1 198.18.9.1", "2 198.18.6.1", "3 198.18.4.1", "4 198.18.2.1", "5 198.18.1.2"])
        #expect(reverse.origin == routeIP("198.18.9.2") && reverse.destination == routeIP("198.18.1.2"))
        let half = #"{"forward": {"hops": [{"ttl": 1, "address": "192.0.2.1", "kind": "time-exceeded"}]}}"#
        #expect(throws: RouteImportError("h.json holds a trace --both result without its reverse trace.")) {
            try RouteImport.parse(half, name: "h.json", direction: .reverse)
        }
    }

    @Test func aForcedFormatMustMatchTheContent() throws {
        let atlas = try RouteFixtures.bytes("forward.atlas.json")
        #expect(throws: RouteImportError("forward.atlas.json does not hold mtr --json output.")) {
            try RouteImport.parse(atlas, name: "forward.atlas.json", format: .mtr)
        }
        let text = try RouteFixtures.bytes("forward.traceroute.txt")
        #expect(throws: RouteImportError("t.txt is not JSON, so it is not scamper JSON (sc_warts2json).")) {
            try RouteImport.parse(text, name: "t.txt", format: .scamper)
        }
    }
}
