import Foundation
import Lab
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `probe` and `trace` run for real inside the lab, checked against Linux traceroute in the
/// same namespace and against what each scenario's censor is known to do.
@Suite("Probe and trace commands in the lab (root)", .serialized,
       .enabled(if: LabHarness.canRun && LabHarness.hasTools, "needs root, the censorscope binary, ping and traceroute"))
struct ProbeCommandTests {
    static let server = "198.18.9.2"
    static let server6 = "2001:db8:9::2"

    /// Runs censorscope inside `node` with --json and parses the one object it prints.
    func probeJSON(_ scenario: String, _ args: [String], node: String = "client") throws -> [String: Any] {
        let r = try LabHarness.exec(node, [LabHarness.binary] + args + ["--json"], scenario: scenario)
        // 0: the target answered, 2: an answer was forged, 3: nothing from the target (DESIGN.md).
        try #require([0, 2, 3].contains(r.status), "censorscope \(args.joined(separator: " ")) failed: \(r.stderr)")
        let json = try LabHarness.json(r.stdout)
        if json["injected"] as? Bool == true { #expect(r.status == 2, "a forged answer exits 2") }
        return json
    }

    /// The hop addresses of a `trace --json` (nil for silent hops).
    func hops(_ trace: [String: Any]) -> [String?] {
        ((trace["hops"] as? [[String: Any]]) ?? []).map { $0["address"] as? String }
    }

    @Test func traceMatchesLinuxTracerouteInClean() throws {
        try LabHarness.withLab("clean") {
            let methods: [(String, [String])] = [("tcp", ["-T", "-O", "syn", "-p", "80"]), ("icmp", ["-I"]), ("udp", [])]
            for (method, flags) in methods {
                // Linux rate-limits ICMP errors per peer (1/s, burst 6); each run needs its first.
                usleep(1_500_000)
                let expected = try Self.reachingTraceroute(to: Self.server, extra: flags)
                usleep(1_500_000)
                let trace = try probeJSON("clean", ["trace", Self.server, "--method", method, "--max-ttl", "12", "--timeout", "1"])
                #expect(hops(trace) == expected, "\(method): censorscope \(hops(trace)) vs traceroute \(expected)")
                #expect(trace["reached"] as? Bool == true, "\(method) did not reach the server")
                let last = try #require((trace["hops"] as? [[String: Any]])?.last)
                #expect(last["address"] as? String == Self.server)
                let kind = last["kind"] as? String
                #expect(kind == ["tcp": "syn-ack", "icmp": "echo-reply", "udp": "port-unreachable"][method], "\(method) ended with \(kind ?? "nil")")
                for hop in (trace["hops"] as? [[String: Any]] ?? []).dropLast() {
                    #expect(hop["kind"] as? String == "time-exceeded")
                    #expect((hop["rtt_ms"] as? Double).map { $0 >= 0 && $0 < 1000 } == true)
                }
            }
            // IPv6, against traceroute -6 -T.
            usleep(1_500_000)
            let expected6 = try Self.reachingTraceroute(to: Self.server6, extra: ["-6", "-T", "-O", "syn", "-p", "80"])
            usleep(1_500_000)
            let trace6 = try probeJSON("clean", ["trace", Self.server6, "--method", "tcp", "--max-ttl", "12", "--timeout", "1"])
            #expect(hops(trace6) == expected6, "IPv6: censorscope \(hops(trace6)) vs traceroute \(expected6)")
        }
    }

    /// Linux traceroute's hops; run again (twice at most) when it did not reach the server:
    /// the comparison is with a traceroute that saw the path, not one that lost its answers
    /// (it did once in a full run, right after the lab came up).
    static func reachingTraceroute(to address: String, extra: [String]) throws -> [String?] {
        var hops = try LabHarness.traceroute(from: "client", to: address, scenario: "clean", extra: extra)
        for _ in 0..<2 where hops.last.map({ $0 != address }) ?? true {
            usleep(1_500_000)
            hops = try LabHarness.traceroute(from: "client", to: address, scenario: "clean", extra: extra)
        }
        return hops
    }

    @Test func applicationProbesInClean() throws {
        try LabHarness.withLab("clean") {
            let echo = try probeJSON("clean", ["probe", "icmp", Self.server, "--size", "1000"])
            #expect(echo["result"] as? String == "echo-reply")
            #expect((echo["response"] as? [String: Any])?["src"] as? String == Self.server)

            let closed = try probeJSON("clean", ["probe", "udp", Self.server, "--port", "9"])
            #expect(closed["result"] as? String == "icmp")
            #expect((closed["icmp"] as? [String: Any])?["kind"] as? String == "port-unreachable")

            let stun = try probeJSON("clean", ["probe", "stun", Self.server])
            #expect(stun["result"] as? String == "stun-response")
            #expect((stun["mapped_address"] as? String)?.hasPrefix("198.18.1.2:") == true, "mapped \(stun["mapped_address"] ?? "nil")")

            let dns = try probeJSON("clean", ["probe", "dns", Self.server, "--name", "example.com"])
            #expect(dns["result"] as? String == "dns-response")

            let open = try probeJSON("clean", ["probe", "syn", Self.server, "--port", "80", "--variant", "linux"])
            #expect(open["result"] as? String == "syn-ack")
            #expect(open["injected"] as? Bool == false)
        }
    }

    @Test func telegram2018SYNVariants() throws {
        try LabHarness.withLab("telegram-2018") {
            let mss = try probeJSON("telegram-2018", ["probe", "syn", Self.server, "--port", "80", "--variant", "mss"])
            #expect(mss["result"] as? String == "syn-ack")
            #expect(mss["size"] as? Int == 44)
            #expect(mss["injected"] as? Bool == false)

            let linux = try probeJSON("telegram-2018", ["probe", "syn", Self.server, "--port", "80", "--variant", "linux"])
            #expect(linux["size"] as? Int == 60)
            #expect(linux["result"] as? String == "rst")
            #expect(linux["injected"] as? Bool == true, "reasons: \(linux["injection_reasons"] ?? "none")")
            let response = try #require(linux["response"] as? [String: Any])
            #expect(response["ttl"] as? Int == 58)
            #expect(response["ip_id"] as? Int == 1)
            #expect(response["df"] as? Bool == false)
            #expect(response["flags"] as? String == "R")

            // The censor sits at hop 2: a linux-sized SYN trace "arrives" there, an mss one goes through.
            let fake = try probeJSON("telegram-2018", ["trace", Self.server, "--method", "tcp", "--variant", "linux", "--max-ttl", "8", "--timeout", "1"])
            #expect(fake["destination_ttl"] as? Int == 2)
            let real = try probeJSON("telegram-2018", ["trace", Self.server, "--method", "tcp", "--variant", "mss", "--max-ttl", "8", "--timeout", "1"])
            #expect(hops(real) == ["198.18.1.1", "198.18.2.2", "198.18.3.2", nil, Self.server])
        }
    }

    @Test func refusesReservedWithoutFlagAndExplainsPrivilege() throws {
        let r = try LabHarness.run(["probe", "syn", Self.server, "--port", "80"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--allow-reserved"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }
}
