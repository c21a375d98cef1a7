import Foundation
import TestSupport
import Testing

/// Loss is not a block: a shape's SYN that drew nothing while the host answered others is
/// sent once more, with the whole timeout, before its silence may count as a `drop`.
extension NetworkVerdictLabTests {
    /// mid's counters of `chain` (in `table`) and the packets its first DROP rule matched.
    static func midDrops(_ f: Family, _ chain: String, table: String = "filter") throws -> (counters: String, dropped: Int) {
        let counters = try LabHarness.exec("mid", [f.iptables, "-t", table, "-L", chain, "-v", "-n", "-x"], scenario: scenario).stdout
        let dropped = counters.split(separator: "\n").first { $0.contains("DROP") }?.split(separator: " ").first.flatMap { Int($0) } ?? 0
        return (counters, dropped)
    }
}

extension NetworkVerdictLabTests {
    @Test("one lost SYN is loss, not a block: mid drops only the first SYN to port 80 (iptables statistic nth)")
    func oneLostSYNIsNotABlock() throws {
        try Self.everywhere { f, label in
            // The first SYN to port 80 that mid forwards is dropped, every later one passes.
            try Self.node("mid", [f.iptables, "-A", "FORWARD", "-p", "tcp", "--syn", "--dport", "80",
                                  "-m", "statistic", "--mode", "nth", "--every", "1000000", "--packet", "0", "-j", "DROP"])
            let v = try Self.investigate(f.server)
            let (counters, _) = try Self.midDrops(f, "FORWARD")
            try Self.node("mid", [f.iptables, "-F", "FORWARD"])
            #expect(counters.contains(" DROP "), "\(label): the rule was not in place: \(counters)")
            #expect(v["verdict"] as? String == "reachable" && v["blocked"] as? Bool == false, "\(label): \(v["summary"] ?? "")")
        }
    }
}

extension NetworkVerdictLabTests {
    @Test("a time exceeded lost one hop before a port-wide RST block does not move its location: mid drops its first one for port 80 (u32, nth)")
    func lostTimeExceededBeforeTheDevice() throws {
        try Self.everywhere { f, label in
            // mid (TTL 3) resets port 80 in FORWARD, so the device acts from TTL 4 (transit); the
            // first time exceeded mid sends that quotes a segment to port 80 (the trigger trace's
            // probe at TTL 3) is dropped. u32: the quoted TCP header's destination port.
            let quotedPort80 = f.iptables == "iptables" ? "0>>22&0x3C@8>>22&0x3C@8&0xFFFF=80" : "88&0xFFFF=80"
            let icmp = f.iptables == "iptables" ? ["-p", "icmp", "--icmp-type", "time-exceeded"] : ["-p", "icmpv6", "--icmpv6-type", "time-exceeded"]
            try Self.node("mid", [f.iptables, "-A", "FORWARD", "-p", "tcp", "--dport", "80", "-j", "REJECT", "--reject-with", "tcp-reset"])
            try Self.node("mid", [f.iptables, "-A", "OUTPUT"] + icmp + ["-m", "u32", "--u32", quotedPort80,
                                  "-m", "statistic", "--mode", "nth", "--every", "1000000", "--packet", "0", "-j", "DROP"])
            let v = try Self.investigate(f.server)
            let (counters, dropped) = try Self.midDrops(f, "OUTPUT")
            try Self.node("mid", [f.iptables, "-F", "FORWARD"])
            try Self.node("mid", [f.iptables, "-F", "OUTPUT"])
            #expect(dropped == 1, "\(label): the time exceeded was not dropped once: \(counters)")
            #expect(v["verdict"] as? String == "rst-injection" && Self.trigger(v) == "port", "\(label): \(v["summary"] ?? "")")
            let l = try #require(Self.location(v), "\(label): no location")
            #expect(l["ttl"] as? Int == 4 && l["address"] as? String == f.transit && l["before"] as? String == f.mid, "\(label): \(l)")
        }
    }
}

extension NetworkVerdictLabTests {
    @Test("a forged RST lost at the device's own TTL does not move its location a hop further: mid drops the trigger trace's TTL-4 probe once (raw PREROUTING, ttl/hl 2, nth)")
    func lostAnswerAtTheDevicesHop() throws {
        try Self.everywhere { f, label in
            // mid (TTL 3) resets port 80 in FORWARD, so the device acts from TTL 4. The trigger
            // trace (the smallest blocked shape, a bare SYN: 40 bytes, IPv6 60) sends its TTL-4
            // probe with 2 left at mid (the trials leave at 64, the control trace's SYNs carry
            // an MSS): it is dropped before routing, so TTL 4 draws nothing and TTL 5 the first
            // reset, which read alone puts the device a hop too far, at the host.
            let ttl = f.iptables == "iptables" ? ["-m", "ttl", "--ttl-eq", "2", "-m", "length", "--length", "40"]
                : ["-m", "hl", "--hl-eq", "2", "-m", "length", "--length", "60"]
            try Self.node("mid", [f.iptables, "-A", "FORWARD", "-p", "tcp", "--dport", "80", "-j", "REJECT", "--reject-with", "tcp-reset"])
            try Self.node("mid", [f.iptables, "-t", "raw", "-A", "PREROUTING", "-p", "tcp", "--syn", "--dport", "80"] + ttl
                          + ["-m", "statistic", "--mode", "nth", "--every", "1000000", "--packet", "0", "-j", "DROP"])
            let v = try Self.investigate(f.server)
            let (counters, dropped) = try Self.midDrops(f, "PREROUTING", table: "raw")
            try Self.node("mid", [f.iptables, "-F", "FORWARD"])
            try Self.node("mid", [f.iptables, "-t", "raw", "-F", "PREROUTING"])
            #expect(dropped == 1, "\(label): the probe was not dropped once: \(counters)")
            #expect(v["verdict"] as? String == "rst-injection" && Self.trigger(v) == "port", "\(label): \(v["summary"] ?? "")")
            let l = try #require(Self.location(v), "\(label): no location")
            #expect(l["ttl"] as? Int == 4 && l["address"] as? String == f.transit && l["before"] as? String == f.mid, "\(label): \(l)")
        }
    }
}

extension NetworkVerdictLabTests {
    @Test("a time exceeded lost at a silent device's TTL does not move its location a hop nearer: mid drops large SYNs and its first time exceeded quoting one (u32, nth)")
    func lostTimeExceededAtASilentDevice() throws {
        try Self.everywhere { f, label in
            // mid (TTL 3) drops SYNs to port 80 of 60 bytes or more (IPv6 80) in FORWARD: the
            // device acts from TTL 4, silently. The first time exceeded mid sends quoting such
            // a SYN (the trigger trace's TTL-3 probe) is dropped: read alone, the trigger
            // vanishes from TTL 3 and the device sits a hop too near, at mid.
            let v4 = f.iptables == "iptables"
            let size = v4 ? "60:65535" : "80:65535"
            let quoted = v4 ? "0>>22&0x3C@8&0xFFFF=60:65535&&0>>22&0x3C@8>>22&0x3C@8&0xFFFF=80" : "52>>16=40:65535&&88&0xFFFF=80"
            let icmp = v4 ? ["-p", "icmp", "--icmp-type", "time-exceeded"] : ["-p", "icmpv6", "--icmpv6-type", "time-exceeded"]
            try Self.node("mid", [f.iptables, "-A", "FORWARD", "-p", "tcp", "--syn", "--dport", "80", "-m", "length", "--length", size, "-j", "DROP"])
            try Self.node("mid", [f.iptables, "-A", "OUTPUT"] + icmp + ["-m", "u32", "--u32", quoted,
                                  "-m", "statistic", "--mode", "nth", "--every", "1000000", "--packet", "0", "-j", "DROP"])
            let v = try Self.investigate(f.server)
            let (counters, dropped) = try Self.midDrops(f, "OUTPUT")
            try Self.node("mid", [f.iptables, "-F", "FORWARD"])
            try Self.node("mid", [f.iptables, "-F", "OUTPUT"])
            #expect(dropped == 1, "\(label): the time exceeded was not dropped once: \(counters)")
            #expect(v["verdict"] as? String == "drop" && Self.trigger(v) == "syn-size", "\(label): \(v["summary"] ?? "")")
            let l = try #require(Self.location(v), "\(label): no location")
            #expect(l["ttl"] as? Int == 4 && l["address"] as? String == f.transit && l["before"] as? String == f.mid, "\(label): \(l)")
        }
    }
}

extension NetworkVerdictLabTests {
    @Test("a lost echo reply does not let a forged RST pass for the host's: mid resets port 443 and drops the first echo request (REJECT tcp-reset, statistic nth)")
    func lostEchoDoesNotHideAForgedRST() throws {
        // lab.yaml: one echo, three SYNs, traces when blocked. mid's resets arrive with mid's
        // distance, not the host's; only the echo reply tells the host's, and it is lost once.
        let script = Repository.root.appendingPathComponent("Probes/campaigns/lab.yaml").path
        try Self.everywhere { f, label in
            let echo = f.iptables == "iptables" ? ["-p", "icmp", "--icmp-type", "echo-request"] : ["-p", "icmpv6", "--icmpv6-type", "echo-request"]
            try Self.node("mid", [f.iptables, "-A", "FORWARD", "-p", "tcp", "--dport", "443", "-j", "REJECT", "--reject-with", "tcp-reset"])
            try Self.node("mid", [f.iptables, "-A", "FORWARD"] + echo + ["-m", "statistic", "--mode", "nth", "--every", "1000000", "--packet", "0", "-j", "DROP"])
            let v = try Self.investigate(f.server, ["--port", "443", "--experiment", script])
            let (counters, dropped) = try Self.midDrops(f, "FORWARD")
            try Self.node("mid", [f.iptables, "-F", "FORWARD"])
            #expect(dropped == 1, "\(label): the echo was not dropped once: \(counters)")
            #expect(v["verdict"] as? String == "rst-injection", "\(label): \(v["summary"] ?? "")")
            #expect(Self.location(v)?["ttl"] as? Int == 4, "\(label): \(Self.location(v) ?? [:])")
        }
    }
}

extension NetworkVerdictLabTests {
    @Test("one lost datagram is loss, not a drop: mid drops only the first UDP datagram to port 3478 of a count-1 STUN step (iptables statistic nth)")
    func oneLostDatagramIsNotADrop() throws {
        let stun = "/tmp/cstest-net-stun1-\(getpid()).yaml"
        try "name: stun-once\nports: [3478/udp]\nsteps:\n  - probe: echo\n    count: 1\n  - probe: stun\n    count: 1\nanalyses: [datagram]\n"
            .write(toFile: stun, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: stun) }
        try Self.everywhere { f, label in
            try Self.node("mid", [f.iptables, "-A", "FORWARD", "-p", "udp", "--dport", "3478",
                                  "-m", "statistic", "--mode", "nth", "--every", "1000000", "--packet", "0", "-j", "DROP"])
            let v = try Self.investigate(f.server, ["--port", "3478/udp", "--experiment", stun])
            let (counters, dropped) = try Self.midDrops(f, "FORWARD")
            try Self.node("mid", [f.iptables, "-F", "FORWARD"])
            #expect(dropped == 1, "\(label): the rule did not drop exactly one datagram: \(counters)")
            #expect(v["verdict"] as? String == "reachable" && v["blocked"] as? Bool == false, "\(label): \(v["summary"] ?? "")")
            // Every datagram dropped: the copy sent again is dropped too, and the port is a drop.
            try Self.node("mid", [f.iptables, "-A", "FORWARD", "-p", "udp", "--dport", "3478", "-j", "DROP"])
            let d = try Self.investigate(f.server, ["--port", "3478/udp", "--experiment", stun])
            try Self.node("mid", [f.iptables, "-F", "FORWARD"])
            #expect(d["verdict"] as? String == "drop" && d["blocked"] as? Bool == true, "\(label): \(d["summary"] ?? "")")
            let sent = (d["answers"] as? [[String: Any]] ?? []).count
            #expect(sent == 0, "\(label): answers to dropped datagrams: \(d["answers"] ?? "")")
        }
    }
}
