import CampaignStore
import ChildProcess
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `censorscope serve` over a real campaign store, made by the store's API from recorded
/// results (the Reports fixtures, each at three addresses): the API, hostile requests, the
/// token rule, and a person's view in Chromium (scripts/browser-check.py).
@Suite(.serialized) struct ServeCommandTests {
    static let fixtures = ["rst-injection-syn-size.json", "reachable.json", "drop-silent-path.json", "onpath-payload.json"]

    /// A finished campaign of 12 results; returns the store's path.
    static func makeStore(in dir: String) throws -> String {
        var items: [ItemInput] = [], results: [String] = []
        for name in fixtures {
            // One line, as the engine stores it (JSON strings hold no raw line break).
            let text = try String(contentsOf: CLI.repositoryRoot.appendingPathComponent("Tests/ReportsTests/Fixtures/" + name), encoding: .utf8)
                .replacingOccurrences(of: "\n", with: " ")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let target = object["target"] as? String ?? "", port = object["port"] as? Int ?? 0
            let prefix = target.split(separator: ".").prefix(3).joined(separator: ".")
            for i in 0..<3 {
                let address = "\(prefix).\(100 + i + items.count)"
                items.append(ItemInput(address: address, name: nil, port: String(port), line: items.count + 1, input: address))
                results.append(text.replacingOccurrences(of: "\"target\": \"\(target)\"", with: "\"target\": \"\(address)\""))
            }
        }
        let db = dir + "/campaign.sqlite"
        let now = Date()
        let metadata = CampaignMetadata(name: "recorded", scriptPath: "Probes/campaigns/lab.yaml", scriptText: "name: recorded\n",
                                        scriptSHA256: String(repeating: "0", count: 64), targetsPath: "targets.txt",
                                        softwareVersion: "test", startedAt: now, vantageAddress: "198.18.1.2")
        let store = try CampaignStore.create(at: db, metadata: metadata, items: items, order: Array(items.indices), resolved: [])
        let session = try store.beginSession(command: "campaign run", pid: getpid(), at: now, vantageAddress: "198.18.1.2")
        for (i, json) in results.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let verdict = object["verdict"] as? String ?? ""
            _ = try store.record(ItemResult(itemID: Int64(i + 1), verdict: verdict, trigger: nil, confidence: nil, json: json, answers: [],
                                            probesSent: 3, startedAt: now, finishedAt: now, evidenceFile: nil, sessionID: session))
        }
        try store.endSession(session, outcome: "finished", at: now)
        _ = try store.finish(at: now)
        return db
    }

    /// Starts `serve` and returns its pid and base URL.
    static func serve(_ args: [String], log: String) throws -> (pid_t, String) {
        let pid = try #require(Subprocess.start([CLI.binary, "serve"] + args, outputFile: log))
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: " at http://") {
                let url = "http://" + text[range.upperBound...].prefix { $0 != " " }
                return (pid, url)
            }
            usleep(100_000)
        }
        kill(pid, SIGKILL)
        _ = Subprocess.wait(pid)
        throw TestFailure("serve did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    /// curl's status code and body.
    static func get(_ url: String, _ headers: [String] = []) -> (Int, String) {
        let r = Subprocess.run(["curl", "-sS", "-g", "-w", "\n%{http_code}"] + headers.flatMap { ["-H", $0] } + [url], timeout: 30)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    func withStore(_ body: (String, String) throws -> Void) throws {
        let dir = NSTemporaryDirectory() + "cstest-serve-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir, try Self.makeStore(in: dir))
    }

    @Test("API: the campaign with its totals per vantage, the same records as campaign report --format json, filters")
    func api() throws {
        try withStore { dir, db in
            let (pid, base) = try Self.serve(["--db", db, "--listen", "127.0.0.1:0"], log: dir + "/serve.log")
            defer { kill(pid, SIGINT); _ = Subprocess.wait(pid) }
            let (status, body) = Self.get(base + "api/campaign")
            #expect(status == 200)
            let campaign = try CLI.json(body)
            #expect(campaign["state"] as? String == "complete" && campaign["measured"] as? Int == 12)
            #expect(campaign["verdicts"] as? [String: Int] == ["rst-injection": 6, "drop": 3, "reachable": 3])
            #expect((campaign["verdicts_by_vantage"] as? [String: [String: Int]])?["198.18.1.2"]?["rst-injection"] == 6)
            let devices = campaign["devices"] as? [[String: Any]] ?? []
            #expect(devices.first?["place"] as? String == "198.18.2.2 (hop 2)" && devices.first?["targets"] as? Int == 6)

            let report = try CLI.run(["campaign", "report", "--db", db, "--format", "json"])
            let all = try #require(try JSONSerialization.jsonObject(with: Data(Self.get(base + "api/results").1.utf8)) as? [[String: Any]])
            #expect(all.count == 12)
            let stored = try report.lines.map(CLI.json)
            #expect(NSArray(array: all).isEqual(to: stored), "the API returns the objects campaign report --format json prints")
            let filtered = try #require(try JSONSerialization.jsonObject(
                with: Data(Self.get(base + "api/results?verdict=rst-injection&port=443").1.utf8)) as? [[String: Any]])
            #expect(filtered.count == 3 && filtered.allSatisfy { $0["port"] as? Int == 443 })
            let prefix = try #require(try JSONSerialization.jsonObject(
                with: Data(Self.get(base + "api/results?prefix=198.18.9.100/30").1.utf8)) as? [[String: Any]])
            #expect(prefix.count == 3, "198.18.9.100, .102 and .103")
        }
    }

    @Test("Hostile requests: bad filters are 400 with a sentence, unknown items and paths 404, writes refused")
    func hostile() throws {
        try withStore { dir, db in
            let (pid, base) = try Self.serve(["--db", db, "--listen", "127.0.0.1:0"], log: dir + "/serve.log")
            defer { kill(pid, SIGINT); _ = Subprocess.wait(pid) }
            for query in ["port=99999", "port=eighty", "prefix=1.2.3.4/99", "as=ASX", "verdict=" + String(repeating: "x", count: 200),
                          "verdict=%00%01"] {
                let (status, body) = Self.get(base + "api/results?" + query)
                #expect(status == 400 && body.contains("\"error\""), "\(query): \(status) \(body)")
            }
            for path in ["target/0", "target/13", "target/-1", "target/1e3", "target/99999999999999999999999", "target/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                         "target/1/evidence.pcapng", "api/results/x", "nothing"] {
                #expect(Self.get(base + path).0 == 404, "\(path)")
            }
            let page = Self.get(base + "?verdict=%3Cscript%3Ealert(1)%3C/script%3E")
            #expect(page.0 == 200 && !page.1.contains("<script") && page.1.contains("Results: 0 of 12"))
            #expect(Self.get(base + "target/1").1.contains("<h1>198.18.9.100:80 — campaign recorded</h1>"))
            let post = Subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", base], timeout: 30)
            #expect(post.stdout == "405")
        }
    }

    @Test("Beyond loopback a token file is needed; with one, requests without the token are 401")
    func token() throws {
        try withStore { dir, db in
            let refused = try CLI.run(["serve", "--db", db, "--listen", "0.0.0.0:0"])
            #expect(refused.status == 64 && refused.stderr.contains("needs --token-file"), "\(refused.stderr)")
            let bad = try CLI.run(["serve", "--db", db, "--listen", "localhost:8080"])
            #expect(bad.status == 64 && bad.stderr.contains("--listen must be ADDRESS:PORT"))
            let missing = try CLI.run(["serve", "--db", dir + "/none.sqlite", "--listen", "127.0.0.1:0"])
            #expect(missing.status == 1 && missing.stderr.hasPrefix("error: ") && missing.stderr.split(separator: "\n").count == 1,
                    "\(missing.stderr)")
            let secret = "s3cret-token-for-the-dashboard"
            try (secret + "\n").write(toFile: dir + "/tokens", atomically: true, encoding: .utf8)
            let (pid, base) = try Self.serve(["--db", db, "--listen", "127.0.0.1:0", "--token-file", dir + "/tokens"], log: dir + "/serve.log")
            defer { kill(pid, SIGINT); _ = Subprocess.wait(pid) }
            #expect(Self.get(base + "api/campaign").0 == 401)
            #expect(Self.get(base + "api/campaign", ["Authorization: Bearer wrong-token-wrong-token"]).0 == 401)
            #expect(Self.get(base + "api/campaign", ["Authorization: Bearer " + secret]).0 == 200)
            #expect(Self.get(base + "?token=" + secret).0 == 200)
        }
    }

    @Test("In Chromium: the overview, a filter clicked, the form, a target clicked, the reports")
    func browser() throws {
        try withStore { dir, db in
            let page = dir + "/report.html"
            let made = try CLI.run(["campaign", "report", "--db", db, "--format", "html", "--output", page])
            #expect(made.status == 0, "\(made.stderr)")
            let shots = ProcessInfo.processInfo.environment["CENSORSCOPE_SCREENSHOTS"]
            let r = Subprocess.run(["python3", CLI.repositoryRoot.appendingPathComponent("scripts/browser-check.py").path,
                                    "--binary", CLI.binary, "--db", db, "--expect-device", "198.18.2.2 (hop 2)", "--report", page]
                                   + (shots.map { ["--screenshots", $0] } ?? []), timeout: 240)
            #expect(r.status == 0, "\(r.stdout.suffix(3000)) \(r.stderr.suffix(1000))")
            #expect(r.stdout.contains(" passed, 0 failed"))
        }
    }
}
