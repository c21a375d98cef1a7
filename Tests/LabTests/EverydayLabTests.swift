import ChildProcess
import Foundation
import Lab
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Everyday use in the lab: every probing command's exit status on good, blocked and
/// absent targets; `routes compare` on real traces of the clean and asymmetric labs; the
/// progress line and a clean Ctrl-C of `investigate` in a terminal (tmux).
@Suite("Everyday use in the lab (root)", .serialized,
       .enabled(if: LabHarness.canRun, "needs root and the censorscope binary"))
struct EverydayLabTests {
    static let server = "198.18.9.2"
    /// On the server's link, but no node has it: routers answer host unreachable after ARP fails.
    static let absent = "198.18.9.99"

    struct Case: CustomStringConvertible {
        var scenario: String
        var args: [String]
        var status: Int32
        var description: String { "\(scenario): \(args.joined(separator: " ")) → \(status)" }
    }

    /// Good, blocked and absent targets: 0 measured and not blocked, 2 blocked, 3 nothing decided.
    static let cases: [Case] = [
        Case(scenario: "clean", args: ["investigate", server, "--port", "80"], status: 0),
        Case(scenario: "clean", args: ["probe", "syn", server, "--port", "80", "--variant", "linux"], status: 0),
        Case(scenario: "clean", args: ["trace", server, "--port", "80"], status: 0),
        Case(scenario: "clean", args: ["probe", "icmp", server], status: 0),
        Case(scenario: "clean", args: ["probe", "icmp", absent, "--timeout", "1"], status: 3),
        Case(scenario: "clean", args: ["trace", absent, "--max-ttl", "6", "--timeout", "1"], status: 3),
        Case(scenario: "clean", args: ["investigate", absent, "--port", "80"], status: 3),
        Case(scenario: "telegram-2018", args: ["investigate", server, "--port", "80"], status: 2),
        Case(scenario: "telegram-2018", args: ["probe", "syn", server, "--port", "80", "--variant", "linux"], status: 2),
        Case(scenario: "telegram-2018", args: ["probe", "syn", server, "--port", "80", "--variant", "mss"], status: 0),
    ]

    @Test("exit status of every probing command on good, blocked and absent targets")
    func exitStatusTable() throws {
        for scenario in ["clean", "telegram-2018"] {
            try LabHarness.withLab(scenario) {
                for c in Self.cases where c.scenario == scenario {
                    let r = try LabHarness.exec("client", [LabHarness.binary] + c.args + ["--json"], scenario: scenario)
                    #expect(r.status == c.status, "\(c): exit \(r.status), stderr \(r.stderr)")
                    #expect(r.stderr.isEmpty || r.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("warning: ") },
                            "\(c): \(r.stderr)")
                }
                // A bad evidence path stops the run before the first packet, with one line.
                let bad = try LabHarness.exec("client", [LabHarness.binary, "investigate", Self.server, "--pcap", "/nonexistent/x.pcapng"],
                                              scenario: scenario)
                #expect(bad.status == 1)
                #expect(bad.stderr == "error: cannot write the evidence file /nonexistent/x.pcapng: there is no directory /nonexistent\n")
                #expect(bad.stdout.isEmpty, "nothing ran: \(bad.stdout)")
            }
        }
    }

    /// Traces from the client to the server and back, compared.
    func compare(_ scenario: String, server: String = Self.server, client: String = "198.18.1.2") throws -> [String: Any] {
        let dir = NSTemporaryDirectory() + "cstest-routes-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (node, target, file) in [("client", server, "forward"), ("server", client, "reverse")] {
            let r = try LabHarness.exec(node, [LabHarness.binary, "trace", target, "--method", "icmp", "--json"], scenario: scenario)
            try #require(r.status == 0, "trace from \(node): \(r.stderr)")
            try r.stdout.write(toFile: "\(dir)/\(file).json", atomically: true, encoding: .utf8)
        }
        let r = try LabHarness.run(["routes", "compare", "\(dir)/forward.json", "\(dir)/reverse.json", "--json"])
        try #require(r.status == 0, "routes compare: \(r.stderr)")
        return try LabHarness.json(r.stdout)
    }

    /// isp, dpi and transit each answer from the interface facing the prober: no address is
    /// seen both ways, yet the three are tied by their links and none is paired with its neighbour.
    @Test("routes compare on the clean lab reports its 3 routers, all shared")
    func routesOnTheCleanLab() throws {
        try LabHarness.withLab("clean") {
            let c = try compare("clean")
            #expect(c["summary"] as? String == "symmetric: the paths share 3 of 3 routers")
            #expect(c["asymmetric"] as? Bool == false)
            let aligned = (c["aligned"] as? [[String: Any]]) ?? []
            #expect(aligned.map { [$0["forward_ttl"] as? Int, $0["reverse_ttl"] as? Int] } == [[1, 3], [2, 2], [3, 1]], "\(aligned)")
            #expect(aligned.allSatisfy { $0["match"] as? String == "link" })
        }
    }

    @Test("routes compare on the clean lab over IPv6: the same 3 routers, all shared")
    func routesOnTheCleanLabIPv6() throws {
        try LabHarness.withLab("clean") {
            let c = try compare("clean", server: "2001:db8:9::2", client: "2001:db8:1::2")
            #expect(c["summary"] as? String == "symmetric: the paths share 3 of 3 routers", "\(c["summary"] ?? "")")
            #expect(c["asymmetric"] as? Bool == false)
        }
    }

    /// Forward over transit-a, back over transit-b, the datacenter's router silent both ways:
    /// isp and dpi are shared (dpi answers the server from its transit-a side, 198.18.3.1,
    /// which must not tie transit-a to transit-b), the carriers are on one path each.
    @Test("routes compare on the asymmetric lab: isp and dpi shared, each carrier on one path")
    func routesOnTheAsymmetricLab() throws {
        try LabHarness.withLab("telegram-2018") {
            let c = try compare("telegram-2018")
            #expect(c["asymmetric"] as? Bool == true)
            #expect(c["summary"] as? String == "asymmetric: the paths share 2 of 4 routers", "\(c["summary"] ?? "")")
            #expect(c["forward_only_hops"] as? [String] == ["198.18.3.2"])
            #expect(c["reverse_only_hops"] as? [String] == ["198.18.6.1"])
        }
    }

    /// A pane of tmux is a terminal: the progress line shows, Ctrl-C stops the run, says
    /// so, and the evidence gathered so far is kept.
    @Test("investigate in a terminal: the progress line, then a clean Ctrl-C", .enabled(if: Tools.available(["tmux"]), "needs tmux"))
    func progressAndInterrupt() throws {
        let session = "cstest-progress-\(getpid())"
        let evidence = NSTemporaryDirectory() + "cstest-progress-\(getpid()).pcapng"
        defer {
            _ = Subprocess.run(["tmux", "kill-session", "-t", session])
            unlink(evidence)
        }
        try LabHarness.withLab("telegram-2018") {
            // Slowed to 20 probes a second, so the run lasts long enough to watch and stop.
            let command = "\(LabHarness.binary) lab exec client -- \(LabHarness.binary) investigate \(Self.server) --port 80 "
                + "--rate 20 --pcap \(evidence); echo EXIT=$?; sleep 60"
            let started = Subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "20", command])
            try #require(started.status == 0, "tmux: \(started.stderr)")
            func pane() -> String { Subprocess.run(["tmux", "capture-pane", "-p", "-t", session]).stdout }
            var screen = ""
            for _ in 0..<40 where !screen.contains("probes sent") {
                usleep(250_000)
                screen = pane()
            }
            #expect(screen.contains("investigate \(Self.server) port 80: "), "no progress line: \(screen)")
            #expect(screen.contains(" probes sent, "), "\(screen)")
            _ = Subprocess.run(["tmux", "send-keys", "-t", session, "C-c"])
            for _ in 0..<60 where !screen.contains("EXIT=") {
                usleep(250_000)
                screen = pane()
            }
            #expect(screen.contains("EXIT=130"), "\(screen)")
            #expect(screen.contains("interrupted: stopped after "), "\(screen)")
            #expect(screen.contains("the evidence gathered so far is in \(evidence)"), "\(screen)")
            #expect(!screen.contains("VERDICT"), "no verdict after an interrupt")
            let decoded = try LabHarness.run(["decode", "--pcap", evidence])
            #expect(decoded.status == 0 && !decoded.stdout.isEmpty, "the partial evidence is a readable capture: \(decoded.stderr)")
        }
    }

    /// `trace --report` in rounds a second apart: no loss on the clean lab, where sending
    /// every round at once would lose queries to the routers' ICMP rate limit.
    @Test("trace --report: per-hop loss and best/avg/worst/stdev")
    func traceReport() throws {
        try LabHarness.withLab("clean") {
            let r = try LabHarness.exec("client", [LabHarness.binary, "trace", Self.server, "--report", "--queries", "4",
                                                   "--interval", "0.5", "--json"], scenario: "clean")
            try #require(r.status == 0, "\(r.stderr)")
            let json = try LabHarness.json(r.stdout)
            let hops = try #require(json["hops"] as? [[String: Any]])
            #expect(hops.compactMap { $0["address"] as? String } == ["198.18.1.1", "198.18.2.2", "198.18.3.2", "198.18.9.2"])
            for hop in hops {
                #expect(hop["sent"] as? Int == 4 && hop["received"] as? Int == 4, "\(hop)")
                #expect(hop["loss_pct"] as? Double == 0)
                let best = hop["best_ms"] as? Double ?? -1, avg = hop["avg_ms"] as? Double ?? -1, worst = hop["worst_ms"] as? Double ?? -1
                #expect(best > 0 && best <= avg && avg <= worst, "\(hop)")
            }
            let text = try LabHarness.exec("client", [LabHarness.binary, "trace", Self.server, "--report", "--queries", "2",
                                                      "--interval", "0.2"], scenario: "clean")
            #expect(text.status == 0)
            #expect(text.stdout.contains("Loss%") && text.stdout.contains("StDev"), "\(text.stdout)")
            #expect(text.stdout.contains("  1.|-- 198.18.1.1"), "\(text.stdout)")
        }
    }
}
