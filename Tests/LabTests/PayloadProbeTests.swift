import ChildProcess
import Foundation
import Lab
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `censorscope probe payload` inside the lab: the TTL at which the test payload starts
/// drawing the censor's answer must be the hop of the scenario's censor node, while the
/// control payload keeps drawing time exceeded up to the server and then its answer.
@Suite("Payload probe in the lab (root)", .serialized,
       .enabled(if: LabHarness.canRun, "needs root and the censorscope binary"))
struct PayloadProbeTests {
    static let server = "198.18.9.2"

    /// Brings `name` up, runs `body` with the plan, and always brings it down.
    func withLab(_ name: String, _ body: (LabPlan) throws -> Void) throws {
        LabHarness.down(name)
        defer { LabHarness.down(name) }
        let up = try LabHarness.run(["lab", "up", name])
        try #require(up.status == 0, "lab up \(name) failed: \(up.stderr)")
        try body(LabPlan(try builtin(name)))
    }

    /// Runs the probe on the client and returns its `ttls` array.
    func probe(_ name: String, _ args: [String]) throws -> [[String: Any]] {
        let r = try LabHarness.exec("client", [LabHarness.binary, "probe", "payload"] + args + ["--json"], scenario: name)
        try #require(r.status == 0, "probe payload failed: \(r.stderr)")
        let json = try LabHarness.json(r.stdout)
        return try #require(json["ttls"] as? [[String: Any]], "no ttls in \(r.stdout)")
    }

    func addresses(_ plan: LabPlan, role: NodeRole) -> Set<String> {
        Set(plan.nodes.filter { $0.role == role }.flatMap(\.addresses))
    }

    func side(_ step: [String: Any], _ key: String) -> [String: Any] { step[key] as? [String: Any] ?? [:] }
    func outcome(_ step: [String: Any], _ key: String) -> String? { side(step, key)["outcome"] as? String }
    func from(_ step: [String: Any], _ key: String) -> String? { side(step, key)["from"] as? String }

    /// What both scenarios share: routers then the censor answer time exceeded to the
    /// control; the control reaches the server at hop (forwarding nodes + 1) and the
    /// trace stops there. Returns the first TTL at which the test drew `censored`.
    func checkPath(_ plan: LabPlan, _ ttls: [[String: Any]], server: String, censored: ([String: Any]) -> Bool,
                   serverFirstLine: String) throws -> Int {
        let serverHop = plan.nodes.filter { $0.role.forwards }.count + 1
        #expect(ttls.map { $0["ttl"] as? Int } == Array(1...serverHop), "the trace should stop at the server's hop \(serverHop)")
        let forwarders = addresses(plan, role: .router).union(addresses(plan, role: .censor))
        for step in ttls.dropLast() {
            #expect(outcome(step, "control") == "time-exceeded", "control at ttl \(step["ttl"] ?? "?"): \(side(step, "control"))")
            #expect(from(step, "control").map(forwarders.contains) == true)
        }
        let last = try #require(ttls.last)
        #expect(outcome(last, "control") == "data")
        #expect(from(last, "control") == server)
        #expect(side(last, "control")["first_line"] as? String == serverFirstLine)

        let index = try #require(ttls.firstIndex { censored(side($0, "test")) }, "the test was never censored: \(ttls)")
        let censorTTL = try #require(ttls[index]["ttl"] as? Int)
        // Before the censor: the same routers answer test and control.
        for step in ttls[..<index] {
            #expect(outcome(step, "test") == "time-exceeded")
            #expect(from(step, "test") == from(step, "control"))
            #expect(from(step, "test").map(addresses(plan, role: .router).contains) == true)
        }
        // From the censor on, every test connection is censored.
        for step in ttls[index...] { #expect(censored(side(step, "test")), "test at ttl \(step["ttl"] ?? "?"): \(side(step, "test"))") }
        // Where: the control's router at that TTL is the scenario's censor node.
        let censorAddress = try #require(from(ttls[index], "control"))
        #expect(addresses(plan, role: .censor).contains(censorAddress), "\(censorAddress) is not the censor's")
        return censorTTL
    }

    @Test func gfwSNI() throws {
        try withLab("gfw-sni") { plan in
            let pcap = "/tmp/cs-payload-probe-\(getpid()).pcapng"
            defer { try? FileManager.default.removeItem(atPath: pcap) }
            let ttls = try probe("gfw-sni", [Self.server, "--port", "443", "--sni", "blocked.example", "--pcap", pcap])
            let injectedReset: ([String: Any]) -> Bool = { o in
                (o["outcome"] as? String) == "rst" && (o["from"] as? String) == Self.server
                    && ((o["fingerprint"] as? [String: Any])?["flags"] as? String) == "RA"
            }
            let censorTTL = try checkPath(plan, ttls, server: Self.server, censored: injectedReset,
                                          serverFirstLine: "TLS handshake: ServerHello")
            #expect(censorTTL == 2)
            let test = side(ttls[censorTTL - 1], "test")
            let forged = try #require(test["fingerprint"] as? [String: Any])
            let lastStep = try #require(ttls.last)
            let genuine = try #require(side(lastStep, "control")["fingerprint"] as? [String: Any])
            // The forged reset is nearer than the server: a larger TTL left (64 - 1 vs 64 - 3).
            #expect(forged["ttl"] as? Int == 63)
            #expect(genuine["ttl"] as? Int == 61)
            #expect(test["in_window"] as? Bool == true)
            #expect(test["socket_error"] as? String == "Connection reset by peer")
            // On-path: the payload also went on, so the censor's router answered time exceeded too.
            #expect(plan.node(named: "dpi")?.addresses.contains(test["time_exceeded_from"] as? String ?? "") == true)

            // The pcapng: every connection labelled, our ClientHello decoded by tshark.
            #expect(FileManager.default.fileExists(atPath: pcap))
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark") {
                let r = Subprocess.run(["tshark", "-r", pcap, "-Y", "tls.handshake.type == 1", "-T", "fields",
                                        "-e", "frame.comment", "-e", "tls.handshake.extensions_server_name"])
                let lines = r.stdout.split(separator: "\n").map(String.init)
                #expect(lines.contains { $0.hasPrefix("test ttl 2\t") && $0.hasSuffix("\tblocked.example") }, "tshark: \(r.stdout) \(r.stderr)")
                #expect(lines.contains { $0.hasPrefix("control ttl 4\t") && $0.hasSuffix("\texample.com") })
            }

            // IPv6: the same picture.
            let ttls6 = try probe("gfw-sni", ["2001:db8:9::2", "--port", "443", "--sni", "blocked.example"])
            #expect(ttls6.count == 4)
            #expect(outcome(ttls6[0], "test") == "time-exceeded")
            #expect(outcome(ttls6[1], "test") == "rst")
            #expect(plan.node(named: "dpi")?.addresses.contains(from(ttls6[1], "control") ?? "") == true)
            #expect(outcome(ttls6[3], "control") == "data")
        }
    }

    @Test func keywordHTTP() throws {
        try withLab("keyword-http") { plan in
            let ttls = try probe("keyword-http", [Self.server, "--port", "80", "--host", "blocked.example"])
            let blockpage: ([String: Any]) -> Bool = { o in
                (o["outcome"] as? String) == "data" && (o["first_line"] as? String) == "HTTP/1.1 403 Forbidden"
            }
            let censorTTL = try checkPath(plan, ttls, server: Self.server, censored: blockpage,
                                          serverFirstLine: "HTTP/1.1 200 OK")
            #expect(censorTTL == 2)
            let test = side(ttls[censorTTL - 1], "test")
            #expect((test["response_bytes"] as? Int ?? 0) > 100)
            #expect((test["fingerprint"] as? [String: Any])?["flags"] as? String == "FPA")
            // In-path: the request is dropped, so no router past the censor answers it.
            #expect(test["time_exceeded_from"] is NSNull)

            // A single TTL past the censor, with the control given explicitly.
            let one = try probe("keyword-http", [Self.server, "--port", "80", "--host", "blocked.example",
                                                 "--control-host", "allowed.example", "--ttl", "4"])
            #expect(one.count == 1)
            let step = try #require(one.first)
            #expect(blockpage(side(step, "test")))
            #expect(side(step, "control")["first_line"] as? String == "HTTP/1.1 200 OK")
        }
    }

    @Test func refusesReservedTargetsOutsideTheLab() throws {
        let r = try LabHarness.run(["probe", "payload", Self.server, "--port", "443", "--sni", "blocked.example", "--json"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--allow-reserved"))
        #expect(r.stdout.isEmpty)
    }
}
