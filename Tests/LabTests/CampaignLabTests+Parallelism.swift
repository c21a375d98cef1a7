import ChildProcess
import Foundation
import Lab
import TestSupport
import Testing

/// Parallelism must never cost correctness: the lab's campaign (536 targets over IPv4 and
/// IPv6: clean, SYN-size DPI, port-blocked, blackholed, down) run unpaced one item at a time
/// and with 4× the script's default parallelism must give every target the same verdict.
/// Part of CampaignLabTests' serialized suite: both bring up the `campaign` scenario.
extension CampaignLabTests {

    /// "target port" → "verdict trigger location-TTL" of every result in the store.
    static func outcomes(_ db: String) throws -> [String: String] {
        let report = try LabHarness.run(["campaign", "report", "--db", db, "--format", "json"])
        try #require(report.status == 0, "campaign report failed: \(report.stderr)")
        var out: [String: String] = [:]
        for line in report.stdout.split(separator: "\n") {
            let v = try LabHarness.json(String(line))
            let key = "\(v["target"] as? String ?? "?") \(v["port"] as? Int ?? 0)"
            let trigger = (v["trigger"] as? [String: Any])?["kind"] as? String ?? "-"
            let ttl = ((v["location"] as? [String: Any])?["ttl"] as? Int).map(String.init) ?? "-"
            #expect(out[key] == nil, "two results for \(key)")
            out[key] = "\(v["verdict"] as? String ?? "?") \(trigger) \(ttl)"
            // A run measured again after capture drops says so; drops left in a kept run are
            // recorded, and a location heard through them says its confidence is low.
            if let dropped = v["capture_dropped"] as? Int {
                #expect(dropped > 0)
                out[key]! += " degraded"
                if let l = v["location"] as? [String: Any] { #expect(l["confidence"] as? String == "low", "\(key): \(l)") }
            }
        }
        return out
    }

    static func runUnpaced(_ dir: String, _ name: String, parallel: Int) throws -> [String: String] {
        let db = "\(dir)/\(name).sqlite"
        let r = Subprocess.run(["ip", "netns", "exec", CampaignLabTests.client, LabHarness.binary, "campaign", "run", CampaignLabTests.script,
                                "--targets", CampaignLabTests.targets, "--db", db, "--allow-reserved", "--quiet", "--seed", "3",
                                "--rate", "max", "--parallel", String(parallel)], timeout: 300)
        #expect(r.status == 0, "campaign at --parallel \(parallel) failed: \(r.stderr)")
        return try outcomes(db)
    }

    @Test("lab campaign at 4× the default parallelism: every verdict, trigger and location as one at a time (a location at most left unknown)")
    func fourTimesDefault() throws {
        let dir = "/tmp/cstest-parallel-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = try String(contentsOfFile: CampaignLabTests.script, encoding: .utf8)
        let parallel = try #require(script.split(separator: "\n").first { $0.contains("parallel:") }
            .flatMap { Int($0.split(separator: ":")[1].split(separator: "#")[0].trimmingCharacters(in: .whitespaces)) })
        try LabHarness.withLab(Self.scenario) {
            let one = try Self.runUnpaced(dir, "one", parallel: 1)
            let many = try Self.runUnpaced(dir, "many", parallel: 4 * parallel)
            #expect(one.count == 536 && many.count == 536)
            // The serial run is itself right (the prefixes' verdicts of CampaignLabTests).
            for (key, outcome) in one {
                let parts = key.split(separator: " ")
                #expect(outcome.hasPrefix((CampaignLabTests.expected(String(parts[0]), port: Int(parts[1]) ?? 0) ?? "?") + " "), "\(key): \(outcome)")
            }
            // A location the parallel run could not establish (its trace answers lost under
            // load, after the retries) is said as unknown: less, not wrong. Anything else must
            // be the same, and such losses rare.
            // So may one whose kept runs lost packets in the capture (it says so, confidence low).
            func lostLocation(_ key: String) -> Bool {
                guard let a = one[key]?.split(separator: " "), let b = many[key]?.split(separator: " "), a.count >= 3, b.count >= 3 else { return false }
                return a[0] == b[0] && a[1] == b[1] && (b[2] == "-" || b.count == 4)
            }
            func base(_ s: String?) -> String { s?.split(separator: " ").prefix(3).joined(separator: " ") ?? "none" }
            let differing = one.keys.sorted().filter { base(one[$0]) != base(many[$0]) && !lostLocation($0) }
            let lost = one.keys.sorted().filter { base(one[$0]) != base(many[$0]) && lostLocation($0) }
            let listed = differing.prefix(10).map { "\($0): \(one[$0] ?? "") vs \(many[$0] ?? "none")" }.joined(separator: "; ")
            #expect(differing.isEmpty, "at --parallel \(4 * parallel): \(listed)")
            #expect(lost.count <= 16, "at --parallel \(4 * parallel), \(lost.count) locations unknown or degraded: \(lost.prefix(10))")
        }
    }
}
