import ChildProcess
import Foundation
import Lab
import TestSupport
import Testing

/// Network-layer verdicts on a network built with the kernel's own tools (the `plain`
/// scenario: no censor of ours): silence and host-down, routing loops, port-wide blocks and
/// where they sit, answers on another interface, and campaigns under the kernel's default
/// ICMP rate limits. Each through the real binary, IPv4 and IPv6, with the client behind NAT
/// (masquerade on `home`) as well as not. Zero false `blocked`: every non-block is asserted.
@Suite(.serialized, .enabled(if: LabHarness.canRun))
struct NetworkVerdictLabTests {
    static let scenario = "plain"
    static var client: String { LabPlan.namespace(scenario: scenario, node: "client") }

    struct Family {
        var name: String
        var server: String
        var down: String
        var iptables: String
        var mid: String
        var transit: String
        var midToTransit: String
        var prohibited: String
        var host: Int
        static let v4 = Family(name: "IPv4", server: "198.18.9.2", down: "198.18.9.99", iptables: "iptables", mid: "198.18.2.2",
                               transit: "198.18.3.2", midToTransit: "198.18.3.1", prohibited: "icmp-admin-prohibited", host: 32)
        static let v6 = Family(name: "IPv6", server: "2001:db8:9::2", down: "2001:db8:9::99", iptables: "ip6tables", mid: "2001:db8:2::2",
                               transit: "2001:db8:3::2", midToTransit: "2001:db8:3::1", prohibited: "icmp6-adm-prohibited", host: 128)
        var ip: [String] { iptables == "iptables" ? ["ip"] : ["ip", "-6"] }
    }

    static func node(_ name: String, _ command: [String]) throws {
        let r = try LabHarness.exec(name, command, scenario: scenario)
        try #require(r.status == 0, "\(name): \(command.joined(separator: " ")): \(r.stderr)")
    }

    static func nat(_ on: Bool) throws {
        for tool in ["iptables", "ip6tables"] {
            try node("home", on ? [tool, "-t", "nat", "-A", "POSTROUTING", "-o", "to-isp", "-j", "MASQUERADE"] : [tool, "-t", "nat", "-F"])
        }
    }

    static func investigate(_ target: String, _ args: [String] = ["--port", "80"]) throws -> [String: Any] {
        let r = Subprocess.run(["ip", "netns", "exec", client, LabHarness.binary, "investigate", target, "--json", "--allow-reserved"] + args,
                               timeout: 120)
        try #require(r.status == 0 || r.status == 2 || r.status == 3, "investigate \(target): \(r.stderr)")
        return try LabHarness.json(r.stdout)
    }

    static func trigger(_ v: [String: Any]) -> String? { (v["trigger"] as? [String: Any])?["kind"] as? String }
    static func location(_ v: [String: Any]) -> [String: Any]? { v["location"] as? [String: Any] }

    /// Runs `body` for IPv4 and IPv6, without and with NAT, in one `plain` lab.
    static func everywhere(_ body: (Family, String) throws -> Void) throws {
        try LabHarness.withLab(scenario) {
            for natted in [false, true] {
                try nat(natted)
                for f in [Family.v4, .v6] { try body(f, "\(f.name)\(natted ? " behind NAT" : "")") }
            }
        }
    }

    @Test("silence is not a block: a host that does not ARP is host-down, a blackhole and a routing loop are unreachable; TCP and UDP")
    func silenceIsNotABlock() throws {
        let stun = "/tmp/cstest-net-stun-\(getpid()).yaml"
        try "name: stun-only\nports: [3478/udp]\nsteps:\n  - probe: echo\n    count: 2\n  - probe: stun\n    count: 2\n  - probe: trace\n    method: icmp\nanalyses: [datagram]\n"
            .write(toFile: stun, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: stun) }
        try Self.everywhere { f, label in
            // A router answers host-unreachable only after ARP/ND fails (~3 s).
            for args in [["--port", "80"], ["--port", "3478/udp", "--experiment", stun]] {
                let down = try Self.investigate(f.down, args)
                #expect(down["verdict"] as? String == "host-down" && down["blocked"] as? Bool == false, "\(label) \(args): \(down["summary"] ?? "")")
                #expect(Self.trigger(down) == "none" && Self.location(down) == nil, "\(label)")
                #expect((down["summary"] as? String ?? "").contains(f.transit), "\(label): the router that says so")
            }
            // Everything to the server dropped on mid, ICMP included: silence, not called a block.
            try Self.node("mid", [f.iptables, "-A", "FORWARD", "-d", f.server, "-j", "DROP"])
            for args in [["--port", "80"], ["--port", "3478/udp", "--experiment", stun]] {
                let silent = try Self.investigate(f.server, args)
                #expect(silent["verdict"] as? String == "unreachable" && silent["blocked"] as? Bool == false, "\(label) \(args): \(silent["summary"] ?? "")")
                #expect(Self.trigger(silent) == "none" && Self.location(silent) == nil, "\(label)")
                #expect((silent["summary"] as? String ?? "").contains("after TTL 3 (\(f.mid))"), "\(label): \(silent["summary"] ?? "")")
            }
            try Self.node("mid", [f.iptables, "-F", "FORWARD"])
            // A route on transit pointing back to mid: the packets loop until their TTL runs out.
            try Self.node("transit", f.ip + ["route", "add", "\(f.server)/\(f.host)", "via", f.midToTransit])
            let loop = try Self.investigate(f.server)
            try Self.node("transit", f.ip + ["route", "del", "\(f.server)/\(f.host)"])
            #expect(loop["verdict"] as? String == "unreachable" && loop["blocked"] as? Bool == false, "\(label): \(loop["summary"] ?? "")")
            #expect(Self.trigger(loop) == "none" && Self.location(loop) == nil, "\(label)")
            #expect((loop["summary"] as? String ?? "").contains("loop"), "\(label): \(loop["summary"] ?? "")")
        }
    }

    @Test("a port-wide block (DROP, REJECT tcp-reset, REJECT admin-prohibited on mid) is located from the other port's and ICMP's trace")
    func portWideBlocksAreLocated() throws {
        try Self.everywhere { f, label in
            for (how, verdict, confidence) in [(["-j", "DROP"], "drop", "medium"),
                                               (["-j", "REJECT", "--reject-with", "tcp-reset"], "rst-injection", "high"),
                                               (["-j", "REJECT", "--reject-with", f.prohibited], "icmp-unreachable", "high")] {
                try Self.node("mid", [f.iptables, "-A", "FORWARD", "-p", "tcp", "--dport", "80"] + how)
                let v = try Self.investigate(f.server)
                try Self.node("mid", [f.iptables, "-F", "FORWARD"])
                let what = "\(label) \(how.last ?? "")"
                #expect(v["verdict"] as? String == verdict && v["blocked"] as? Bool == true, "\(what): \(v["summary"] ?? "")")
                #expect(Self.trigger(v) == "port", "\(what)")
                // mid still returns the time exceeded at TTL 3 (the TTL is checked before FORWARD);
                // from TTL 4 the trigger probes are interfered with, where control probes reach transit.
                let l = try #require(Self.location(v), "\(what): no location")
                #expect(l["ttl"] as? Int == 4 && l["address"] as? String == f.transit && l["before"] as? String == f.mid, "\(what): \(l)")
                #expect(l["confidence"] as? String == confidence, "\(what): \(l)")
            }
        }
    }

    @Test("answers that come back on the client's other interface are captured: investigate and trace reach the server")
    func answersOnAnotherInterface() throws {
        try LabHarness.withLab(Self.scenario) {
            for f in [Family.v4, .v6] {
                // isp sends the client's traffic back through alt, to the client's second interface.
                let (net, via) = f.iptables == "iptables" ? ("198.18.0.0/24", "198.18.8.2") : ("2001:db8::/64", "2001:db8:8::2")
                try Self.node("isp", f.ip + ["route", "replace", net, "via", via])
                let v = try Self.investigate(f.server)
                #expect(v["verdict"] as? String == "reachable" && v["blocked"] as? Bool == false, "\(f.name): \(v["summary"] ?? "")")
                let r = Subprocess.run(["ip", "netns", "exec", Self.client, LabHarness.binary, "trace", f.server, "--method", "tcp", "--port", "80",
                                        "--json", "--allow-reserved"], timeout: 60)
                let hops = (try LabHarness.json(r.stdout)["hops"] as? [[String: Any]]) ?? []
                #expect(hops.last?["address"] as? String == f.server, "\(f.name): \(r.stdout) \(r.stderr)")
                let home = f.iptables == "iptables" ? "198.18.1.2" : "2001:db8:1::2"
                try Self.node("isp", f.ip + ["route", "replace", net, "via", home])
            }
        }
    }

    @Test("a clean target stays fast and says which layers were tested")
    func cleanTargetsSayWhatWasTested() throws {
        try Self.everywhere { f, label in
            let v = try Self.investigate(f.server)
            #expect(v["verdict"] as? String == "reachable" && v["blocked"] as? Bool == false, "\(label): \(v["summary"] ?? "")")
            #expect(v["layers_tested"] as? [String] == ["icmp", "tcp"], "\(label)")
            #expect((v["summary"] as? String ?? "").contains("not tested: the application layer"), "\(label)")
            #expect((v["runtime_s"] as? Double ?? 9) < 1.5, "\(label): \(v["runtime_s"] ?? "")")
        }
    }

    /// Runs the investigate experiment as a campaign over `targets` (port 80) inside the lab,
    /// after `setUp` built the scenario's rules, and returns the report's records.
    static func campaign(_ tag: String, targets: [String], script: String = "Probes/experiments/investigate.yaml", extra: [String] = [],
                         setUp: () throws -> Void) throws -> [[String: Any]] {
        let dir = "/tmp/cstest-net-\(tag)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let list = dir + "/targets.txt"
        try targets.map { $0.contains(":") ? "[\($0)]:80" : "\($0):80" }.joined(separator: "\n")
            .write(toFile: list, atomically: true, encoding: .utf8)
        let experiment = repositoryRoot.appendingPathComponent(script).path
        var records: [[String: Any]] = []
        try LabHarness.withLab(scenario) {
            try setUp()
            let run = Subprocess.run(["ip", "netns", "exec", client, LabHarness.binary, "campaign", "run", experiment, "--targets", list,
                                      "--db", dir + "/c.sqlite", "--allow-reserved", "--quiet"] + extra, timeout: 600)
            try #require(run.status == 0, "campaign failed: \(run.stderr)")
            let report = try LabHarness.run(["campaign", "report", "--db", dir + "/c.sqlite", "--format", "json"])
            records = try report.stdout.split(separator: "\n").map { try LabHarness.json(String($0)) }
        }
        return records
    }

    @Test("a campaign over many hosts behind the same routers, default ICMP rate limits: every block located, no false block")
    func campaignUnderRateLimits() throws {
        let blocked = (1...12).map { "198.18.21.\($0)" } + (1...4).map { "2001:db8:21::\($0)" }
        let clean = (1...6).map { "198.18.20.\($0)" } + (1...2).map { "2001:db8:20::\($0)" }
        let records = try Self.campaign("campaign", targets: blocked + clean) {
            try Self.node("mid", ["iptables", "-A", "FORWARD", "-d", "198.18.21.0/24", "-p", "tcp", "--dport", "80", "-j", "REJECT", "--reject-with", "tcp-reset"])
            try Self.node("mid", ["ip6tables", "-A", "FORWARD", "-d", "2001:db8:21::/64", "-p", "tcp", "--dport", "80", "-j", "REJECT", "--reject-with", "tcp-reset"])
        }
        for v in records {
            let target = v["target"] as? String ?? ""
            if blocked.contains(target) {
                let (mid, transit) = target.contains(":") ? ("2001:db8:2::2", "2001:db8:3::2") : ("198.18.2.2", "198.18.3.2")
                #expect(v["verdict"] as? String == "rst-injection" && Self.trigger(v) == "port", "\(target): \(v["summary"] ?? "")")
                let l = Self.location(v)
                #expect(l?["ttl"] as? Int == 4 && l?["address"] as? String == transit && l?["before"] as? String == mid,
                        "\(target): \(String(describing: l))")
            } else {
                #expect(v["verdict"] as? String == "reachable" && v["blocked"] as? Bool == false, "\(target): \(v["summary"] ?? "")")
            }
        }
        #expect(records.count == blocked.count + clean.count)
    }

    @Test("a campaign gives silent targets up early only as unreachable, never a block: iptables DROP on mid, IPv4 and IPv6")
    func campaignSilenceIsNotABlock() throws {
        let silent = (50...53).map { "198.18.21.\($0)" } + (50...51).map { "2001:db8:21::\($0)" }
        let clean = (1...8).map { "198.18.20.\($0)" } + (1...4).map { "2001:db8:20::\($0)" }
        let records = try Self.campaign("silent", targets: clean + silent, extra: ["--rate", "max"]) {
            for target in silent {
                try Self.node("mid", [target.contains(":") ? "ip6tables" : "iptables", "-A", "FORWARD", "-d", target, "-j", "DROP"])
            }
        }
        for v in records {
            let target = v["target"] as? String ?? ""
            let expected = silent.contains(target) ? "unreachable" : "reachable"
            #expect(v["verdict"] as? String == expected && v["blocked"] as? Bool == false, "\(target): \(v["summary"] ?? "")")
        }
        #expect(records.count == silent.count + clean.count)
    }

    @Test("silence with the agent on the target's address answering over HTTPS: a drop, located where the silence begins")
    func silenceWithTheAgentAsControl() throws {
        let dir = NSTemporaryDirectory() + "cstest-net-agent-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let token = "net-agent-token-0123456789abcdef"
        try #require(FileManager.default.createFile(atPath: dir + "/tokens", contents: Data((token + "\n").utf8),
                                                    attributes: [.posixPermissions: 0o600]))
        try LabHarness.withLab(Self.scenario) {
            let server = LabPlan.namespace(scenario: Self.scenario, node: "server")
            let pid = try #require(Subprocess.start(["/usr/sbin/ip", "netns", "exec", server, LabHarness.binary, "agent", "serve",
                                                     "--listen", "198.18.9.2:8443", "--token-file", dir + "/tokens",
                                                     "--state-dir", dir + "/state", "--allow-reserved"], outputFile: dir + "/agent.log"))
            defer { Subprocess.stop(pid) }
            for _ in 0..<100 where !((try? String(contentsOfFile: dir + "/agent.log", encoding: .utf8)) ?? "").contains("listening on") {
                usleep(100_000)
            }
            // Everything to the server dropped on mid but the agent's port.
            try Self.node("mid", ["iptables", "-A", "FORWARD", "-d", "198.18.9.2", "-p", "tcp", "--dport", "8443", "-j", "ACCEPT"])
            try Self.node("mid", ["iptables", "-A", "FORWARD", "-d", "198.18.9.2", "-j", "DROP"])
            let r = Subprocess.run(["ip", "netns", "exec", Self.client, "/usr/bin/env", "CENSORSCOPE_KNOWN_AGENTS=\(dir)/known",
                                    LabHarness.binary, "investigate", "198.18.9.2", "--port", "80", "--json", "--allow-reserved",
                                    "--both", "--agent", "https://198.18.9.2:8443", "--token", token], timeout: 120)
            let v = try LabHarness.json(r.stdout)
            #expect(v["verdict"] as? String == "drop" && v["blocked"] as? Bool == true, "\(v["summary"] ?? "") \(r.stderr)")
            #expect(Self.trigger(v) == "address")
            #expect((v["summary"] as? String ?? "").contains("the agent at 198.18.9.2:8443"), "\(v["summary"] ?? "")")
            let l = try #require(Self.location(v), "no location")
            #expect(l["ttl"] as? Int == 4 && l["before"] as? String == "198.18.2.2" && l["confidence"] as? String == "medium", "\(l)")
        }
    }
}
