import ChildProcess
import Foundation
import Lab
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 17's end-to-end test: one campaign from three vantage namespaces at once into one
/// PostgreSQL database (the test run's own cluster, over its Unix socket), one vantage
/// behind the censor, that one killed with SIGKILL midway and resumed.
@Suite(.serialized, .enabled(if: LabHarness.canRun && PostgresCluster.installed))
struct VantagesLabTests {
    static let scenario = "vantages"
    static let script = repositoryRoot.appendingPathComponent("Probes/campaigns/lab.yaml").path

    static func namespace(_ node: String) -> String { LabPlan.namespace(scenario: scenario, node: node) }

    /// Targets and ports, and whether the censor (on the client's path only) blocks them.
    static let targets: [(address: String, port: Int, censored: Bool)] =
        (1...6).map { ("198.18.20.\($0)", 80, false) } + (1...6).map { ("198.18.21.\($0)", 80, true) }
        + (1...3).map { ("198.18.22.\($0)", 80, true) } + (1...3).map { ("198.18.23.\($0)", 443, true) }
        + (1...3).map { ("198.18.29.\($0)", 80, false) }

    static func status(_ db: String) throws -> [String: Any]? {
        let r = try LabHarness.run(["campaign", "status", "--db", db, "--json"])
        return r.status == 0 ? try LabHarness.json(r.stdout) : nil
    }

    /// Items the vantage has done, or nil before it has joined.
    static func done(_ db: String, vantage: String) throws -> Int? {
        let vantages = try status(db)?["vantages"] as? [[String: Any]] ?? []
        return vantages.first { $0["name"] as? String == vantage }?["done"] as? Int
    }

    static func start(_ node: String, _ args: [String], log: String) throws -> pid_t {
        try #require(Subprocess.start(["ip", "netns", "exec", namespace(node), LabHarness.binary] + args, outputFile: log),
                     "cannot start censorscope in \(node)")
    }

    @Test("Three vantages, one behind the censor and killed with -9 midway: one verdict per vantage, target and port; compare flags the censored")
    func threeVantagesOneStore() throws {
        let cluster = try PostgresCluster.shared()
        let db = try cluster.newDatabase("lab")
        let dir = "/tmp/cstest-vantages-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let list = dir + "/targets.txt"
        try Self.targets.map { "\($0.address):\($0.port)" }.joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
        let exits: Set<Int32> = [0, 2, 3]   // measured (blocked or not); issue 19 gives blocked its own code

        try LabHarness.withLab(Self.scenario) {
            // 1. The censored vantage creates the campaign, slowly enough to be killed midway.
            let censored = try Self.start("client", ["campaign", "run", Self.script, "--targets", list, "--db", db, "--vantage", "censored",
                                                     "--allow-reserved", "--rate", "15", "--parallel", "2", "--seed", "7", "--quiet"],
                                          log: dir + "/censored.log")
            var deadline = Date().addingTimeInterval(60)
            while try Self.done(db, vantage: "censored") == nil, Date() < deadline { usleep(100_000) }
            // 2. Two vantages beyond the censor join while it runs.
            let east = try Self.start("east", ["campaign", "join", "--db", db, "--vantage", "east", "--allow-reserved", "--rate", "200", "--quiet"],
                                      log: dir + "/east.log")
            let west = try Self.start("west", ["campaign", "join", "--db", db, "--vantage", "west", "--allow-reserved", "--rate", "200", "--quiet"],
                                      log: dir + "/west.log")
            // 3. SIGKILL the censored vantage once it has a few results.
            deadline = Date().addingTimeInterval(120)
            while (try Self.done(db, vantage: "censored") ?? 0) < 3, Date() < deadline { usleep(100_000) }
            let doneAtKill = try Self.done(db, vantage: "censored") ?? 0
            kill(censored, SIGKILL)
            #expect(Subprocess.wait(censored) == 137)
            #expect(doneAtKill >= 3 && doneAtKill < Self.targets.count, "killed after \(doneAtKill) items: not midway")
            for (name, pid) in [("east", east), ("west", west)] {
                let status = Subprocess.wait(pid)
                let log = (try? String(contentsOfFile: dir + "/\(name).log", encoding: .utf8)) ?? ""
                #expect(exits.contains(status), "\(name) exited \(status): \(log)")
            }
            // 4. The killed vantage resumes under its name.
            let resumed = Subprocess.run(["ip", "netns", "exec", Self.namespace("client"), LabHarness.binary, "campaign", "resume", "--db", db,
                                          "--vantage", "censored", "--allow-reserved", "--rate", "200", "--quiet"], timeout: 300)
            #expect(exits.contains(resumed.status), "resume exited \(resumed.status): \(resumed.stderr)")

            // Exactly one verdict per (vantage, target, port).
            let report = try LabHarness.run(["campaign", "report", "--db", db, "--format", "json"])
            #expect(report.status == 0, "\(report.stderr)")
            var seen: [String: String] = [:]
            for line in report.stdout.split(separator: "\n") {
                let v = try LabHarness.json(String(line))
                let key = "\((v["vantage"] as? [String: Any])?["name"] as? String ?? "?") \(v["target"] as? String ?? "?") \(v["port"] as? Int ?? 0)"
                #expect(seen[key] == nil, "two verdicts for \(key)")
                seen[key] = v["verdict"] as? String
            }
            #expect(seen.count == 3 * Self.targets.count)
            for t in Self.targets {
                for vantage in ["east", "west"] {
                    let expected = t.address.hasPrefix("198.18.29.") ? "host-down" : "reachable"
                    #expect(seen["\(vantage) \(t.address) \(t.port)"] == expected, "\(vantage) \(t.address):\(t.port)")
                }
                let fromClient = seen["censored \(t.address) \(t.port)"]
                if t.censored {
                    // Blackholed: from one vantage, silence is not told from a host that is down (Docs/campaigns.md).
                    #expect(fromClient == (t.address.hasPrefix("198.18.22.") ? "unreachable" : "rst-injection"), "censored \(t.address):\(t.port): \(fromClient ?? "none")")
                }
            }
            let status = try #require(try Self.status(db))
            #expect(status["done"] as? Int == 3 * Self.targets.count && status["ended_at"] is String)
            let sessions = status["sessions"] as? [[String: Any]] ?? []
            let censoredSessions = sessions.filter { $0["vantage"] as? String == "censored" }
            #expect(censoredSessions.count == 2 && censoredSessions.first?["ended_at"] is NSNull, "the killed session never ended")

            // compare flags exactly the targets the censor blocks; silence everywhere is not censorship.
            let compare = try LabHarness.run(["campaign", "compare", "--db", db, "--json"])
            #expect(compare.status == 0, "\(compare.stderr)")
            var flagged = Set<String>()
            for line in compare.stdout.split(separator: "\n") {
                let row = try LabHarness.json(String(line))
                let key = "\(row["target"] as? String ?? "?") \(row["port"] as? Int ?? 0)"
                #expect((row["verdicts"] as? [String: String])?.count == 3, "\(key)")
                if row["flagged"] as? Bool == true {
                    flagged.insert(key)
                    #expect((row["evidence"] as? [String: Any])?.count == 3, "a flagged row carries each vantage's evidence")
                }
                if key.hasPrefix("198.18.29.") { #expect(row["summary"] as? String == "silent-everywhere") }
            }
            #expect(flagged == Set(Self.targets.filter(\.censored).map { "\($0.address) \($0.port)" }))
        }
    }
}
