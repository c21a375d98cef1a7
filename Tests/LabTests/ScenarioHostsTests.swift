import Lab
import Packets
import Testing

/// The node keys for many-target scenarios: `hosts`, `unreachable`, `icmp_rate_limit`.
@Suite struct ScenarioHostsTests {
    static func scenario(_ nodes: String) -> String {
        """
        name: many
        nodes:
        \(nodes)
        links:
          - {between: [r, s], subnet: 198.18.9.0/24, subnet6: "2001:db8:9::/64"}
        """
    }

    @Test("hosts become local routes on the server, unreachable a REJECT on the router, rate limits lifted")
    func plan() throws {
        let s = try ScenarioParser.parse(Self.scenario("""
              - {name: r, role: router, icmp_rate_limit: false, unreachable: [198.18.29.0/24, "2001:db8:29::/64"]}
              - {name: s, role: server, services: [http], hosts: [198.18.20.0/24, "2001:db8:20::/120"]}
            """), file: "many.yaml")
        #expect(s.node(named: "s")?.hosts.map(\.description) == ["198.18.20.0/24", "2001:db8:20::/120"])
        #expect(s.node(named: "r")?.icmpRateLimit == false && s.node(named: "s")?.icmpRateLimit == true)
        let steps = LabPlan(s).steps.map { $0.arguments.joined(separator: " ") }
        #expect(steps.contains("ip -n cslab-many.s -4 route add local 198.18.20.0/24 dev lo"))
        #expect(steps.contains("ip -n cslab-many.s -6 route add local 2001:db8:20::/120 dev lo"))
        #expect(steps.contains("ip netns exec cslab-many.r iptables -A FORWARD -d 198.18.29.0/24 -j REJECT --reject-with icmp-host-unreachable"))
        #expect(steps.contains("ip netns exec cslab-many.r ip6tables -A FORWARD -d 2001:db8:29::/64 -j REJECT --reject-with icmp6-addr-unreachable"))
        #expect(steps.contains { $0.hasPrefix("ip netns exec cslab-many.r sysctl") && $0.contains("net.ipv4.icmp_ratelimit=0") })
        #expect(!steps.contains { $0.hasPrefix("ip netns exec cslab-many.s sysctl") && $0.contains("icmp_ratelimit") })
    }

    @Test("Misplaced or malformed prefixes are refused with their line",
          arguments: [
            ("  - {name: r, role: router, hosts: [198.18.20.0/24]}\n  - {name: s, role: server}", 3, "only server and vantage nodes host prefixes"),
            ("  - {name: r, role: router}\n  - {name: s, role: server, unreachable: [198.18.29.0/24]}", 4, "only routers and censors"),
            ("  - {name: r, role: router}\n  - {name: s, role: server, hosts: [10.0.0.0/8]}", 4, "outside 198.18.0.0/16"),
            ("  - {name: r, role: router}\n  - {name: s, role: server, hosts: [198.18.20.1/24]}", 4, "host bits set"),
            ("  - {name: r, role: router}\n  - {name: s, role: server, hosts: [\"2001:db8:20::/129\"]}", 4, "is not a prefix"),
            ("  - {name: r, role: router, icmp_rate_limit: maybe}\n  - {name: s, role: server}", 3, "icmp_rate_limit"),
          ])
    func refused(_ nodes: String, _ line: Int, _ fragment: String) {
        do {
            _ = try ScenarioParser.parse(Self.scenario(nodes), file: "many.yaml")
            Issue.record("accepted")
        } catch let e as ScenarioError {
            #expect(e.line == line, "\(e)")
            #expect(e.problem.contains(fragment), "\(e)")
        } catch {
            Issue.record("unexpected error: \(error)")
        }
    }
}
