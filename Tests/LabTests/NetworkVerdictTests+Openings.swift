import Foundation
import TestSupport
import Testing

/// A campaign sends its items' first runs together (`--openings shared`): each item must be
/// judged exactly as its own first run would have it judged (`--openings alone`).
extension NetworkVerdictLabTests {
    @Test("shared openings judge every item as its own run does: resets, a size trigger, drops, rejects, a down host, clean (plain kernel rules, IPv4 and IPv6)")
    func sharedOpeningsMatchOwnRuns() throws {
        let clean = (1...6).map { "198.18.20.\($0)" } + (1...3).map { "2001:db8:20::\($0)" }
        let reset = (1...4).map { "198.18.21.\($0)" } + (1...2).map { "2001:db8:21::\($0)" }
        let size = ["198.18.21.70", "198.18.21.71", "2001:db8:21::70"]
        let silent = ["198.18.21.50", "198.18.21.51", "2001:db8:21::50"]
        let rejected = ["198.18.21.60", "2001:db8:21::60"]
        let down = ["198.18.9.99", "2001:db8:9::99"]
        let targets = clean + reset + size + silent + rejected + down
        func setUp() throws {
            // Routers answer every probe: the two runs must see the same answers, and which
            // ICMP error a rate limit erases differs from run to run (other tests cover that).
            for node in ["home", "isp", "mid", "transit", "server"] {
                try Self.node(node, ["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"])
            }
            for t in reset {
                try Self.node("mid", [t.contains(":") ? "ip6tables" : "iptables", "-A", "FORWARD", "-d", t, "-p", "tcp", "--dport", "80",
                                      "-j", "REJECT", "--reject-with", "tcp-reset"])
            }
            // SYNs of the kernel's size and the padded ones (60 bytes of IPv4, 80 of IPv6) reset.
            for t in size {
                let (tool, length) = t.contains(":") ? ("ip6tables", "80:65535") : ("iptables", "60:65535")
                try Self.node("mid", [tool, "-A", "FORWARD", "-d", t, "-p", "tcp", "--syn", "--dport", "80", "-m", "length", "--length", length,
                                      "-j", "REJECT", "--reject-with", "tcp-reset"])
            }
            for t in silent { try Self.node("mid", [t.contains(":") ? "ip6tables" : "iptables", "-A", "FORWARD", "-d", t, "-j", "DROP"]) }
            for t in rejected {
                let how = t.contains(":") ? ["ip6tables", "-A", "FORWARD", "-d", t, "-j", "REJECT", "--reject-with", "icmp6-adm-prohibited"]
                    : ["iptables", "-A", "FORWARD", "-d", t, "-j", "REJECT", "--reject-with", "icmp-host-prohibited"]
                try Self.node("mid", how)
            }
        }
        let evidence = "/tmp/cstest-open-evidence-\(getpid())"
        try? FileManager.default.removeItem(atPath: evidence)
        defer { try? FileManager.default.removeItem(atPath: evidence) }
        let shared = try Self.campaign("open-shared", targets: targets, script: "Probes/campaigns/lab.yaml",
                                       extra: ["--rate", "max", "--openings", "shared", "--evidence-dir", evidence], setUp: setUp)
        // Each item's evidence holds its shared first run: its echo leaving, and for a reset
        // target the RST to its first SYN, each commented with its probe.
        let files = try FileManager.default.contentsOfDirectory(atPath: evidence)
        #expect(files.count == targets.count)
        for target in clean + reset {
            let prefix = target.replacingOccurrences(of: ":", with: "_") + "-80-"
            let file = try #require(files.first { $0.hasPrefix(prefix) }, "no evidence for \(target)")
            let bytes = try String(decoding: Data(contentsOf: URL(fileURLWithPath: evidence + "/" + file)), as: UTF8.self)
            #expect(bytes.contains("probe 0 sent: echo #0") && bytes.contains("answer to probe 0 (echo-reply"), "\(target)")
            #expect(bytes.contains(reset.contains(target) ? "answer to probe 1 (rst" : "answer to probe 1 (syn-ack"), "\(target)")
        }
        let alone = try Self.campaign("open-alone", targets: targets, script: "Probes/campaigns/lab.yaml",
                                      extra: ["--rate", "max", "--openings", "alone"], setUp: setUp)
        #expect(shared.count == targets.count && alone.count == targets.count)
        let own = Dictionary(alone.map { ($0["target"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        for v in shared {
            let target = v["target"] as? String ?? ""
            let verdict = v["verdict"] as? String
            let summary = "\(target): \(v["summary"] ?? "")"
            if clean.contains(target) { #expect(verdict == "reachable", "\(summary)") }
            // The script sends no SYN to another port: port and address cannot be told apart.
            if reset.contains(target) { #expect(verdict == "rst-injection" && Self.trigger(v) == "address", "\(summary)") }
            if rejected.contains(target) { #expect(verdict == "icmp-unreachable" && v["blocked"] as? Bool == true, "\(summary)") }
            if size.contains(target) { #expect(verdict == "rst-injection" && Self.trigger(v) == "syn-size", "\(summary)") }
            if silent.contains(target) || down.contains(target) { #expect(v["blocked"] as? Bool == false, "\(summary)") }
            let o = try #require(own[target], "\(target) missing from the run with openings alone")
            // The one documented difference: a silent target a run gave up before a late
            // unreachable is `unreachable` where the whole wait heard `host-down`.
            let pair = Set([verdict ?? "", o["verdict"] as? String ?? ""])
            if pair != ["host-down", "unreachable"] || !down.contains(target) {
                #expect(verdict == o["verdict"] as? String, "\(summary) | alone: \(o["summary"] ?? "")")
            }
            #expect(Self.trigger(v) == Self.trigger(o), "\(summary) | alone: \(o["summary"] ?? "")")
            if v["blocked"] as? Bool == true {
                #expect(Self.location(v)?["ttl"] as? Int == Self.location(o)?["ttl"] as? Int
                        && Self.location(v)?["address"] as? String == Self.location(o)?["address"] as? String,
                        "\(target): \(String(describing: Self.location(v))) | alone: \(String(describing: Self.location(o)))")
            }
        }
    }
}
