import CampaignStore
import Foundation
import Records
import TestSupport
import Testing

/// The campaign commands on a PostgreSQL store with two vantages (the test run's own
/// cluster; the results written through the store, no network needed).
@Suite(.serialized, .enabled(if: CLI.isBuilt && PostgresCluster.installed))
struct CampaignPostgresCLITests {
    /// A campaign of three targets measured by `here` and `there`: 198.18.0.1 reachable from
    /// both, 198.18.0.2 reset at `here` only, 198.18.0.3 silent from both.
    static func twoVantageStore() throws -> String {
        let db = try PostgresCluster.shared().newDatabase("cli")
        let items = (1...3).map { ItemInput(address: "198.18.0.\($0)", name: nil, port: "80", line: $0, input: "198.18.0.\($0)") }
        let metadata = CampaignMetadata(name: "t", scriptPath: "s.yaml", scriptText: CampaignCLITests.goodScript, scriptSHA256: "",
                                        targetsPath: "t.txt", softwareVersion: "test", startedAt: Date(), options: ["seed": "1"])
        let here = try CampaignStore.create(at: db, metadata: metadata, items: items, order: [2, 0, 1], resolved: [], vantage: "here")
        let there = try CampaignStore.join(at: db, vantage: VantageInput(name: "there", address: "198.18.7.2", asn: nil, asName: nil, softwareVersion: "test"),
                                           at: Date())
        for (store, verdicts) in [(here, ["reachable", "rst-injection", "host-down"]), (there, ["reachable", "reachable", "host-down"])] {
            let session = try store.beginSession(command: "test", pid: 1, at: Date(), vantageAddress: nil)
            for (k, verdict) in verdicts.enumerated() {
                let record = InvestigationRecord(target: "198.18.0.\(k + 1)", port: 80, verdict: verdict, blocked: verdict == "rst-injection",
                                                 summary: "\(verdict) from \(store.vantage.name)", trigger: nil,
                                                 evidence: [.init(claim: "\(store.vantage.name) saw \(verdict)", packets: [k + 1])])
                _ = try store.record(ItemResult(itemID: Int64(k + 1), record: record, answers: [], probesSent: 3, startedAt: Date(),
                                                finishedAt: Date(), evidenceFile: nil, sessionID: session))
            }
        }
        return db
    }

    @Test("status, report and compare read a PostgreSQL store of two vantages")
    func readCommands() throws {
        let db = try Self.twoVantageStore()
        let status = try CLI.run(["campaign", "status", "--db", db, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let s = try CLI.json(status.stdout)
        #expect(s["db"] as? String == db && s["total"] as? Int == 6 && s["done"] as? Int == 6 && s["ended_at"] is NSNull)
        #expect((s["vantages"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["here", "there"])

        let report = try CLI.run(["campaign", "report", "--db", db, "--format", "json"])
        let lines = report.stdout.split(separator: "\n").map { try? CLI.json(String($0)) }
        #expect(lines.count == 6)
        #expect(lines.compactMap { ($0?["vantage"] as? [String: Any])?["name"] as? String } == ["here", "there", "here", "there", "here", "there"])
        #expect(lines.compactMap { $0?["target"] as? String } == ["198.18.0.1", "198.18.0.1", "198.18.0.2", "198.18.0.2", "198.18.0.3", "198.18.0.3"])

        let compare = try CLI.run(["campaign", "compare", "--db", db, "--json"])
        #expect(compare.status == 0, "\(compare.stderr)")
        let rows = try compare.stdout.split(separator: "\n").map { try CLI.json(String($0)) }
        #expect(rows.map { $0["flagged"] as? Bool } == [false, true, false])
        #expect(rows.map { $0["summary"] as? String } == ["reachable-everywhere", "blocked-somewhere", "silent-everywhere"])
        #expect(rows[1]["verdicts"] as? [String: String] == ["here": "rst-injection", "there": "reachable"])
        let evidence = rows[1]["evidence"] as? [String: [[String: Any]]]
        #expect(evidence?["here"]?.first?["claim"] as? String == "here saw rst-injection")
        #expect(evidence?["there"]?.first?["claim"] as? String == "there saw reachable")
        let text = try CLI.run(["campaign", "compare", "--db", db])
        #expect(text.stdout.contains("FLAGGED 198.18.0.2 port 80: here rst-injection, there reachable — blocked-somewhere"))
        #expect(text.stdout.contains("1 of 3 targets and ports flagged"))
        let md = try CLI.run(["campaign", "report", "--db", db, "--format", "md"])
        #expect(md.stdout.contains("## Comparison across vantages") && md.stdout.contains("| 198.18.0.2 | 80 | here: rst-injection, there: reachable | **flagged** blocked-somewhere |"))
    }

    @Test("resume and join name their vantage; a wrong one is one sentence")
    func vantageChoice() throws {
        let db = try Self.twoVantageStore()
        let ambiguous = try CLI.run(["campaign", "resume", "--db", db])
        #expect(ambiguous.status == 1 && ambiguous.stderr.contains("has 2 vantages (here, there); say which one this is with --vantage NAME"), "\(ambiguous.stderr)")
        let taken = try CLI.run(["campaign", "join", "--db", db, "--vantage", "here"])
        #expect(taken.status == 1 && taken.stderr.contains("already has a vantage named here; continue it with `censorscope campaign resume"), "\(taken.stderr)")
        let unknown = try CLI.run(["campaign", "resume", "--db", db, "--vantage", "mars"])
        #expect(unknown.status == 1 && unknown.stderr.contains("has no vantage named mars (it has here, there)"), "\(unknown.stderr)")
        let badName = try CLI.run(["campaign", "join", "--db", db, "--vantage", "a b"])
        #expect(badName.status == 64 && badName.stderr.contains("--vantage must be"), "\(badName.stderr)")
    }

    @Test("an unreachable server or a bad URL is one line, without the password")
    func connectionErrors() throws {
        let missing = try CLI.run(["campaign", "status", "--db", "postgres://nobody@/none?host=/nonexistent-dir"])
        #expect(missing.status == 1 && missing.stderr.hasPrefix("error: Cannot connect to campaign store postgres://nobody@/none?host=/nonexistent-dir: "))
        #expect(missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
        let bad = try CLI.run(["campaign", "status", "--db", "postgres://u:hunter2@db.example:99999/x"])
        #expect(bad.status == 1 && bad.stderr.contains("postgres://u:***@db.example:99999/x is not a PostgreSQL URL") && !bad.stderr.contains("hunter2"), "\(bad.stderr)")
    }
}
