import ChildProcess
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The agent in telegram-2018's server node, called from the client: both directions of
/// the asymmetric path, the story's reverse probe reset by the censor, and every refusal.
@Suite("agent in the lab (root)", .serialized,
       .enabled(if: LabHarness.canRun, "needs root and the censorscope binary"))
struct AgentLabTests {
    static let scenario = "telegram-2018"
    static let url = "https://198.18.9.2:8443"
    static let token = "agent-lab-token-0123456789abcdef"
    static let floodToken = "agent-lab-flood-0123456789abcdef"
    static let scopedToken = "agent-lab-scope-0123456789abcdef"

    /// A temporary directory with the token file (mode 600), the agent's state, known_agents.
    struct Workspace {
        let directory = NSTemporaryDirectory() + "cstest-agent-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var tokens: String { directory + "/tokens" }
        var state: String { directory + "/state" }
        var known: String { directory + "/known_agents" }
        var log: String { directory + "/agent.log" }

        func create() throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let text = "# lab tokens\n\(AgentLabTests.token)\n\(AgentLabTests.floodToken)\n\(AgentLabTests.scopedToken) scope 198.18.10.2\n"
            try #require(FileManager.default.createFile(atPath: tokens, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        }
    }

    /// Runs `censorscope ARGS` in the client with known_agents in the workspace.
    func client(_ w: Workspace, _ args: [String]) throws -> LabHarness.Result {
        try LabHarness.exec("client", ["/usr/bin/env", "CENSORSCOPE_KNOWN_AGENTS=\(w.known)", LabHarness.binary] + args,
                            scenario: Self.scenario)
    }

    /// Starts the agent in the server's namespace and waits for its fingerprint.
    func startAgent(_ w: Workspace) throws -> (pid: pid_t, fingerprint: String) {
        let pid = try #require(Subprocess.start(["/usr/sbin/ip", "netns", "exec", "cslab-\(Self.scenario).server", LabHarness.binary,
                                                 "agent", "serve", "--listen", "198.18.9.2:8443", "--token-file", w.tokens,
                                                 "--state-dir", w.state, "--allow-reserved", "--rate-limit", "8/60"],
                                                outputFile: w.log))
        for _ in 0..<100 {
            let text = (try? String(contentsOfFile: w.log, encoding: .utf8)) ?? ""
            if text.contains("listening on https://198.18.9.2:8443"),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("fingerprint SHA256:") }) {
                return (pid, String(line.dropFirst("fingerprint ".count)))
            }
            usleep(100_000)
        }
        Subprocess.stop(pid)
        Issue.record("the agent did not start: \((try? String(contentsOfFile: w.log, encoding: .utf8)) ?? "")")
        throw CancellationError()
    }

    @Test func bothDirectionsTheReverseResetAndTheRefusals() throws {
        let w = Workspace()
        try w.create()
        defer { try? FileManager.default.removeItem(atPath: w.directory) }
        try LabHarness.withLab(Self.scenario) {
            let agent = try startAgent(w)
            var stopped = false
            defer { if !stopped { Subprocess.stop(agent.pid) } }
            let mode = try FileManager.default.attributesOfItem(atPath: w.state + "/agent.key")[.posixPermissions] as? Int
            #expect(mode == 0o600, "the key's mode")

            // trace --both: first contact pins the certificate; the two paths differ.
            let both = try client(w, ["trace", "198.18.9.2", "--both", "--agent", Self.url, "--token", Self.token, "--json"])
            try #require(both.status == 0, "trace --both failed: \(both.stderr)")
            #expect(both.stderr.contains("(first contact); recorded in \(w.known)"), "\(both.stderr)")
            let known = try String(contentsOfFile: w.known, encoding: .utf8)
            #expect(known.contains("198.18.9.2:8443 \(agent.fingerprint)"), "known_agents: \(known)")
            let result = try LabHarness.json(both.stdout)
            let forward = addresses(result["forward"]), reverse = addresses(result["reverse"])
            #expect(forward.contains("198.18.3.2"), "forward via transit-a: \(forward)")
            #expect(!forward.contains { $0.hasPrefix("198.18.6.") || $0.hasPrefix("198.18.4.") }, "forward: \(forward)")
            #expect(reverse.contains { $0.hasPrefix("198.18.6.") || $0.hasPrefix("198.18.4.") }, "reverse via transit-b: \(reverse)")
            #expect((result["reverse"] as? [String: Any])?["target"] as? String == "198.18.1.2")
            #expect((result["reverse"] as? [String: Any])?["evidence_pcapng"] == nil, "evidence is left out of the trace object")
            let file = w.directory + "/both.json"
            try both.stdout.write(toFile: file, atomically: true, encoding: .utf8)
            let compare = try LabHarness.run(["routes", "compare", file, "--json"])
            try #require(compare.status == 0, "routes compare failed: \(compare.stderr)")
            #expect(try LabHarness.json(compare.stdout)["asymmetric"] as? Bool == true)

            // The story's reverse probe: from the server's port 80 to the client's, reset by the DPI.
            let investigation = try client(w, ["investigate", "198.18.9.2", "--port", "80", "--both", "--agent", Self.url,
                                               "--token", Self.token, "--json", "--pcap", w.directory + "/forward.pcapng",
                                               "--reverse-pcap", w.directory + "/reverse.pcapng"])
            try #require(investigation.status == 2, "investigate --both failed (a block exits 2): \(investigation.stderr)")
            let i = try LabHarness.json(investigation.stdout)
            #expect(i["verdict"] as? String == "rst-injection")
            let r = try #require(i["reverse"] as? [String: Any])
            #expect(r["sport"] as? Int == 80 && r["dport"] as? Int == 80 && r["target"] as? String == "198.18.1.2")
            #expect(r["connected"] as? Bool == true, "the handshake completes")
            #expect(r["outcome"] as? String == "rst" && r["reset_by"] as? String == "injector", "\(r)")
            #expect((r["fingerprint"] as? [String: Any])?["ip_id"] as? Int == 1)
            #expect((r["fingerprint"] as? [String: Any])?["df"] as? Bool == false)
            #expect(r["blocked"] as? Bool == true)
            let direction = try #require(i["direction"] as? [String: Any])
            #expect(direction["forward"] as? Bool == true && direction["reverse"] as? Bool == true)
            #expect(direction["summary"] as? String == "acts on both directions")
            let reverseEvidence = try #require(FileManager.default.contents(atPath: w.directory + "/reverse.pcapng"))
            #expect(reverseEvidence.prefix(4) == Data([0x0A, 0x0D, 0x0D, 0x0A]), "a pcapng file")
            let log = (try? String(contentsOfFile: w.log, encoding: .utf8)) ?? ""
            #expect(log.contains("POST /v1/reverse from 198.18.1.2: connecting from port 80 to 198.18.1.2 port 80"))

            // A wrong token: 401.
            let wrong = try client(w, ["trace", "198.18.9.2", "--both", "--agent", Self.url, "--token", "not-the-token-0123456789"])
            #expect(wrong.status == 1)
            #expect(wrong.stderr.contains("(401 Unauthorized): the token is not one this agent accepts"), "\(wrong.stderr)")

            // A third address: 403; the scoped token may name its scope.
            let third = try client(w, ["agent", "request", Self.url, "--token", Self.token, "--path", "/v1/trace",
                                       "--body", #"{"method":"icmp","target":"198.18.10.2"}"#])
            #expect(third.status == 1)
            #expect(third.stderr.contains("(403 Forbidden): the agent probes only the address the request came from (198.18.1.2)"), "\(third.stderr)")
            let scoped = try client(w, ["agent", "request", Self.url, "--token", Self.scopedToken, "--path", "/v1/trace",
                                        "--body", #"{"method":"icmp","target":"198.18.10.2","max_ttl":4}"#])
            #expect(scoped.status == 0, "\(scoped.stderr)")
            #expect((try? LabHarness.json(scoped.stdout))?["target"] as? String == "198.18.10.2")

            // Pins: a wrong --agent-pin and a changed known_agents entry stop before sending.
            let pin = "SHA256:" + String(repeating: "00", count: 32)
            let wrongPin = try client(w, ["trace", "--agent", Self.url, "--token", Self.token, "--agent-pin", pin])
            #expect(wrongPin.status == 1)
            #expect(wrongPin.stderr.contains("not the pinned \(pin)"), "\(wrongPin.stderr)")
            try "198.18.9.2:8443 \(pin)\n".write(toFile: w.known, atomically: true, encoding: .utf8)
            let changed = try client(w, ["trace", "--agent", Self.url, "--token", Self.token])
            #expect(changed.status == 1)
            #expect(changed.stderr.contains("has CHANGED"), "\(changed.stderr)")
            let right = try client(w, ["agent", "request", Self.url, "--token", Self.floodToken, "--agent-pin", agent.fingerprint])
            #expect(right.status == 0, "the right pin: \(right.stderr)")

            // A flood: the flood token's bucket (8, one a minute) has 7 left; the 8th after that is refused.
            var statuses: [Int32] = []
            var last = LabHarness.Result(status: 0, stdout: "", stderr: "")
            for _ in 0..<8 {
                last = try client(w, ["agent", "request", Self.url, "--token", Self.floodToken, "--agent-pin", agent.fingerprint])
                statuses.append(last.status)
            }
            #expect(statuses == [0, 0, 0, 0, 0, 0, 0, 1], "\(statuses)")
            #expect(last.stderr.contains("(429 Too Many Requests): too many requests") && last.stderr.contains("Retry-After:"), "\(last.stderr)")
            stopped = true
            #expect(Subprocess.stop(agent.pid) == 0, "the agent exits cleanly on SIGTERM")
        }
    }

    /// Every address a trace object's hops name.
    func addresses(_ trace: Any?) -> [String] {
        let hops = ((trace as? [String: Any])?["hops"] as? [[String: Any]]) ?? []
        return hops.flatMap { hop in ((hop["responses"] as? [[String: Any]]) ?? []).compactMap { $0["address"] as? String } }
    }
}
