import ChildProcess
import Foundation
import Testing
import TestSupport

/// `censorscope sweep` against answers made by plain kernel tools we did not write: a
/// listening socket (SYN-ACK), no listener (the kernel's RST), iptables/ip6tables DROP and
/// REJECT with ICMP codes or a TCP reset, and an `unreachable` route on the next hop (a
/// router's ICMP). The prober is one namespace, every target an address of the other
/// (AnyIP local routes), IPv4 and IPv6 in one run.
@Suite(.serialized, .enabled(if: TwoHostNetwork.canRun && Tools.available(["iptables", "ip6tables", "python3"]) && CLI.isBuilt,
                              "needs root, iproute2, iptables and python3 to build the network"))
struct SweepLabTests {
    struct Network {
        let net: TwoHostNetwork
        let listener: pid_t?
        var s: Int { net.subnet }
        func v4(_ host: Int) -> String { "198.19.\(s).\(host)" }
        func v6(_ host: Int) -> String { "2001:db8:\(s):1::\(host)" }
        var v6Unroutable: String { "2001:db8:\(s):2::1" }
    }

    /// The far side owns 198.19.S.0/28 and 2001:db8:S:1::/124; routes 198.19.S.16/28 and
    /// 2001:db8:S:2::/64 nowhere; listens on .1 port 80 (TCP) and 53 (UDP, answering every
    /// datagram) and filters the others.
    func build() throws -> Network {
        let net = try TwoHostNetwork()
        do {
            let s = net.subnet, b = net.b
            try net.run("ip", ["netns", "exec", b, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])
            try net.ip("-n", b, "route", "add", "local", "198.19.\(s).0/28", "dev", "lo")
            try net.ip("-n", b, "route", "add", "unreachable", "198.19.\(s).16/28")
            try net.ip("-n", b, "route", "add", "unreachable", "198.19.\(s).128/25")
            try net.ip("-n", b, "-6", "route", "add", "local", "2001:db8:\(s):1::/124", "dev", "lo")
            try net.ip("-n", b, "-6", "route", "add", "unreachable", "2001:db8:\(s):2::/64")
            try net.ip("-n", net.a, "route", "add", "198.19.\(s).0/24", "via", net.addressB)
            try net.ip("-n", net.a, "-6", "route", "add", "2001:db8:\(s):1::/64", "via", net.address6B)
            try net.ip("-n", net.a, "-6", "route", "add", "2001:db8:\(s):2::/64", "via", net.address6B)
            for (tool, host, reject) in [("iptables", "198.19.\(s)", ["icmp-port-unreachable", "icmp-admin-prohibited"]),
                                         ("ip6tables", "2001:db8:\(s):1:", ["icmp6-port-unreachable", "icmp6-adm-prohibited"])] {
                func rule(_ args: [String]) throws { try net.run("ip", ["netns", "exec", b, tool, "-A", "INPUT", "-p", "tcp", "--dport", "80"] + args) }
                let sep = tool == "iptables" ? "." : ":"
                try rule(["-d", "\(host)\(sep)2", "-j", "DROP"])
                try rule(["-d", "\(host)\(sep)3", "-j", "REJECT", "--reject-with", reject[0]])
                try rule(["-d", "\(host)\(sep)4", "-j", "REJECT", "--reject-with", reject[1]])
                try rule(["-d", "\(host)\(sep)6", "-j", "REJECT", "--reject-with", "tcp-reset"])
                // The same for UDP port 53 and echo requests (ICMP and UDP sweeps); .5 and .6
                // answer UDP with the kernel's own port unreachable.
                let echo = tool == "iptables" ? ["-p", "icmp", "--icmp-type", "echo-request"] : ["-p", "icmpv6", "--icmpv6-type", "echo-request"]
                for match in [["-p", "udp", "--dport", "53"], echo] {
                    func other(_ args: [String]) throws { try net.run("ip", ["netns", "exec", b, tool, "-A", "INPUT"] + match + args) }
                    try other(["-d", "\(host)\(sep)2", "-j", "DROP"])
                    try other(["-d", "\(host)\(sep)3", "-j", "REJECT", "--reject-with", reject[0]])
                    try other(["-d", "\(host)\(sep)4", "-j", "REJECT", "--reject-with", reject[1]])
                }
            }
            let script = """
                import select, socket, time
                a = socket.socket(socket.AF_INET); a.setsockopt(socket.SOL_IP, 15, 1); a.bind(("198.19.\(s).1", 80)); a.listen(64)
                b = socket.socket(socket.AF_INET6); b.setsockopt(socket.IPPROTO_IPV6, 78, 1); b.bind(("2001:db8:\(s):1::1", 80)); b.listen(64)
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.setsockopt(socket.SOL_IP, 15, 1); u.bind(("198.19.\(s).1", 53))
                w = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); w.setsockopt(socket.IPPROTO_IPV6, 78, 1); w.bind(("2001:db8:\(s):1::1", 53))
                end = time.time() + 120
                while time.time() < end:
                    for r in select.select([u, w], [], [], 1)[0]:
                        data, peer = r.recvfrom(2048); r.sendto(b"answer:" + data, peer)
                """
            let listener = Subprocess.start(["ip", "netns", "exec", b, "python3", "-c", script])
            let network = Network(net: net, listener: listener)
            // Until both sockets listen.
            for _ in 0..<50 {
                let out = try net.run("ip", ["netns", "exec", b, "ss", "-ltnH"])
                let udp = try net.run("ip", ["netns", "exec", b, "ss", "-lunH"])
                if out.contains("198.19.\(s).1:80") && out.contains("2001:db8:\(s):1::1]:80") && udp.contains("2001:db8:\(s):1::1]:53") {
                    return network
                }
                usleep(100_000)
            }
            tearDown(network)
            throw TestFailure("the listener in \(b) did not start")
        } catch {
            net.tearDown()
            throw error
        }
    }

    func tearDown(_ n: Network) {
        if let pid = n.listener { _ = Subprocess.stop(pid) }
        n.net.tearDown()
    }

    func sweep(_ n: Network, _ extra: [String], port: [String] = ["--port", "80"], stdin: String? = nil) throws -> (CLIResult, [String: [String: Any]]) {
        let r = Subprocess.run(["ip", "netns", "exec", n.net.a, CLI.binary, "sweep"] + port + ["--json", "--allow-reserved",
                                "--timeout", "1"] + extra, stdin: stdin, timeout: 60)
        let result = CLIResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
        var byTarget: [String: [String: Any]] = [:]
        for line in result.lines {
            let o = try CLI.json(line)
            byTarget[o["target"] as? String ?? "?"] = o
        }
        return (result, byTarget)
    }

    func fingerprint(_ o: [String: Any]?) -> [String: Any] {
        ((o?["probes"] as? [[String: Any]])?.first?["fingerprint"] as? [String: Any]) ?? [:]
    }

    @Test(arguments: ["raw", "auto"])
    func everyAnswerKindFromPlainKernelRules(sender: String) throws {
        let n = try build()
        defer { tearDown(n) }
        let targets = (1...6).map { n.v4($0) } + [n.v4(17)] + (1...6).map { n.v6($0) } + [n.v6Unroutable]
        let (r, t) = try sweep(n, targets + ["--rate", "200", "--sender", sender])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(t.count == targets.count)
        #expect(r.stderr.contains("probes answered"), "\(r.stderr)")
        for (ip, router) in [(n.v4, n.net.addressB), (n.v6, n.net.address6B)] {
            let v6 = ip(1).contains(":")
            #expect(t[ip(1)]?["answer"] as? String == "synack")
            #expect((fingerprint(t[ip(1)])["options"] as? [String])?.contains { $0.hasPrefix("mss=") } == true)
            #expect(t[ip(2)]?["answer"] as? String == "none")
            #expect(t[ip(3)]?["answer"] as? String == "unreachable")
            #expect(fingerprint(t[ip(3)])["icmp_code"] as? Int == (v6 ? 4 : 3))
            // IPv4's REJECT answers from the address probed; IPv6's from an address the far host
            // holds (an AnyIP address is not one it may send from).
            #expect(t[ip(3)]?["from"] as? String == (v6 ? router : ip(3)))
            #expect(t[ip(4)]?["answer"] as? String == "unreachable")
            #expect(fingerprint(t[ip(4)])["icmp_code"] as? Int == (v6 ? 1 : 13))
            #expect(t[ip(5)]?["answer"] as? String == "rst")
            #expect(t[ip(6)]?["answer"] as? String == "rst")
            let far = v6 ? n.v6Unroutable : n.v4(17)
            #expect(t[far]?["answer"] as? String == "unreachable")
            #expect(t[far]?["from"] as? String == router)
        }
    }

    /// Many probes at full speed over both families: every one answered (the far side's RSTs
    /// are not rate limited), none lost by the capture, repeats matched to their own probe.
    @Test func fullSpeedKeepsEveryAnswer() throws {
        let n = try build()
        defer { tearDown(n) }
        let pcap = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(n.s).pcap").path
        defer { unlink(pcap); unlink(pcap + ".v6") }
        let (r, t) = try sweep(n, [n.v4(0) + "/28", n.v6(0) + "/124", "--rate", "max", "--repeat", "4", "--variant", "mss",
                                   "--variant", "linux", "--pcap", pcap])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(t.count == 32)
        for line in r.stderr.split(separator: "\n") where line.hasPrefix("sweep:") {
            #expect(line.contains("capture dropped 0"), "\(line)")
        }
        for (target, o) in t where !["2", "3", "4"].contains(target.split(whereSeparator: { $0 == "." || $0 == ":" }).last.map(String.init) ?? "") {
            let probes = o["probes"] as? [[String: Any]] ?? []
            #expect(probes.count == 8)
            #expect(probes.allSatisfy { $0["answer"] as? String != "none" }, "\(target): \(probes)")
        }
        // The answers are in the pcap files, one per family.
        #expect((try? FileManager.default.attributesOfItem(atPath: pcap)[.size] as? Int).map { $0 > 24 } == true)
        #expect((try? FileManager.default.attributesOfItem(atPath: pcap + ".v6")[.size] as? Int).map { $0 > 24 } == true)
    }

    /// The far host's default ICMP rate limit (a few errors, then one a second per peer)
    /// leaves most of 128 unroutable targets silent at full speed: the sweep reports those
    /// as `none` and warns that a silence next to router errors may be a lost error.
    /// The capture file judged again offline, with the key the run file keeps: every target's
    /// answer and fingerprint as the live sweep gave them, no round trips; another key matches
    /// nothing; a wrong target list and a damaged run file are one sentence each.
    @Test func aSweepIsJudgedAgainFromItsCapture() throws {
        let n = try build()
        defer { tearDown(n) }
        let pcap = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-replay-\(n.s).pcap").path
        defer { for f in [pcap, pcap + ".v6", pcap + ".sweep.json", pcap + ".v6.sweep.json"] { unlink(f) } }
        let targets = (1...6).map { n.v4($0) } + [n.v4(17)] + (1...6).map { n.v6($0) } + [n.v6Unroutable]
        let (live, l) = try sweep(n, targets + ["--rate", "200", "--variant", "mss", "--variant", "linux", "--pcap", pcap])
        #expect(live.status == 0, "\(live.stderr)")
        let run = try CLI.json(try String(contentsOfFile: pcap + ".sweep.json", encoding: .utf8))
        #expect(run["schema"] as? String == "censorscope.sweep-run/1" && (run["key"] as? String)?.count == 32)
        #expect(run["targets"] as? Int == 7 && run["variants"] as? [String] == ["mss", "linux"])
        // Offline: not in the prober's namespace, nothing sent.
        func replay(_ extra: [String] = []) -> CLIResult {
            let r = Subprocess.run([CLI.binary, "sweep", "--json", "--replay", pcap] + targets + extra, timeout: 60)
            return CLIResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
        }
        let again = replay()
        #expect(again.status == 0, "\(again.stderr)")
        var r: [String: [String: Any]] = [:]
        for line in again.lines { let o = try CLI.json(line); r[o["target"] as? String ?? "?"] = o }
        #expect(r.count == targets.count)
        for target in targets {
            let a = try #require(l[target]), b = try #require(r[target])
            #expect(a["answer"] as? String == b["answer"] as? String && a["from"] as? String == b["from"] as? String, "\(target)")
            let pa = a["probes"] as? [[String: Any]] ?? [], pb = b["probes"] as? [[String: Any]] ?? []
            #expect(pa.count == 2 && pb.count == 2)
            for (x, y) in zip(pa, pb) {
                #expect(x["answer"] as? String == y["answer"] as? String, "\(target)")
                func canonical(_ o: Any?) throws -> String {
                    String(decoding: try JSONSerialization.data(withJSONObject: o ?? NSNull(), options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
                }
                #expect(try canonical(x["fingerprint"]) == (try canonical(y["fingerprint"])), "\(target): \(x) | \(y)")
                #expect(y["rtt_ms"] is NSNull, "\(target): \(y)")
            }
        }
        #expect(r[n.v4(1)]?["answer"] as? String == "synack" && r[n.v6(4)]?["answer"] as? String == "unreachable")
        // Another key: the identifiers do not check out, nothing is an answer.
        let text = try String(contentsOfFile: pcap + ".sweep.json", encoding: .utf8)
        let text6 = try String(contentsOfFile: pcap + ".v6.sweep.json", encoding: .utf8)
        let key = try #require(run["key"] as? String)
        #expect(text6.contains(key), "one key for both families")
        let other = String(key.map { $0 == "0" ? "1" : "0" })
        try text.replacingOccurrences(of: key, with: other).write(toFile: pcap + ".sweep.json", atomically: true, encoding: .utf8)
        try text6.replacingOccurrences(of: key, with: other).write(toFile: pcap + ".v6.sweep.json", atomically: true, encoding: .utf8)
        let forged = replay()
        #expect(forged.status == 3, "\(forged.stderr)")
        #expect(forged.lines.count == targets.count && forged.lines.allSatisfy { (try? CLI.json($0))?["answer"] as? String == "none" })
        #expect(forged.stderr.contains("0 probes answered") && !forged.stderr.contains("unmatched 0,"), "\(forged.stderr)")
        try text.write(toFile: pcap + ".sweep.json", atomically: true, encoding: .utf8)
        // Fewer targets than were swept, then a damaged run file.
        let fewer = Subprocess.run([CLI.binary, "sweep", "--replay", pcap, n.v4(1)], timeout: 60)
        #expect(fewer.status == 1 && fewer.stderr.contains("a sweep of 7 targets, not of these 1"), "\(fewer.stderr)")
        try "{\"schema\": \"censorscope.sweep-run/1\", \"key\": 7}".write(toFile: pcap + ".sweep.json", atomically: true, encoding: .utf8)
        let damaged = replay()
        #expect(damaged.status == 1 && damaged.stderr.contains("`key` is missing or not a string"), "\(damaged.stderr)")
    }

    @Test func icmpRateLimitsAreSaidNotHidden() throws {
        let n = try build()
        defer { tearDown(n) }
        let (r, t) = try sweep(n, ["198.19.\(n.s).128/25", "--rate", "max"])
        let unreachable = t.values.filter { $0["answer"] as? String == "unreachable" }.count
        let silent = t.values.filter { $0["answer"] as? String == "none" }.count
        #expect(t.count == 128)
        #expect(unreachable >= 1 && silent >= 1 && unreachable + silent == 128, "\(unreachable) unreachable, \(silent) silent")
        #expect(r.stderr.contains("warning: ICMP errors answered \(unreachable) targets and \(silent) got no answer"), "\(r.stderr)")
    }

    /// A target file (comments, a prefix, an address inside it) and standard input name the
    /// same targets, each once, in address order.
    @Test func targetsFromFilesAndStandardInput() throws {
        let n = try build()
        defer { tearDown(n) }
        let list = "# two hosts\n\(n.v4(5))\n\(n.v4(4))/31   # .4 and .5 again\n\(n.v6(5))\n"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-targets-\(n.s).txt").path
        FileManager.default.createFile(atPath: file, contents: Data(list.utf8))
        defer { unlink(file) }
        let (fromFile, a) = try sweep(n, [file, "--rate", "max"])
        let (fromStdin, b) = try sweep(n, ["-", "--rate", "max"], stdin: list)
        #expect(fromFile.status == 0 && fromStdin.status == 0, "\(fromFile.stderr) \(fromStdin.stderr)")
        #expect(Set(a.keys) == [n.v4(4), n.v4(5), n.v6(5)])
        #expect(Set(b.keys) == Set(a.keys))
        #expect(fromFile.lines.compactMap { try? CLI.json($0)["target"] as? String } == [n.v4(4), n.v4(5), n.v6(5)])
        #expect(a[n.v4(5)]?["answer"] as? String == "rst" && a[n.v4(4)]?["answer"] as? String == "unreachable")
    }

    @Test func refusesWhatItShouldNotSweep() throws {
        // Special-purpose ranges need --allow-reserved (outside a lab namespace).
        let reserved = try CLI.run(["sweep", "198.18.0.0/30", "--port", "80"])
        #expect(reserved.status == 1)
        #expect(reserved.stderr.hasPrefix("error: ") && reserved.stderr.contains("--allow-reserved"))
        #expect(reserved.stderr.split(separator: "\n").count == 1)
        let ports = try CLI.run(["sweep", "198.18.0.1:80", "--allow-reserved"])
        #expect(ports.status == 1 && ports.stderr.contains("--port"))
        // More probes than one sweep's result slots hold: refused before anything is sent.
        let huge = try CLI.run(["sweep", "2001:db8::/106", "--repeat", "64"])
        #expect(huge.status == 1 && huge.stderr.contains("split the targets"), "\(huge.stderr)")
        let bad = try CLI.run(["sweep", "198.18.0.0/30", "--rate", "fast"])
        #expect(bad.status == 64)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-binary-\(getpid())").path
        FileManager.default.createFile(atPath: file, contents: Data([0xFF, 0xFE, 0x00, 0x41]))
        defer { unlink(file) }
        let binary = try CLI.run(["sweep", file, "--allow-reserved"])
        #expect(binary.status == 1 && binary.stderr.hasPrefix("error: "), "\(binary.stderr)")
    }
}
