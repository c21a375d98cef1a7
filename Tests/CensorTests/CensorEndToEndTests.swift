import Capture
import Foundation
import Packets
import Sockets
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `censorscope censor --check`: silent on a good policy, one `error: FILE:LINE: problem` line otherwise.
@Suite struct CensorCheckCommandTests {
    @Test func checkAcceptsAGoodPolicyAndNamesTheLineOfABadOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cscheck-\(getpid())-\(Int.random(in: 0..<1_000_000))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.yaml")
        try "clients: [198.18.1.0/24]\nrules:\n  - {name: a, match: {protocol: icmp}, action: drop}\n".write(to: good, atomically: true, encoding: .utf8)
        let ok = try CLI.run(["lab", "censor", "--policy", good.path, "--check"])
        #expect(ok.status == 0 && ok.stdout.isEmpty && ok.stderr.isEmpty, "\(ok)")

        let bad = dir.appendingPathComponent("bad.yaml")
        try "clients: [198.18.1.0/24]\nrules:\n  - name: a\n    action: drop\n    colour: red\n".write(to: bad, atomically: true, encoding: .utf8)
        let r = try CLI.run(["lab", "censor", "--policy", bad.path, "--check"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("error: \(bad.path):5: unknown key 'colour'") == true, "\(r.stderr)")

        let missing = try CLI.run(["lab", "censor", "--policy", dir.appendingPathComponent("nope.yaml").path, "--check"])
        #expect(missing.status == 1 && missing.stderr.hasPrefix("error: ") && missing.stderr.contains("nope.yaml"))
    }
}

/// Issue: `lab censor --check --policy` composed policies with no limit, and 100,000 `[`
/// crashed it (a stack overflow in Yams).
@Suite struct CensorCheckHostileTests {
    @Test func deepPoliciesAreOneErrorLineNotACrash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cscheck-deep-\(getpid())-\(Int.random(in: 0..<1_000_000))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = [("flat.yaml", String(repeating: "[", count: 100_000), 1),
                     ("quoted.yaml", "rules: x \"y\nclients: " + String(repeating: "[", count: 50_000) + "\nrules: w\"\n", 2)]
        for (name, text, line) in cases {
            let file = dir.appendingPathComponent(name)
            try text.write(to: file, atomically: true, encoding: .utf8)
            let r = try CLI.run(["lab", "censor", "--policy", file.path, "--check"])
            #expect(r.status == 1 && r.stdout.isEmpty, "\(r)")
            #expect(r.stderr == "error: \(file.path):\(line): nested more than 64 brackets or 256 columns deep; refusing it\n", "\(r.stderr)")
        }
    }
}

/// The real daemon in a router namespace between a client and a server.
@Suite(.serialized, .enabled(if: ThreeNodeLab.canRun && Tools.available(["iptables", "curl", "python3"]),
                             "needs root, iproute2, iptables, curl and python3"))
struct CensorEndToEndTests {

    @Test func censorResetsBlockedHostAnswersBigSYNsAndCleansUp() throws {
        let lab = try ThreeNodeLab()
        defer { lab.tearDown() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cse2e-\(lab.router)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let policyFile = dir.appendingPathComponent("censor.yaml")
        try """
            clients: [\(lab.clientPrefix)]
            rules:
              - name: big-syn
                match: {direction: client-to-server, protocol: tcp, dst_port: 8080, syn_size_min: 60}
                action: inject
                inject: {to: client, flags: RA, ttl: 8, ip_id: 1, window: copy}
              - name: blocked-host
                match: {protocol: tcp, dst_port: 80, http_host: blocked.example}
                action: inject
                inject: {to: both, flags: RA, ttl: {copy_minus: 2}}
              - name: slow
                match: {http_host: slow.example}
                action: throttle
                rate_kbit: 800
            """.write(to: policyFile, atomically: true, encoding: .utf8)
        try Data(repeating: 0x5A, count: 200_000).write(to: dir.appendingPathComponent("200k.bin"))
        let logFile = dir.appendingPathComponent("censor.jsonl")

        var servers: [Process] = []
        // SIGKILL: children of Foundation's Process inherit a mask that blocks SIGTERM.
        defer { for s in servers where s.isRunning { kill(s.processIdentifier, SIGKILL); s.waitUntilExit() } }
        for port in ["80", "8080"] {
            servers.append(try lab.spawn(in: lab.server, ["python3", "-m", "http.server", port, "--bind", lab.serverAddress,
                                                          "--directory", dir.path], output: dir.appendingPathComponent("http\(port).log")))
        }
        let censor = try lab.spawn(in: lab.router, [CLI.binary, "lab", "censor", "--policy", policyFile.path,
                                                    "--log", logFile.path], output: dir.appendingPathComponent("censor.out"))
        defer { if censor.isRunning { kill(censor.processIdentifier, SIGKILL); censor.waitUntilExit() } }
        try #require(waitFor(seconds: 30) { logLines(logFile).contains { $0["event"] as? String == "ready" } },
                     "the censor never logged ready: \((try? String(contentsOf: dir.appendingPathComponent("censor.out"), encoding: .utf8)) ?? "")")
        #expect(try lab.run("ip", ["netns", "exec", lab.router, "iptables", "-t", "raw", "-S"]).contains("censorscope-censor-q0"))

        // A Linux curl: another Host works, the blocked Host is reset.
        func curl(_ extra: [String]) throws -> (status: Int32, output: String) {
            try lab.status("ip", ["netns", "exec", lab.client, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                  "-m", "5"] + extra + ["http://\(lab.serverAddress)/"])
        }
        try #require(waitFor(seconds: 20) { (try? curl([]))?.output == "200" }, "the HTTP server never answered")
        // The SYN tests need the listener on 8080 (curl cannot tell: its SYNs there are reset).
        try #require(waitFor(seconds: 20) {
            ((try? lab.status("ip", ["netns", "exec", lab.server, "ss", "-Hltn", "sport = :8080"]))?.output ?? "").contains("8080")
        }, "the HTTP server on 8080 never listened")
        let blocked = try curl(["-H", "Host: blocked.example"])
        #expect(blocked.status == 56, "curl should fail with 'connection reset' (56), got \(blocked)")
        #expect(try curl(["-H", "Host: allowed.example"]).output == "200")

        // Throttled by verdict holding: 800 kbit/s = 100 kB/s on the wire, so 200 kB takes about 2 s.
        let slow = try lab.status("ip", ["netns", "exec", lab.client, "curl", "-s", "-o", "/dev/null", "-m", "30",
                                         "-H", "Host: slow.example", "-w", "%{http_code} %{time_total} %{speed_download}",
                                         "http://\(lab.serverAddress)/200k.bin"]).output.split(separator: " ")
        try #require(slow.count == 3 && slow[0] == "200", "throttled download failed: \(slow)")
        let seconds = Double(slow[1]) ?? 0, speed = Double(slow[2]) ?? .infinity
        #expect(seconds > 1.6 && speed < 105_000, "200 kB in \(seconds) s at \(speed) B/s: not held to 800 kbit/s")

        // SYNs from the client's raw socket, answers captured in the client namespace.
        let client = IPv4Address(lab.clientAddress)!, server = IPv4Address(lab.serverAddress)!
        func answers(to options: [TCPOption], sport: UInt16) throws -> [IPPacket] {
            let capture = try NetworkNamespace.run(in: lab.client) {
                try LiveCapture(LiveCaptureConfiguration(interface: "eth0", filter: "tcp and src host \(server) and dst port \(sport)"))
            }
            defer { capture.close() }
            let syn = IPPacket(IPv4Header(identification: 54902, flags: .dontFragment, ttl: 64, proto: 6, source: client, destination: server),
                               .tcp(TCPSegment(sourcePort: sport, destinationPort: 8080, sequenceNumber: 2_785_663_221,
                                               flags: .syn, window: 5840, options: options))).serialized()
            try NetworkNamespace.run(in: lab.client) { try RawIPv4Socket().send(syn) }
            var seen: [IPPacket] = []
            let deadline = ContinuousClock.now.advanced(by: .seconds(2))
            while ContinuousClock.now < deadline {
                if let p = try capture.next(timeout: .milliseconds(100)), let ip = try p.decode().ip { seen.append(ip) }
            }
            return seen
        }
        let big = try answers(to: [.maximumSegmentSize(1460), .sackPermitted, .timestamps(value: 1_652_926_847, echoReply: 0),
                                   .noOperation, .windowScale(2)], sport: 42193)
        try #require(big.count == 1, "60-byte SYN: expected exactly the forged RST, saw \(big.count) packets")
        guard case .v4(let rstIP) = big[0].header, let rst = big[0].transport.tcp else { Issue.record("not TCP/IPv4"); return }
        #expect(rst.flags == [.rst, .ack])
        #expect(rst.acknowledgmentNumber == 2_785_663_222)
        #expect(rst.window == 5840)
        #expect(rstIP.ttl == 8)
        #expect(rstIP.identification == 1)

        let small = try answers(to: [.maximumSegmentSize(1460)], sport: 58057)
        let synAck = try #require(small.first?.transport.tcp, "44-byte SYN: no answer")
        #expect(synAck.flags == [.syn, .ack], "the real server answers a 44-byte SYN")
        #expect(synAck.acknowledgmentNumber == 2_785_663_222)
        #expect(small.first?.header.ttl == 63, "one router hop from the server")

        // What the censor says it did.
        let decisions = logLines(logFile).filter { $0["event"] as? String == "decision" }
        #expect(decisions.contains { $0["rule"] as? String == "blocked-host" && $0["trigger"] as? String == "http_host=blocked.example" })
        let synDecision = decisions.first { $0["rule"] as? String == "big-syn" }
        #expect(synDecision?["trigger"] as? String == "syn_size=60")
        #expect(!decisions.contains { ($0["packet"] as? [String: Any])?["sport"] as? Int == 58057 })
        #expect(decisions.contains { $0["rule"] as? String == "slow" && $0["verdict"] as? String == "delay" })

        // SIGTERM: the daemon stops cleanly and takes its iptables rules with it.
        censor.terminate()
        if !waitFor(seconds: 15, { !censor.isRunning }) {
            Issue.record("the censor ignored SIGTERM")
            kill(censor.processIdentifier, SIGKILL)
        }
        censor.waitUntilExit()
        #expect(censor.terminationStatus == 0)
        #expect(logLines(logFile).last?["event"] as? String == "stop")
        for tool in ["iptables", "ip6tables"] {
            let rules = (try? lab.run("ip", ["netns", "exec", lab.router, tool, "-t", "raw", "-S"])) ?? ""
            #expect(!rules.contains("censorscope"), "\(tool) rules left behind: \(rules)")
        }
        #expect(try curl(["-H", "Host: blocked.example"]).output == "200", "without the censor the blocked host is reachable")
    }

    func logLines(_ url: URL) -> [[String: Any]] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }
}
