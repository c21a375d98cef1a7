import Foundation
import Lab
import ChildProcess
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

let behaviourToolsPresent = ["/usr/bin/curl", "/usr/sbin/hping3", "/usr/bin/tcpdump", "/usr/sbin/traceroute"].allSatisfy {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// Each built-in censor does what its scenario says, observed with independent tools
/// (curl, Linux traceroute, hping3, tcpdump) from inside the lab. Serialized: every test
/// owns the `cslab-` namespaces while it runs, and tears its lab down even on failure.
@Suite("Scenario behaviour (root)", .serialized,
       .enabled(if: LabHarness.canRun && behaviourToolsPresent,
                "needs root, the censorscope binary, curl, traceroute, hping3 and tcpdump (scripts/setup.sh)"))
struct ScenarioBehaviourTests {
    static let server = "198.18.9.2"
    static let client = "198.18.1.2"

    /// Brings `name` up, runs `body`, and always brings it down.
    func withLab(_ name: String, _ body: (LabPlan) throws -> Void) throws {
        LabHarness.down(name)
        defer { LabHarness.down(name) }
        let up = try LabHarness.run(["lab", "up", name])
        try #require(up.status == 0, "lab up \(name) failed: \(up.stderr)")
        let status = try LabHarness.json(try LabHarness.run(["lab", "status", name, "--json"]).stdout)
        let processes = ((status["nodes"] as? [[String: Any]]) ?? []).flatMap { ($0["processes"] as? [[String: Any]]) ?? [] }
        try #require(processes.contains { $0["kind"] as? String == "censor" && $0["running"] as? Bool == true },
                     "the censor is not running in \(name)")
        try body(LabPlan(try builtin(name)))
    }

    func curl(_ name: String, from node: String = "client", _ args: [String]) throws -> LabHarness.Result {
        try LabHarness.exec(node, ["curl", "-sS", "--max-time", "4", "-o", "/dev/stdout"] + args, scenario: name)
    }

    /// Runs tcpdump in `node` around `action`, returns the packets as decoded by `censorscope decode --json`.
    func capture(_ name: String, node: String, filter: String, _ action: () throws -> Void) throws -> [[String: Any]] {
        let plan = LabPlan(try builtin(name))
        let ns = try #require(plan.node(named: node)).namespace
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cs-behaviour-\(getpid())-\(node).pcap").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let dump = try #require(Subprocess.start(["ip", "netns", "exec", ns, "tcpdump", "-U", "-i", "any", "-w", file, filter]))
        usleep(600_000)   // tcpdump needs a moment to attach its filter
        do {
            try action()
        } catch {
            Subprocess.stop(dump)
            throw error
        }
        usleep(300_000)
        Subprocess.stop(dump)
        let decoded = try LabHarness.run(["decode", "--json", "--pcap", file])
        return try decoded.stdout.split(separator: "\n").map { try LabHarness.json(String($0)) }
    }

    @Test func telegram2018() throws {
        let name = "telegram-2018"
        try withLab(name) { plan in
            // ICMP passes.
            #expect(try LabHarness.exec("client", ["ping", "-c1", "-W2", Self.server], scenario: name).status == 0)
            // A browser's connection times out: its 60-byte SYN draws only a bare forged RST the stack ignores.
            var timedOut: LabHarness.Result?
            let packets = try capture(name, node: "client", filter: "tcp port 80") {
                timedOut = try curl(name, ["http://\(Self.server)/"])
            }
            #expect(timedOut?.status == 28, "curl: \(timedOut?.stderr ?? "")")
            let resets = packets.filter { ($0["tcp"] as? [String: Any])?["flags"] as? String == "R" && $0["src"] as? String == Self.server }
            let forged = try #require(resets.first, "no RST reached the client: \(packets.count) packets")
            #expect(forged["ttl"] as? Int == 58)
            #expect(forged["ip_id"] as? Int == 1)
            #expect(forged["df"] as? Bool == false)
            let syns = packets.filter { ($0["tcp"] as? [String: Any])?["flags"] as? String == "S" }
            #expect(syns.allSatisfy { $0["length"] as? Int == 60 })
            #expect((forged["tcp"] as? [String: Any])?["window"] as? Int == (syns.first?["tcp"] as? [String: Any])?["window"] as? Int)
            #expect(!packets.contains { ($0["tcp"] as? [String: Any])?["flags"] as? String == "SA" })

            // A 40-byte SYN (hping3, no options) passes and the server answers SYN-ACK.
            let small = try LabHarness.exec("client", ["hping3", "-S", "-p", "80", "-c", "1", Self.server], scenario: name)
            #expect(small.stdout.contains("flags=SA"), "hping3: \(small.stdout)\(small.stderr)")

            // traceroute -T with the default 60-byte SYN "arrives" at the censor's hop (2);
            // with a bare SYN (-O syn: MSS only, 44 bytes) it sees the true path, 5 hops.
            let dpiHop = 2, serverHop = 5
            let fake = try LabHarness.traceroute(from: "client", to: Self.server, scenario: name, extra: ["-T", "-p", "80"])
            #expect(fake.count == dpiHop && fake.last == Self.server, "traceroute -T: \(fake)")
            let real = try LabHarness.traceroute(from: "client", to: Self.server, scenario: name, extra: ["-T", "-O", "syn", "-p", "80"])
            #expect(real.count == serverHop && real.last == Self.server, "traceroute -T -O syn: \(real)")
            #expect(real[dpiHop - 1].map { plan.node(named: "dpi")!.addresses.contains($0) } == true)

            // Reverse direction: from port 80 on the server's side (the vantage beside the server:
            // the server's own port 80 is its web service) to the client's port 80, the handshake
            // completes, then the data is reset.
            let ns = try #require(plan.node(named: "client")).namespace
            let listener = try #require(Subprocess.start(["ip", "netns", "exec", ns, "python3", "-m", "http.server", "80", "--bind", Self.client]))
            defer { Subprocess.stop(listener) }
            var listening = false
            for _ in 0..<100 where !listening {
                listening = !Subprocess.run(["ip", "netns", "exec", ns, "ss", "-Hltn", "sport = :80"]).stdout.isEmpty
                if !listening { usleep(100_000) }
            }
            try #require(listening, "the test's listener on the client never bound port 80")
            // A connect failure (curl 7) is not what is tested here; it is seen now and then
            // on a loaded machine right after the listener came up, so the handshake gets more
            // tries, and a persistent one says what the two ends held.
            var reverse = try curl(name, from: "vantage", ["--local-port", "80", "http://\(Self.client):80/"])
            for _ in 0..<4 where reverse.status == 7 {
                usleep(1_500_000)
                reverse = try curl(name, from: "vantage", ["--local-port", "80", "http://\(Self.client):80/"])
            }
            var diagnosis = ""
            if reverse.status == 7 {
                for node in ["client", "vantage"] {
                    let sockets = try LabHarness.exec(node, ["ss", "-tanp"], scenario: name)
                    diagnosis += "\n\(node) sockets:\n\(sockets.stdout)"
                }
            }
            #expect(reverse.status == 56 || reverse.status == 52, "reverse curl: \(reverse.status) \(reverse.stderr)\(diagnosis)")
            // The same from another source port works: the device keys on port 80.
            let control = try curl(name, from: "vantage", ["--local-port", "8080", "http://\(Self.client):80/"])
            #expect(control.status == 0, "control curl: \(control.stderr)")
        }
    }

    @Test func gfwSNI() throws {
        let name = "gfw-sni"
        try withLab(name) { _ in
            let blocked = try curl(name, ["-k", "--resolve", "blocked.example:443:\(Self.server)", "https://blocked.example/"])
            #expect(blocked.status == 35 || blocked.status == 56, "blocked SNI: \(blocked.status) \(blocked.stderr)")
            let control = try curl(name, ["-k", "--resolve", "allowed.example:443:\(Self.server)", "https://allowed.example/"])
            #expect(control.status == 0, "control SNI: \(control.stderr)")
            // On-path: the ClientHello still reached the server, which logged its SNI.
            let log = (try? String(contentsOfFile: LabStore().directory(of: name) + "/server.serve.log", encoding: .utf8)) ?? ""
            #expect(log.contains("blocked.example"), "server log: \(log.suffix(400))")
        }
    }

    @Test func ipBlackhole() throws {
        let name = "ip-blackhole"
        try withLab(name) { _ in
            let r = try curl(name, ["http://\(Self.server)/"])
            #expect(r.status == 28, "curl: \(r.status) \(r.stderr)")
            let hops = try LabHarness.traceroute(from: "client", to: Self.server, scenario: name, extra: ["-T", "-p", "80", "-m", "6"])
            #expect(!hops.contains(Self.server), "traceroute reached a blackholed server: \(hops)")
        }
    }

    @Test func keywordHTTP() throws {
        let name = "keyword-http"
        try withLab(name) { _ in
            let blocked = try curl(name, ["-H", "Host: blocked.example", "http://\(Self.server)/"])
            #expect(blocked.stdout.contains("blocked by order of the regulator"), "blocked: \(blocked.status) \(blocked.stdout)")
            let control = try curl(name, ["-H", "Host: allowed.example", "http://\(Self.server)/"])
            #expect(control.status == 0)
            #expect(control.stdout.contains("allowed.example") && !control.stdout.contains("regulator"))
        }
    }

    @Test func throttleSNI() throws {
        let name = "throttle-sni"
        try withLab(name) { _ in
            func speed(_ sni: String, bytes: Int) throws -> Double {
                let r = try LabHarness.exec("client", [
                    "curl", "-sk", "--max-time", "30", "-o", "/dev/null", "-w", "%{speed_download}",
                    "--resolve", "\(sni):443:\(Self.server)", "https://\(sni)/bytes/\(bytes)",
                ], scenario: name)
                #expect(r.status == 0, "curl \(sni): \(r.stderr)")
                return Double(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            }
            let slow = try speed("throttled.example", bytes: 200_000) * 8 / 1000   // kbit/s
            let fast = try speed("allowed.example", bytes: 2_000_000) * 8 / 1000
            #expect(slow > 100 && slow < 200, "throttled SNI at \(slow) kbit/s, expected about 150")
            #expect(fast > 2000, "control SNI at \(fast) kbit/s")
        }
    }

    @Test func clean() throws {
        let name = "clean"
        try withLab(name) { _ in
            #expect(try curl(name, ["http://\(Self.server)/"]).status == 0)
            #expect(try curl(name, ["-k", "--resolve", "blocked.example:443:\(Self.server)", "https://blocked.example/"]).status == 0)
            let hops = try LabHarness.traceroute(from: "client", to: Self.server, scenario: name, extra: ["-T", "-p", "80"])
            #expect(hops.last == Self.server)
        }
    }
}
