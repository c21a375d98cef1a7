import Campaigns
import Foundation
import JSONSupport
import Measurement
import Packets
import Testing

/// The whole engine in-process, without root: investigations recorded in the lab
/// (scripts/record-replays.sh) are replayed through `RecordedNetwork` with their seed, and
/// must come to the same judgement as they did live, field for field.
@Suite struct ReplayTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Fields that belong to the live run only: its clock, its evidence file and frames.
    static let liveOnly: Set<String> = ["evidence", "evidence_file", "measurement_start_time", "runtime_s"]

    static func recorded(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name + ".json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The value without what a socket told the live run and no packet shows: the sweep's
    /// `socket_error` (a replay rebuilds each connection from its packets alone).
    static func packetsOnly(_ value: Any?) -> Any? {
        if var object = value as? [String: Any] {
            object["socket_error"] = nil
            return object.mapValues { packetsOnly($0) as Any }
        }
        if let list = value as? [Any] { return list.map { packetsOnly($0) as Any } }
        return value
    }

    /// A JSON value as text with sorted keys, to compare two parsed values.
    static func canonical(_ value: Any?) -> String {
        guard let value else { return "absent" }
        let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "unserialisable"
    }

    /// Replays recording `name` through the default experiment; returns (live, replayed).
    static func replay(_ name: String) throws -> (live: [String: Any], replayed: [String: Any], left: Int) {
        let (live, outcome, left) = try replayOutcome(name)
        let replayed = try #require(try JSONSerialization.jsonObject(with: Data(outcome.record.json.serialized().utf8)) as? [String: Any])
        return (live, replayed, left)
    }

    /// The engine's outcome of replaying recording `name`, with the recorded JSON.
    static func replayOutcome(_ name: String) throws -> (live: [String: Any], outcome: Engine.Outcome, left: Int) {
        let live = try recorded(name)
        let target = try #require((live["target"] as? String).flatMap { IPAddress($0) })
        let port = try #require(live["port"] as? Int)
        let seed = try #require((live["seed"] as? NSNumber)?.uint64Value)
        let vantage = try #require(((live["vantage"] as? [String: Any])?["address"] as? String).flatMap { IPAddress($0) })
        var names: [PayloadSpec.Kind: String] = [:]
        if let test = live["test"] as? [String: Any] {
            if let host = test["host"] as? String { names[.http] = host }
            if let sni = test["sni"] as? String { names[.tls] = sni }
        }
        let network = try RecordedNetwork(path: fixtures.appendingPathComponent(name + ".pcapng").path)
        let engine = Engine(script: try Experiments.standard(), network: network, source: vantage, softwareVersion: "replay")
        let item = MeasurementItem(address: target, port: ServicePort(UInt16(port)), testNames: names)
        return (live, try engine.measure(item, ids: IdentifierSource(seed: seed)), network.partsLeft)
    }

    /// The record writes the keys in the order the live binary wrote them (the seed, the
    /// item's keys and the payload sweep included).
    @Test(arguments: ["telegram-80", "keyword-http"])
    func theRecordKeepsTheRecordedKeyOrder(_ name: String) throws {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent(name + ".json"), encoding: .utf8)
        guard case .object(let live) = try JSONParser.parse(text), case .object(let replayed) = try Self.replayOutcome(name).outcome.record.json else {
            Issue.record("not objects")
            return
        }
        #expect(replayed.map(\.key) == live.map(\.key))
    }

    @Test(arguments: ["telegram-80", "telegram-443", "telegram-80-v6", "gfw-sni", "keyword-http", "blackhole", "host-down", "port-443", "lost-echo"])
    func aRecordedInvestigationReplaysToTheSameJudgement(_ name: String) throws {
        let (live, replayed, left) = try Self.replay(name)
        #expect(left == 0, "\(name): the replay left \(left) recorded parts unused: the recording is stale (scripts/record-replays.sh)")
        for key in live.keys.sorted() where !Self.liveOnly.contains(key) && key != "software" {
            #expect(Self.canonical(Self.packetsOnly(live[key])) == Self.canonical(Self.packetsOnly(replayed[key])),
                    "\(name): `\(key)` differs: live \(String(describing: live[key])) replayed \(String(describing: replayed[key]))")
        }
    }

    @Test func theJudgementsAreTheOnesTheLabWasBuiltFor() throws {
        let expected = ["telegram-80": "rst-injection", "telegram-443": "reachable", "telegram-80-v6": "rst-injection",
                        "gfw-sni": "rst-injection", "keyword-http": "blockpage", "blackhole": "unreachable", "host-down": "host-down",
                        "port-443": "rst-injection", "lost-echo": "rst-injection"]
        for (name, verdict) in expected {
            #expect(try Self.replay(name).replayed["verdict"] as? String == verdict, "\(name)")
        }
        let telegram = try Self.replay("telegram-80").replayed
        #expect((telegram["trigger"] as? [String: Any])?["kind"] as? String == "syn-size")
        #expect((telegram["location"] as? [String: Any])?["ttl"] as? Int == 2)
    }

    @Test func anotherSeedDoesNotMatchTheRecording() throws {
        var live = try Self.recorded("telegram-80")
        live["seed"] = 7
        let network = try RecordedNetwork(path: Self.fixtures.appendingPathComponent("telegram-80.pcapng").path)
        let engine = Engine(script: try Experiments.standard(), network: network,
                            source: try #require(IPAddress("198.18.1.2")), softwareVersion: "replay")
        let item = MeasurementItem(address: try #require(IPAddress("198.18.9.2")), port: ServicePort(80))
        let outcome = try engine.measure(item, ids: IdentifierSource(seed: 7))
        // Other identifiers: nothing recorded answers these probes.
        #expect(outcome.answers.isEmpty)
        #expect(outcome.result.verdict.rawValue != "rst-injection")
    }
}
