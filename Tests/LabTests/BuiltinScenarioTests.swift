import Foundation
import Lab
import Packets
import TestSupport
import Testing

let repositoryRoot = Repository.root

func builtin(_ name: String) throws -> Scenario {
    try ScenarioParser.parse(#require(BuiltinScenarios.embeddedText(of: name)), file: "\(name).yaml")
}

let serverAddress = IPAddress.v4(IPv4Address("198.18.9.2")!)
let serverAddress6 = IPAddress.v6(IPv6Address("2001:db8:9::2")!)
let clientAddress = IPAddress.v4(IPv4Address("198.18.1.2")!)

@Suite("Built-in scenarios")
struct BuiltinScenarioTests {
    static let expected = ["campaign", "chaos", "clean", "ecmp", "gfw-sni", "ip-blackhole", "keyword-http", "plain", "telegram-2018", "throttle-sni", "vantages"]

    @Test("the embedded copies are Probes/labs, as built")
    func embeddedMatchesFiles() throws {
        let dir = repositoryRoot.appendingPathComponent("Probes/labs")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.map { String($0.dropLast(5)) } == BuiltinScenarios.names)
        #expect(BuiltinScenarios.names == Self.expected)
        for file in files {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            #expect(BuiltinScenarios.embeddedText(of: String(file.dropLast(5))) == text, "\(file) differs from its embedded copy")
        }
    }

    /// The scenarios built around our censor emulator (`plain` has none: its tests build the censorship).
    static let emulated = expected.filter { $0 != "plain" }

    @Test("plain: no censor of ours; client behind home, rules go on mid, a portal, a second way back")
    func plain() throws {
        let s = try builtin("plain")
        #expect(!s.nodes.contains { $0.role == .censor })
        let client = IPAddress.v4(IPv4Address("198.18.0.2")!)
        #expect(ScenarioPaths.owner(in: s, of: client) == "client")
        #expect(ScenarioPaths.owner(in: s, of: serverAddress) == "server")
        let forward = try #require(ScenarioPaths.hops(in: s, from: "client", to: serverAddress))
        #expect(forward.map { $0.first ?? "" } == ["home", "isp", "mid", "transit", "server"])
        #expect(s.node(named: "portal")?.services == [.http, .tls])
    }

    /// `vantages` is IPv4 only and its server runs http, tls and echo: its point is the
    /// vantages beyond the censor (VantagesLabTests), not the shared plan.
    @Test("each built-in scenario parses: client, censor, server on the shared address plan", arguments: emulated.filter { $0 != "vantages" })
    func parses(_ name: String) throws {
        let s = try builtin(name)
        #expect(s.name == name)
        #expect(!s.description.isEmpty)
        #expect(s.node(named: "client")?.role == .client)
        #expect(s.node(named: "isp")?.role == .router)
        let dpi = try #require(s.node(named: "dpi"))
        #expect(dpi.role == .censor && dpi.censor != nil)
        #expect(ScenarioPaths.owner(in: s, of: serverAddress) == "server")
        #expect(ScenarioPaths.owner(in: s, of: serverAddress6) == "server")
        #expect(ScenarioPaths.owner(in: s, of: clientAddress) == "client")
        #expect(s.node(named: "server")?.services == [.http, .tls, .echo, .stun, .dns, .quic])
        // The censor sits on the forward path of every scenario.
        let forward = try #require(ScenarioPaths.hops(in: s, from: "client", to: serverAddress))
        #expect(forward.first == ["isp"] && forward.dropFirst().first == ["dpi"] && forward.last == ["server"])
        // And on the way back.
        let back = try #require(ScenarioPaths.hops(in: s, from: "server", to: clientAddress))
        #expect(back.contains(["dpi"]) && back.last == ["client"])
        let back6 = try #require(ScenarioPaths.hops(in: s, from: "server", to: .v6(IPv6Address("2001:db8:1::2")!)))
        #expect(back6.count == back.count)
    }

    @Test("censor policies follow the censor schema keys")
    func censorPolicies() throws {
        let actions: [String: [String]] = [
            "telegram-2018": ["action: inject", "syn_size_min: 60", "ttl: 59", "ip_id: 1", "flags: R", "src_port: 80", "established: true"],
            "gfw-sni": ["action: inject-and-accept", "tls_sni: blocked.example", "to: both"],
            "ip-blackhole": ["action: drop", "dst_prefix: 198.18.9.0/24"],
            "keyword-http": ["http_host: blocked.example", "payload:", "403 Forbidden"],
            "throttle-sni": ["action: throttle", "rate_kbit: 150", "tls_sni: throttled.example"],
            "chaos": ["action: disturb", "direction: server-to-client", "dst_prefix:", "duplicate: 0.3", "delay_ms:", "seed: 2018"],
            "clean": ["rules: []"],
            "ecmp": ["rules: []"],
            "campaign": ["syn_size_min: 60", "dst_prefix:", "198.18.21.0/24", "198.18.22.0/24", "action: drop", "dst_port: 443"],
        ]
        for (name, needles) in actions {
            let yaml = try #require(try builtin(name).node(named: "dpi")?.censor).yamlText()
            #expect(yaml.contains("clients:"), "\(name)")
            for n in needles { #expect(yaml.contains(n), "\(name): \(n) missing in\n\(yaml)") }
        }
    }

    @Test("every address answers the client: routes lead there and back", arguments: expected)
    func reachability(_ name: String) throws {
        let s = try builtin(name)
        let plan = LabPlan(s)
        for node in plan.nodes where node.name != "client" {
            for text in node.addresses {
                let address = try #require(IPAddress(text))
                let there = try #require(ScenarioPaths.paths(in: s, from: "client", to: address), "client to \(node.name) \(text)")
                #expect(!there.isEmpty && there.allSatisfy { $0.last == node.name }, "client to \(node.name) \(text)")
                // The client's first address (plain puts it behind home, on 198.18.0.0/24).
                let own = try #require(plan.nodes.first { $0.name == "client" }?.addresses)
                let back = try #require(IPAddress(own.first { $0.contains(":") == text.contains(":") } ?? ""))
                let paths = try #require(ScenarioPaths.paths(in: s, from: node.name, to: back), "\(node.name) back to the client")
                #expect(!paths.isEmpty && paths.allSatisfy { $0.last == "client" }, "\(node.name) back to the client")
            }
        }
    }

    @Test("telegram-2018: forward via transit-a, back via transit-b, silent dc, vantage beside the server")
    func telegramPaths() throws {
        let s = try builtin("telegram-2018")
        #expect(ScenarioPaths.hops(in: s, from: "client", to: serverAddress) == [["isp"], ["dpi"], ["transit-a"], ["dc"], ["server"]])
        #expect(ScenarioPaths.hops(in: s, from: "server", to: clientAddress) == [["dc"], ["transit-b"], ["dpi"], ["isp"], ["client"]])
        #expect(s.node(named: "dc")?.icmp == false)
        #expect(s.node(named: "vantage")?.role == .vantage)
        #expect(ScenarioPaths.hops(in: s, from: "vantage", to: clientAddress)?.first == ["dc"])
    }

    @Test("ecmp: two candidates at the third hop in both directions")
    func ecmpPaths() throws {
        let s = try builtin("ecmp")
        #expect(ScenarioPaths.hops(in: s, from: "client", to: serverAddress) == [["isp"], ["dpi"], ["transit-a", "transit-b"], ["dc"], ["server"]])
        #expect(ScenarioPaths.hops(in: s, from: "server", to: clientAddress) == [["dc"], ["transit-a", "transit-b"], ["dpi"], ["isp"], ["client"]])
    }
}

@Suite("Lab plans")
struct LabPlanTests {
    @Test("names, MACs and addresses are deterministic, unique and within kernel limits")
    func names() throws {
        for name in BuiltinScenarios.names {
            let plan = LabPlan(try builtin(name))
            let again = LabPlan(try builtin(name))
            #expect(plan.steps == again.steps)
            #expect(plan.nodes == again.nodes)
            let interfaces = plan.nodes.flatMap(\.interfaces)
            #expect(Set(interfaces.map(\.mac)).count == interfaces.count)
            for i in interfaces {
                #expect(i.name.utf8.count <= 15, "\(i.name)")
                #expect(i.mac.hasPrefix("02:c5:"))
            }
            for n in plan.nodes { #expect(n.namespace == "cslab-\(name).\(n.name)") }
            let addresses = plan.nodes.flatMap(\.addresses)
            #expect(Set(addresses).count == addresses.count)
        }
    }

    @Test("telegram-2018's plan: forwarding on routers, silent dc, routes via neighbours")
    func telegramPlan() throws {
        let plan = LabPlan(try builtin("telegram-2018"))
        let commands = plan.steps.map { $0.arguments.joined(separator: " ") }
        #expect(commands.first == "ip netns add cslab-telegram-2018.client")
        #expect(commands.contains { $0.hasPrefix("ip netns exec cslab-telegram-2018.dpi sysctl") && $0.contains("net.ipv4.ip_forward=1") })
        #expect(!commands.contains { $0.hasPrefix("ip netns exec cslab-telegram-2018.client sysctl") && $0.contains("ip_forward=1") })
        #expect(commands.contains("ip netns exec cslab-telegram-2018.dc iptables -A OUTPUT -p icmp --icmp-type time-exceeded -j DROP"))
        #expect(commands.contains("ip netns exec cslab-telegram-2018.dc ip6tables -A OUTPUT -p ipv6-icmp --icmpv6-type destination-unreachable -j DROP"))
        #expect(commands.contains("ip -n cslab-telegram-2018.dc -4 route add default via 198.18.6.1 dev to-transit-b"))
        #expect(commands.contains("ip -n cslab-telegram-2018.dc -6 route add default via 2001:db8:6::1 dev to-transit-b"))
        #expect(commands.contains("ip -n cslab-telegram-2018.client addr add 2001:db8:1::2/64 dev to-isp nodad"))
        #expect(commands.contains { $0.hasPrefix("ip link add to-client netns cslab-telegram-2018.isp address 02:c5:") && $0.contains("peer name to-isp netns cslab-telegram-2018.client") })
        // Namespaces first, routes last.
        let firstRoute = try #require(commands.firstIndex { $0.contains(" route add ") })
        #expect(commands[..<firstRoute].allSatisfy { !$0.contains(" route ") })
        #expect(!commands.contains { $0.contains("fib_multipath_hash_policy") })
    }

    @Test("ecmp's plan: multipath routes and the L4 hash policy where they are used")
    func ecmpPlan() throws {
        let plan = LabPlan(try builtin("ecmp"))
        let commands = plan.steps.map { $0.arguments.joined(separator: " ") }
        #expect(commands.contains("ip -n cslab-ecmp.dpi -4 route add default nexthop via 198.18.3.2 dev to-transit-a nexthop via 198.18.4.2 dev to-transit-b"))
        #expect(commands.contains("ip -n cslab-ecmp.dc -6 route add default nexthop via 2001:db8:5::1 dev to-transit-a nexthop via 2001:db8:6::1 dev to-transit-b"))
        #expect(commands.contains { $0.hasPrefix("ip netns exec cslab-ecmp.dpi sysctl") && $0.contains("net.ipv4.fib_multipath_hash_policy=1") })
        #expect(!commands.contains { $0.hasPrefix("ip netns exec cslab-ecmp.isp sysctl") && $0.contains("fib_multipath_hash_policy") })
    }

    @Test("scenario names resolve to built-ins, paths to files, anything else to a clear error")
    func sources() throws {
        let source = try ScenarioSource.resolve("clean", executable: nil)
        #expect(source.label == "builtin:clean" && source.file == "<builtin>/clean.yaml")
        let fromCheckout = try ScenarioSource.resolve("clean", executable: repositoryRoot.appendingPathComponent(".build/debug/censorscope").path)
        #expect(fromCheckout.file.hasSuffix("Probes/labs/clean.yaml"))
        let path = repositoryRoot.appendingPathComponent("Probes/labs/ecmp.yaml").path
        #expect(try ScenarioSource.resolve(path, executable: nil).parse().name == "ecmp")
        #expect(throws: ScenarioError.self) { try ScenarioSource.resolve("telegram-2019", executable: nil) }
        #expect(throws: ScenarioError.self) { try ScenarioSource.resolve("/nonexistent/x.yaml", executable: nil) }
    }
}
