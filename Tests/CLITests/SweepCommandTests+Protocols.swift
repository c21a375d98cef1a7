import ChildProcess
import Foundation
import Testing
import TestSupport

/// ICMP echo and UDP sweeps against the same plain-kernel network as the TCP sweep: the
/// kernel's echo replies, a UDP server's replies, the kernel's own port unreachable,
/// iptables/ip6tables DROP and REJECT, and a router's unreachable, IPv4 and IPv6 in one run.
extension SweepLabTests {
    @Test(arguments: ["raw", "auto"])
    func echoSweepsReadTheKernelsAnswers(sender: String) throws {
        let n = try build()
        defer { tearDown(n) }
        let targets = (1...5).map { n.v4($0) } + [n.v4(17)] + (1...5).map { n.v6($0) } + [n.v6Unroutable]
        let (r, t) = try sweep(n, targets + ["--protocol", "icmp", "--rate", "200", "--sender", sender], port: [])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(t.count == targets.count)
        #expect(r.stderr.contains("targets: echo-reply 2, unreachable 3, time-exceeded 0, icmp-other 0, none 1"), "\(r.stderr)")
        for (ip, router) in [(n.v4, n.net.addressB), (n.v6, n.net.address6B)] {
            let v6 = ip(1).contains(":")
            for host in [1, 5] {
                #expect(t[ip(host)]?["answer"] as? String == "echo-reply", "\(ip(host)): \(t[ip(host)] ?? [:])")
                #expect(t[ip(host)]?["from"] as? String == ip(host))
                #expect(t[ip(host)]?["protocol"] as? String == "icmp")
                #expect(t[ip(host)]?["port"] is NSNull)
                #expect(fingerprint(t[ip(host)])["icmp_type"] as? Int == (v6 ? 129 : 0))
                #expect((t[ip(host)]?["probes"] as? [[String: Any]])?.first?["match"] as? String == "hash")
            }
            #expect(t[ip(2)]?["answer"] as? String == "none")
            #expect(t[ip(3)]?["answer"] as? String == "unreachable")
            #expect(fingerprint(t[ip(3)])["icmp_code"] as? Int == (v6 ? 4 : 3))
            #expect(t[ip(4)]?["answer"] as? String == "unreachable")
            #expect(fingerprint(t[ip(4)])["icmp_code"] as? Int == (v6 ? 1 : 13))
            let far = v6 ? n.v6Unroutable : n.v4(17)
            #expect(t[far]?["answer"] as? String == "unreachable")
            #expect(t[far]?["from"] as? String == router)
        }
    }

    /// The far host's ICMP rate limit is lifted here: eight port unreachables per family
    /// would exceed its burst of six (`udpRateLimitedClosedPortsAreSaid` keeps it).
    @Test func datagramSweepsTellAServerFromAClosedPort() throws {
        let n = try build()
        defer { tearDown(n) }
        try n.net.run("ip", ["netns", "exec", n.net.b, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"])
        let targets = (1...6).map { n.v4($0) } + (1...6).map { n.v6($0) }
        let (r, t) = try sweep(n, targets + ["--protocol", "udp", "--rate", "200", "--variant", "dns", "--variant", "empty"],
                               port: ["--port", "53"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(t.count == targets.count)
        for ip in [n.v4, n.v6] {
            let v6 = ip(1).contains(":")
            let served = t[ip(1)]
            #expect(served?["answer"] as? String == "udp-reply", "\(served ?? [:])")
            #expect(served?["protocol"] as? String == "udp" && served?["port"] as? Int == 53)
            let probes = served?["probes"] as? [[String: Any]] ?? []
            #expect(probes.map { $0["variant"] as? String } == ["dns", "empty"])
            #expect(probes.allSatisfy { $0["answer"] as? String == "udp-reply" && $0["match"] as? String == "port" }, "\(probes)")
            #expect(t[ip(2)]?["answer"] as? String == "none")
            // REJECT, and the kernel's own port unreachable where nothing listens.
            for host in [3, 5, 6] {
                #expect(t[ip(host)]?["answer"] as? String == "unreachable", "\(ip(host)): \(t[ip(host)] ?? [:])")
                #expect(fingerprint(t[ip(host)])["icmp_code"] as? Int == (v6 ? 4 : 3))
            }
            #expect(fingerprint(t[ip(4)])["icmp_code"] as? Int == (v6 ? 1 : 13))
        }
    }

    /// A payload of one's own (`--payload HEX`): the server's reply, matched by port; its
    /// capture judged again with the bytes the run file keeps; wrong uses refused.
    @Test func aPayloadOfOnesOwn() throws {
        let n = try build()
        defer { tearDown(n) }
        let pcap = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-own-\(n.s).pcap").path
        defer { unlink(pcap); unlink(pcap + ".sweep.json") }
        let targets = [n.v4(1), n.v4(2)]
        let (r, t) = try sweep(n, targets + ["--protocol", "udp", "--payload", "68656c6c6f", "--pcap", pcap], port: ["--port", "53"])
        #expect(r.status == 0, "\(r.stderr)")
        let probe = (t[n.v4(1)]?["probes"] as? [[String: Any]])?.first
        #expect(probe?["variant"] as? String == "payload" && probe?["answer"] as? String == "udp-reply" && probe?["match"] as? String == "port",
                "\(t[n.v4(1)] ?? [:])")
        #expect(t[n.v4(2)]?["answer"] as? String == "none")
        let run = try String(contentsOfFile: pcap + ".sweep.json", encoding: .utf8)
        #expect(run.contains("\"payload\":\"68656c6c6f\""), "\(run)")
        let replay = try CLI.run(["sweep", "--protocol", "udp", "--json", "--replay", pcap] + targets)
        #expect(replay.status == 0 && replay.stdout.contains("\"answer\":\"udp-reply\""), "\(replay.stderr)")
        for (args, message) in [(["--payload", "6"], "--payload must be hexadecimal"), (["--payload", "00", "--variant", "dns"], "--payload replaces --variant"),
                                (["--protocol", "tcp", "--payload", "00"], "--payload is for UDP sweeps")] {
            let bad = try CLI.run(["sweep", n.v4(1), "--protocol", "udp"] + args)
            #expect(bad.status == 64 && bad.stderr.contains(message), "\(args): \(bad.stderr)")
        }
    }

    /// With the kernel's default limit, 14 closed ports (port 9) (the kernel's port unreachable,
    /// from each target itself over IPv4, from the far host's own address over IPv6) at full
    /// speed: some come back silent, and the sweep says a silence may be a lost error.
    @Test(arguments: [false, true]) func udpRateLimitedClosedPortsAreSaid(ipv6: Bool) throws {
        let n = try build()
        defer { tearDown(n) }
        let targets = (1...14).map { ipv6 ? n.v6($0) : n.v4($0) }
        let (r, t) = try sweep(n, targets + ["--protocol", "udp", "--rate", "max", "--repeat", "2"], port: ["--port", "9"])
        let unreachable = t.values.filter { $0["answer"] as? String == "unreachable" }.count
        let silent = t.values.filter { $0["answer"] as? String == "none" }.count
        #expect(unreachable + silent == t.count && unreachable >= 3 && silent >= 1, "\(r.stderr)")
        #expect(r.stderr.contains("warning: ICMP errors answered \(unreachable) targets and \(silent) got no answer"), "\(r.stderr)")
        #expect(r.status == 0)
    }

    /// An echo sweep's capture judged again offline gives the live answers; a replay that
    /// names another protocol is one sentence.
    @Test func anEchoSweepIsJudgedAgainFromItsCapture() throws {
        let n = try build()
        defer { tearDown(n) }
        let pcap = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-icmp-\(n.s).pcap").path
        defer { unlink(pcap); unlink(pcap + ".sweep.json") }
        let targets = (1...4).map { n.v4($0) } + [n.v4(17)]
        let (live, t) = try sweep(n, targets + ["--protocol", "icmp", "--pcap", pcap], port: [])
        #expect(live.status == 0, "\(live.stderr)")
        let run = try String(contentsOfFile: pcap + ".sweep.json", encoding: .utf8)
        #expect(run.contains("\"protocol\":\"icmp\"") && run.contains("\"port\":0"), "\(run)")
        let replay = try CLI.run(["sweep", "--protocol", "icmp", "--json", "--replay", pcap] + targets)
        #expect(replay.status == 0, "\(replay.stderr)")
        var replayed: [String: String] = [:]
        for line in replay.lines { let o = try CLI.json(line); replayed[o["target"] as? String ?? "?"] = o["answer"] as? String }
        #expect(replayed == t.mapValues { $0["answer"] as? String ?? "?" })
        #expect(replayed[n.v4(1)] == "echo-reply" && replayed[n.v4(17)] == "unreachable")
        let wrong = try CLI.run(["sweep", "--replay", pcap] + targets)
        #expect(wrong.status == 1 && wrong.stderr.contains("is a sweep of icmp; give --protocol icmp"), "\(wrong.stderr)")
    }
}
