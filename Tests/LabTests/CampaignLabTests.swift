import ChildProcess
import Foundation
import Lab
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Campaigns over the lab's campaign scenario: many addresses per prefix, each prefix
/// censored its own way, the real binary in the client's namespace.
@Suite(.serialized, .enabled(if: LabHarness.canRun))
struct CampaignLabTests {
    static let scenario = "campaign"
    static var client: String { LabPlan.namespace(scenario: scenario, node: "client") }
    static let script = repositoryRoot.appendingPathComponent("Probes/campaigns/lab.yaml").path
    static let targets = repositoryRoot.appendingPathComponent("Probes/campaigns/lab.txt").path

    /// The verdict each prefix of lab.txt must get.
    static func expected(_ target: String, port: Int) -> String? {
        if target.hasPrefix("198.18.20.") || target.hasPrefix("2001:db8:20:") { return "reachable" }
        if target.hasPrefix("198.18.21.") { return "rst-injection" }
        if target.hasPrefix("198.18.22.") { return "unreachable" }   // silence from one vantage is not a block
        if target.hasPrefix("198.18.23."), port == 443 { return "rst-injection" }
        if target.hasPrefix("198.18.29.") || target.hasPrefix("2001:db8:29:") { return "host-down" }
        return nil
    }

    static func status(_ db: String) throws -> [String: Any] {
        let r = try LabHarness.run(["campaign", "status", "--db", db, "--json"])
        try #require(r.status == 0, "campaign status failed: \(r.stderr)")
        return try LabHarness.json(r.stdout)
    }

    /// Waits until the campaign has at least `count` finished items, or its process ended.
    static func waitForDone(_ db: String, atLeast count: Int, pid: pid_t) throws -> Int {
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline {
            // Polled without recording failures: the store may still be under creation.
            if FileManager.default.fileExists(atPath: db), let r = try? LabHarness.run(["campaign", "status", "--db", db, "--json"]),
               r.status == 0, let s = try? LabHarness.json(r.stdout), let done = s["done"] as? Int, done >= count {
                return done
            }
            var st: Int32 = 0
            if waitpid(pid, &st, WNOHANG) == pid { Issue.record("the campaign ended before \(count) items were done"); return -1 }
            usleep(100_000)
        }
        Issue.record("the campaign did not reach \(count) items in 180 s")
        return -1
    }

    @Test("536 targets: interrupted by SIGINT, killed with SIGKILL, resumed: one right verdict per target and port")
    func interruptedKilledResumed() throws {
        let dir = "/tmp/cstest-campaign-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/lab.sqlite"
        try LabHarness.withLab(Self.scenario) {
            let inClient = ["ip", "netns", "exec", Self.client, LabHarness.binary]
            // 1. A run at 300 probes/s, stopped with SIGINT once 60 items are done.
            guard let first = Subprocess.start(inClient + ["campaign", "run", Self.script, "--targets", Self.targets, "--db", db,
                                                            "--allow-reserved", "--rate", "300", "--seed", "7"],
                                               outputFile: dir + "/run.log") else { Issue.record("cannot start the campaign"); return }
            _ = try Self.waitForDone(db, atLeast: 60, pid: first)
            kill(first, SIGINT)
            #expect(Subprocess.wait(first) == 130, "a campaign stopped by SIGINT exits 130")
            let log = (try? String(contentsOfFile: dir + "/run.log", encoding: .utf8)) ?? ""
            #expect(log.contains("campaign resume --db"), "the interruption says how to continue: \(log)")
            let afterInterrupt = try Self.status(db)
            let sessions = afterInterrupt["sessions"] as? [[String: Any]] ?? []
            #expect(sessions.last?["outcome"] as? String == "interrupted")
            // The report of an interrupted campaign says so before its totals.
            let partial = try LabHarness.run(["campaign", "report", "--db", db, "--format", "html"])
            #expect(partial.status == 0 && partial.stdout.contains("Incomplete: ") && partial.stdout.contains(" of 536 measured; the last session ended interrupted."),
                    "\(partial.stderr)")

            // 2. A resume killed with SIGKILL midway.
            guard let second = Subprocess.start(inClient + ["campaign", "resume", "--db", db, "--allow-reserved", "--rate", "300"],
                                                outputFile: dir + "/resume.log") else { Issue.record("cannot resume"); return }
            let doneBeforeKill = try Self.waitForDone(db, atLeast: 200, pid: second)
            // One session at a time: a second resume meanwhile is refused before it measures anything.
            let concurrent = Subprocess.run(inClient + ["campaign", "resume", "--db", db, "--allow-reserved"], timeout: 60)
            #expect(concurrent.status == 1 && concurrent.stderr.contains("another censorscope is running the campaign"), "\(concurrent.stderr)")
            kill(second, SIGKILL)
            #expect(Subprocess.wait(second) == 137)
            let afterKill = try Self.status(db)
            let doneAfterKill = afterKill["done"] as? Int ?? 0
            #expect(doneAfterKill >= doneBeforeKill && doneAfterKill < 536, "killed midway: \(doneAfterKill) done")

            // 3. Resume to the end, as fast as it goes.
            let last = Subprocess.run(inClient + ["campaign", "resume", "--db", db, "--allow-reserved", "--rate", "max", "--json"], timeout: 300)
            #expect(last.status == 0, "the final resume failed: \(last.stderr)")
            let final = try LabHarness.json(last.stdout)
            #expect(final["total"] as? Int == 536)
            #expect(final["done"] as? Int == 536)
            #expect(final["pending"] as? Int == 0)
            #expect((final["sessions"] as? [[String: Any]])?.count == 3)
            #expect(final["ended_at"] is String)
            let counts = final["verdicts"] as? [String: Int] ?? final["verdict_counts"] as? [String: Int] ?? [:]
            #expect(counts == ["reachable": 320, "rst-injection": 136, "unreachable": 32, "host-down": 48], "totals: \(counts)")

            // Exactly one verdict per target and port, and the right one.
            let report = try LabHarness.run(["campaign", "report", "--db", db, "--format", "json"])
            #expect(report.status == 0)
            let lines = report.stdout.split(separator: "\n")
            #expect(lines.count == 536)
            var seen = Set<String>()
            for line in lines {
                let v = try LabHarness.json(String(line))
                let target = v["target"] as? String ?? "", port = v["port"] as? Int ?? 0, verdict = v["verdict"] as? String ?? ""
                #expect(seen.insert("\(target) \(port)").inserted, "two verdicts for \(target) port \(port)")
                #expect(verdict == Self.expected(target, port: port), "\(target) port \(port): \(verdict)")
                let trigger = (v["trigger"] as? [String: Any])?["kind"] as? String
                let location = v["location"] as? [String: Any]
                if target.hasPrefix("198.18.21.") {
                    #expect(trigger == "syn-size", "\(target): trigger \(trigger ?? "nil")")
                    #expect(location?["ttl"] as? Int == 2 && location?["address"] as? String == "198.18.2.2", "\(target): \(location ?? [:])")
                }
                // Silence from one vantage is not a block: no location, the summary says where it begins.
                if target.hasPrefix("198.18.22.") { #expect(location == nil && (v["summary"] as? String ?? "").contains("after TTL 1"), "\(target)") }
                if target.hasPrefix("198.18.23.") { #expect(location?["ttl"] as? Int == 2, "\(target): \(location ?? [:])") }
                if verdict == "reachable" || verdict == "host-down" || verdict == "unreachable" { #expect(location == nil) }
            }
            #expect(seen.count == 536)

            // The other report formats read the same verdicts.
            for format in ["csv", "md", "html", "ooni"] {
                let r = try LabHarness.run(["campaign", "report", "--db", db, "--format", format])
                #expect(r.status == 0, "\(format): \(r.stderr)")
                #expect(r.stdout.contains("198.18.21.5"), "\(format) report names the targets")
            }
            let csvRows = try LabHarness.run(["campaign", "report", "--db", db, "--format", "csv"]).stdout.split(whereSeparator: \.isNewline)
            #expect(csvRows.count == 537, "a header and one row per target and port")

            // The overview names the scenario's one censor, at hop 2, with its 136 targets in two ways.
            let page = dir + "/report.html"
            let html = try LabHarness.run(["campaign", "report", "--db", db, "--format", "html", "--output", page])
            #expect(html.status == 0, "\(html.stderr)")
            let text = (try? String(contentsOfFile: page, encoding: .utf8)) ?? ""
            #expect(text.contains("Complete: 536 of 536 measured."))
            #expect(text.contains("<h3>Device 1: 198.18.2.2 (hop 2)</h3>"), "the device section")
            #expect(text.contains("136 targets blocked at 198.18.2.2 (hop 2), in 2 ways (128 rst-injection, 8 rst-injection)"))
            #expect(!text.contains("Device 2:"), "one device only")
            #expect(text.components(separatedBy: "<tr class=\"").count - 1 == 536, "one row per target and port")

            // A person's view in a real browser, against a live `serve` over this store.
            let browser = Subprocess.run(["python3", repositoryRoot.appendingPathComponent("scripts/browser-check.py").path,
                                          "--binary", LabHarness.binary, "--db", db, "--expect-device", "198.18.2.2 (hop 2)",
                                          "--report", page], timeout: 240)
            #expect(browser.status == 0, "browser check: \(browser.stdout.suffix(3000)) \(browser.stderr.suffix(1000))")
        }
    }

    @Test("UDP STUN campaign with names resolved by the lab's DNS: reachable, unreachable, host-down")
    func stunCampaign() throws {
        let dir = "/tmp/cstest-campaign-stun-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/stun.yaml", targets = dir + "/targets.txt", db = dir + "/stun.sqlite"
        try """
        name: lab-stun
        ports: [3478/udp]
        pacing: {rate: 200, parallel: 4, timeout_ms: 1000}
        steps:
          - probe: echo
            count: 1
          - probe: stun
            count: 2
        analyses: [datagram]
        """.write(toFile: script, atomically: true, encoding: .utf8)
        try """
        198.18.20.0/30          # STUN answers
        198.18.22.0/30          # blackholed
        198.18.29.0/30          # down
        stun.lab.example        # resolved by the lab server's DNS to 198.18.9.2 and 2001:db8:9::2
        """.write(toFile: targets, atomically: true, encoding: .utf8)
        try LabHarness.withLab(Self.scenario) {
            let run = Subprocess.run(["ip", "netns", "exec", Self.client, LabHarness.binary, "campaign", "run", script, "--targets", targets,
                                      "--db", db, "--allow-reserved", "--resolver", "198.18.9.2", "--evidence-dir", dir + "/pcaps", "--json"],
                                     timeout: 120)
            #expect(run.status == 0, "campaign failed: \(run.stderr)")
            let report = try LabHarness.run(["campaign", "report", "--db", db, "--format", "json"])
            var verdicts: [String: String] = [:]
            for line in report.stdout.split(separator: "\n") {
                let v = try LabHarness.json(String(line))
                #expect(v["port"] as? Int == 3478 && v["transport"] as? String == "udp")
                verdicts[v["target"] as? String ?? ""] = v["verdict"] as? String
                if (v["target"] as? String) == "198.18.9.2" { #expect(v["name"] as? String == "stun.lab.example") }
            }
            #expect(verdicts.count == 14)
            for i in 0..<4 {
                #expect(verdicts["198.18.20.\(i)"] == "reachable")
                #expect(verdicts["198.18.22.\(i)"] == "unreachable")
                #expect(verdicts["198.18.29.\(i)"] == "host-down")
            }
            #expect(verdicts["198.18.9.2"] == "reachable")
            #expect(verdicts["2001:db8:9::2"] == "reachable")
            // Each item's packets, with the probe each one is or answers.
            let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/pcaps")
            #expect(files.count == 14, "one pcapng per item: \(files)")
            let name = try #require(files.first { $0.hasPrefix("198.18.20.1-3478-udp-") && $0.hasSuffix(".pcapng") })
            let pcap = dir + "/pcaps/" + name
            let decoded = try LabHarness.run(["decode", "--pcap", pcap])
            #expect(decoded.status == 0 && decoded.stdout.contains("comment: answer to probe"), "\(pcap): \(decoded.stderr)")
        }
    }
}
