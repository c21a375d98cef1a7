import Packets
import Testing
@testable import Analysis

/// Broken, cut-off and hostile files give one-sentence errors (or a path), never a trap.
@Suite struct RoutesHostileTests {
    /// Reads `bytes`; returns the error's text, or nil when a path came out.
    func outcome(_ bytes: [UInt8], name: String = "bad.json") -> String? {
        do {
            let path = try RouteImport.parse(bytes, name: name)
            // Whatever was read is a well-formed path.
            #expect(!path.hops.isEmpty)
            #expect(path.hops.allSatisfy { (1...255).contains($0.ttl) })
            #expect(zip(path.hops, path.hops.dropFirst()).allSatisfy { $0.ttl < $1.ttl })
            return nil
        } catch {
            return error.description
        }
    }

    func expectOneSentence(_ message: String?, naming name: String, _ context: String) {
        guard let message else { return }
        #expect(message.hasPrefix(name) || message.hasPrefix("--index"), "\(context): \(message)")
        #expect(message.hasSuffix(".") && !message.contains("\n"), "\(context): \(message)")
    }

    @Test func emptyCompressedAndBinaryInput() {
        #expect(outcome([], name: "e.json") == "e.json is empty, so it holds no path.")
        #expect(outcome(Array(" \n\t\n".utf8), name: "e.json") == "e.json is empty, so it holds no path.")
        #expect(outcome([0x1F, 0x8B, 0x08, 0x00, 0x41], name: "t.gz") == "t.gz is gzip-compressed; decompress it first (gunzip).")
        var generator = RouteNoise(seed: 7)
        for round in 0..<200 {
            let bytes = (0..<(round % 60 + 1)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            expectOneSentence(outcome(bytes, name: "noise.bin"), naming: "noise.bin", "round \(round)")
        }
    }

    @Test func everyCutOfEveryFixtureIsAnErrorOrAPath() throws {
        for (name, _) in RouteFixtures.forwardFiles + [("both.censorscope.json", .censorscope), ("investigate.censorscope.json", .censorscope)] {
            let bytes = try RouteFixtures.bytes(name)
            for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
                expectOneSentence(outcome(Array(bytes[..<cut]), name: name), naming: name, "\(name) cut at \(cut)")
            }
        }
        // A JSON fixture cut in the middle is invalid JSON, and says where.
        let atlas = try RouteFixtures.bytes("forward.atlas.json")
        let message = try #require(outcome(Array(atlas[..<(atlas.count / 2)]), name: "forward.atlas.json"))
        #expect(message.hasPrefix("forward.atlas.json is not valid JSON (line "))
    }

    @Test func mutatedFixturesNeverTrap() throws {
        var generator = RouteNoise(seed: 42)
        for (name, _) in RouteFixtures.forwardFiles {
            let original = try RouteFixtures.bytes(name)
            for round in 0..<150 {
                var bytes = original
                for _ in 0..<(1 + round % 4) {
                    let at = Int(generator.next() % UInt64(bytes.count))
                    bytes[at] = UInt8(truncatingIfNeeded: generator.next())
                }
                expectOneSentence(outcome(bytes, name: name), naming: name, "\(name) round \(round)")
            }
        }
    }

    @Test func hostileValuesInsideValidJSON() {
        let cases: [(String, String?)] = [
            // TTLs out of range, of the wrong type, absurd; the one good hop survives.
            (#"{"hops": [{"ttl": 1e300, "address": "192.0.2.1"}, {"ttl": -5}, {"ttl": "x"}, {"ttl": 3, "address": "192.0.2.3", "kind": "time-exceeded"}]}"#, nil),
            (#"{"hops": [{"ttl": 99999999999999999999, "address": "192.0.2.1"}]}"#, "bad.json holds a traceroute with no hops, so there is no path to compare."),
            (#"{"hops": "none"}"#, "bad.json holds JSON, but not a traceroute CensorScope reads: expected censorscope trace or investigate --json, a RIPE Atlas traceroute result, scamper JSON or mtr --json output."),
            (#"{"type": "trace", "hop_count": 4000000000, "firsthop": -7, "hops": [{"addr": "<script>", "probe_ttl": 2}]}"#, nil),
            (#"{"fw": 5080, "type": "traceroute", "result": [{"hop": 300, "result": [{"from": "192.0.2.1"}]}]}"#, "bad.json holds a traceroute with no hops, so there is no path to compare."),
            (#"{"fw": 5080, "type": "traceroute", "result": {"hop": 1}}"#, "bad.json holds a RIPE Atlas result without a result list of hops."),
            (#"{"report": {"hubs": [{"count": "1e9", "host": 5}, {"count": [1], "host": "???"}]}}"#, "bad.json holds a traceroute with no hops, so there is no path to compare."),
            (#"{"schema": "censorscope.investigation/1", "verdict": "drop", "path": null, "test_path": null}"#, "bad.json is an investigate result without a path (the run traced nothing), so there is no path to compare."),
            (String(repeating: "[", count: 5000), nil),
            (#"[1, 2, "three"]"#, "bad.json holds JSON, but not a traceroute CensorScope reads: expected censorscope trace or investigate --json, a RIPE Atlas traceroute result, scamper JSON or mtr --json output."),
        ]
        for (json, expected) in cases {
            let result = outcome(Array(json.utf8))
            if let expected {
                #expect(result == expected, "\(json.prefix(80))")
            } else {
                expectOneSentence(result, naming: "bad.json", String(json.prefix(80)))
            }
        }
        // The good hop of the first case, and the scamper trace's gap, are what is read.
        let first = try? RouteImport.parse(cases[0].0, name: "bad.json")
        #expect(first.map(routeShape) == ["3 192.0.2.3"])
        let scamper = try? RouteImport.parse(cases[3].0, name: "bad.json")
        #expect(scamper?.hops.count == 255, "hop_count is capped at the largest TTL")
        #expect(scamper?.hops[1].silent == false && scamper?.hops[1].addresses == [], "an unreadable address still answered")
    }

    @Test func otherMeasurementsAndSwarmsOfResponders() throws {
        let ping = #"[{"fw": 5080, "type": "ping", "af": 4, "dst_addr": "192.0.2.1", "result": [{"rtt": 1.5}]}]"#
        #expect(outcome(Array(ping.utf8)) == "bad.json holds JSON, but not a traceroute CensorScope reads: expected censorscope trace or investigate --json, a RIPE Atlas traceroute result, scamper JSON or mtr --json output.")
        let geo = #"{"type": "FeatureCollection", "features": []}"#
        #expect(outcome(Array(geo.utf8))?.hasPrefix("bad.json holds JSON, but not a traceroute") == true)
        // A thousand responders at one TTL: the first 32 are kept.
        let responses = (0..<1000).map { #"{"address": "198.18.\#($0 / 256).\#($0 % 256)"}"# }.joined(separator: ",")
        let swarm = try RouteImport.parse(#"{"hops": [{"ttl": 1, "responses": [\#(responses)]}]}"#, name: "swarm.json")
        #expect(swarm.hops.first?.addresses.count == 32)
        #expect(swarm.hops.first?.addresses.last == routeIP("198.18.0.31"))
    }

    @Test func longLinesAndOversizedTokensInText() {
        let long = " 1  " + String(repeating: "a", count: 100_000) + " (192.0.2.1)  0.5 ms\n"
        #expect(outcome(Array(long.utf8), name: "long.txt") == nil)
        let numbers = " 1  192.0.2.1  " + String(repeating: "9", count: 400) + " ms  1e999 ms\n"
        let path = try? RouteImport.parse(numbers, name: "n.txt")
        #expect(path?.hops.first?.rttMilliseconds == [], "absurd times are not times")
    }
}

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct RouteNoise {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
