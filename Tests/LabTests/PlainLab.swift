import ChildProcess
import Foundation
import Lab
import TestSupport
import Testing

/// The `plain` scenario (no censor of ours) and the kernel tools that build censorship in
/// it, for the end-to-end tests of the application-layer verdicts: iptables/ip6tables on
/// `mid` (hop 3 from the client), tc on mid's link towards the client, NAT on `home`.
enum PlainLab {
    static let scenario = "plain"

    /// One way of reaching the server: address family, and whether `home` masquerades the client.
    struct Variant: CustomTestStringConvertible, Sendable {
        var v6: Bool
        var nat: Bool
        var testDescription: String { (v6 ? "IPv6" : "IPv4") + (nat ? " behind NAT" : "") }

        var server: String { v6 ? "2001:db8:9::2" : "198.18.9.2" }
        var portal: String { v6 ? "2001:db8:6::2" : "198.18.6.2" }
        /// The routers a trace shows: home 1, isp 2, mid 3, transit 4 (their address towards the client).
        func router(_ hop: Int) -> String {
            let v4 = ["198.18.0.1", "198.18.1.1", "198.18.2.2", "198.18.3.2"]
            let v6 = ["2001:db8::1", "2001:db8:1::1", "2001:db8:2::2", "2001:db8:3::2"]
            return (self.v6 ? v6 : v4)[hop - 1]
        }
        /// The Host header a browser sends for the bare address.
        var hostHeader: String { v6 ? "[\(server)]" : server }
        var iptables: String { v6 ? "ip6tables" : "iptables" }
    }

    static let variants = [Variant(v6: false, nat: false), Variant(v6: false, nat: true),
                           Variant(v6: true, nat: false), Variant(v6: true, nat: true)]

    static func run(_ node: String, _ command: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try LabHarness.exec(node, command, scenario: scenario)
        try #require(r.status == 0, "\(node): \(command.joined(separator: " ")): \(r.stderr)", sourceLocation: sourceLocation)
    }

    /// Every rule and queue discipline gone, then NAT on `home` if the variant asks for it.
    static func prepare(_ v: Variant) throws {
        for node in ["mid", "home"] {
            for tool in ["iptables", "ip6tables"] {
                for table in ["filter", "nat", "mangle"] { try run(node, [tool, "-t", table, "-F"]) }
            }
        }
        _ = try LabHarness.exec("mid", ["tc", "qdisc", "del", "dev", "to-isp", "root"], scenario: scenario)   // none is fine
        if v.nat {
            for tool in ["iptables", "ip6tables"] {
                try run("home", [tool, "-t", "nat", "-A", "POSTROUTING", "-o", "to-isp", "-j", "MASQUERADE"])
            }
        }
    }

    /// An iptables/ip6tables rule on mid for the variant's family.
    static func mid(_ v: Variant, _ rule: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        try run("mid", [v.iptables] + rule, sourceLocation: sourceLocation)
    }

    /// `censorscope investigate` in the client; its JSON.
    static func investigate(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let r = try LabHarness.exec("client", [LabHarness.binary, "investigate"] + args + ["--json", "--allow-reserved"], scenario: scenario)
        try #require([0, 2, 3].contains(r.status), "investigate \(args.joined(separator: " ")): \(r.stderr)", sourceLocation: sourceLocation)
        return try LabHarness.json(r.stdout)
    }

    /// Verdict, trigger kind, and location as "ttl address after before" (what the tests assert).
    static func essence(_ v: [String: Any]) -> (verdict: String, trigger: String, location: String) {
        let trigger = (v["trigger"] as? [String: Any])?["kind"] as? String ?? "?"
        var location = "null"
        if let l = v["location"] as? [String: Any] {
            location = "\(l["ttl"] as? Int ?? -1) \(l["address"] as? String ?? "null") after \(l["before"] as? String ?? "null")"
        }
        return (v["verdict"] as? String ?? "?", trigger, location)
    }
}
