import Packets

/// Everything `lab up` will create for a scenario, computed without touching the system:
/// namespace and interface names, MACs, addresses, and the commands that build it.
public struct LabPlan: Sendable {
    /// Every lab namespace starts with this, so `lab down` can find leftovers after a crash.
    public static let namespacePrefix = "cslab-"

    /// `cslab-<scenario>.<node>`: scenario names cannot contain `.`, so the prefix of one
    /// scenario never matches another's.
    public static func namespace(scenario: String, node: String) -> String {
        namespacePrefix + scenario + "." + node
    }

    public static func namespacePrefix(scenario: String) -> String { namespacePrefix + scenario + "." }

    public static func interfaceName(towards peer: String) -> String { "to-" + peer }

    public let scenario: Scenario
    public let nodes: [PlannedNode]
    /// The network, in order: namespaces, sysctls, loopbacks, veths, links up, addresses,
    /// ICMP filters, routes.
    public let steps: [LabStep]

    public init(_ scenario: Scenario) {
        self.scenario = scenario
        let tag = LabPlan.hashByte(scenario.name)
        var nodes: [PlannedNode] = []
        for node in scenario.nodes {
            var interfaces: [PlannedInterface] = []
            for (index, link) in scenario.links.enumerated() {
                guard let side = link.side(of: node.name) else { continue }
                let peer = link.ends[1 - side]
                var addresses: [String] = []
                if let s = link.subnet { addresses.append("\(link.addresses[side])/\(s.length)") }
                if let s = link.subnet6 { addresses.append("\(link.addresses6[side])/\(s.length)") }
                interfaces.append(PlannedInterface(
                    name: LabPlan.interfaceName(towards: peer), peer: peer,
                    mac: LabPlan.mac(tag: tag, link: index, side: side), addresses: addresses))
            }
            let v4 = scenario.links(of: node.name).compactMap { $0.address(of: node.name) }.map(\.description)
            let v6 = scenario.links(of: node.name).compactMap { $0.address6(of: node.name) }.map(\.description)
            nodes.append(PlannedNode(
                name: node.name, role: node.role,
                namespace: LabPlan.namespace(scenario: scenario.name, node: node.name),
                addresses: v4 + v6, interfaces: interfaces))
        }
        self.nodes = nodes
        steps = LabPlan.steps(scenario, nodes)
    }

    public func node(named name: String) -> PlannedNode? { nodes.first { $0.name == name } }

    /// Locally administered, unicast, deterministic: 02:c5:<scenario>:<link>:<link>:<side>.
    static func mac(tag: UInt8, link: Int, side: Int) -> String {
        let bytes: [UInt8] = [0x02, 0xC5, tag, UInt8(truncatingIfNeeded: link >> 8), UInt8(truncatingIfNeeded: link), UInt8(side + 1)]
        return bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined(separator: ":")
    }

    /// FNV-1a folded to a byte: a stable tag per scenario name.
    static func hashByte(_ s: String) -> UInt8 {
        var h: UInt32 = 2_166_136_261
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return UInt8(truncatingIfNeeded: h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24))
    }

    static func steps(_ scenario: Scenario, _ nodes: [PlannedNode]) -> [LabStep] {
        var steps: [LabStep] = []
        let ns = { (name: String) in LabPlan.namespace(scenario: scenario.name, node: name) }
        for node in scenario.nodes {
            steps.append(LabStep("create namespace for \(node.name)", ["ip", "netns", "add", ns(node.name)]))
        }
        for node in scenario.nodes {
            // Before any interface exists, so the defaults apply to every veth.
            var settings = [
                "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
                // Asymmetric routes: a packet may arrive on an interface its reply does not leave by.
                "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
            ]
            if node.role.forwards {
                settings += ["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1", "net.ipv6.conf.default.forwarding=1"]
            }
            if !node.icmpRateLimit {
                settings += ["net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0", "net.ipv4.icmp_msgs_per_sec=100000"]
            }
            if scenario.routes[node.name, default: []].contains(where: \.isMultipath) {
                // Per-flow ECMP on the 5-tuple (L4 hash), so one flow keeps one path.
                settings += ["net.ipv4.fib_multipath_hash_policy=1", "net.ipv6.fib_multipath_hash_policy=1"]
            }
            steps.append(LabStep("configure \(node.name)", ["ip", "netns", "exec", ns(node.name), "sysctl", "-q", "-w"] + settings))
            steps.append(LabStep("bring up loopback of \(node.name)", ["ip", "-n", ns(node.name), "link", "set", "lo", "up"]))
        }
        for (index, link) in scenario.links.enumerated() {
            let (a, b) = (link.ends[0], link.ends[1])
            let tag = hashByte(scenario.name)
            steps.append(LabStep("link \(a) and \(b)", [
                "ip", "link", "add", interfaceName(towards: b), "netns", ns(a), "address", mac(tag: tag, link: index, side: 0),
                "type", "veth", "peer", "name", interfaceName(towards: a), "netns", ns(b), "address", mac(tag: tag, link: index, side: 1),
            ]))
        }
        // Links up before addresses: an IPv6 address added to a down interface misses the
        // first neighbour solicitations after it comes up (the first ping6 takes 1 s).
        for node in nodes {
            for interface in node.interfaces {
                steps.append(LabStep("bring up \(interface.name) of \(node.name)", ["ip", "-n", node.namespace, "link", "set", interface.name, "up"]))
            }
        }
        for node in nodes {
            for interface in node.interfaces {
                for address in interface.addresses {
                    var args = ["ip", "-n", node.namespace, "addr", "add", address, "dev", interface.name]
                    if address.contains(":") { args.append("nodad") }
                    steps.append(LabStep("address \(address) on \(node.name)", args))
                }
            }
        }
        for node in scenario.nodes where !node.icmp {
            // Only locally generated errors: forwarded ICMP and echo replies still pass.
            for type in ["time-exceeded", "destination-unreachable"] {
                steps.append(LabStep("silence ICMP \(type) from \(node.name)",
                                     ["ip", "netns", "exec", ns(node.name), "iptables", "-A", "OUTPUT", "-p", "icmp", "--icmp-type", type, "-j", "DROP"]))
                steps.append(LabStep("silence ICMPv6 \(type) from \(node.name)",
                                     ["ip", "netns", "exec", ns(node.name), "ip6tables", "-A", "OUTPUT", "-p", "ipv6-icmp", "--icmpv6-type", type, "-j", "DROP"]))
            }
        }
        for node in scenario.nodes {
            for prefix in node.hosts {
                let family = { if case .v6 = prefix { return "-6" }; return "-4" }()
                steps.append(LabStep("host \(prefix) on \(node.name)",
                                     ["ip", "-n", ns(node.name), family, "route", "add", "local", prefix.description, "dev", "lo"]))
            }
            // IPv4 lets a datagram leave from an address of a local route; IPv6 only with
            // non-local binding, without which UDP services answer nothing there.
            if node.hosts.contains(where: { if case .v6 = $0 { return true }; return false }) {
                steps.append(LabStep("answer UDP from the IPv6 hosts of \(node.name)",
                                     ["ip", "netns", "exec", ns(node.name), "sysctl", "-q", "-w", "net.ipv6.ip_nonlocal_bind=1"]))
            }
            // REJECT rather than an `unreachable` route: the route's errors obey a rate limit
            // that is global to the machine (net.ipv4.route.error_cost), REJECT's the namespace's.
            for prefix in node.unreachable {
                let v6 = { if case .v6 = prefix { return true }; return false }()
                steps.append(LabStep("\(prefix) unreachable at \(node.name)",
                                     ["ip", "netns", "exec", ns(node.name), v6 ? "ip6tables" : "iptables", "-A", "FORWARD", "-d", prefix.description,
                                      "-j", "REJECT", "--reject-with", v6 ? "icmp6-addr-unreachable" : "icmp-host-unreachable"]))
            }
        }
        for node in scenario.nodes {
            for route in scenario.routes[node.name, default: []] {
                steps += routeSteps(scenario, node: node.name, route: route)
            }
        }
        return steps
    }

    static func routeSteps(_ scenario: Scenario, node: String, route: ScenarioRoute) -> [LabStep] {
        let links = route.via.compactMap { scenario.link(between: node, $0) }
        let all4 = links.allSatisfy { $0.subnet != nil }, all6 = links.allSatisfy { $0.subnet6 != nil }
        var steps: [LabStep] = []
        for d in route.destinations {
            var targets: [(family: String, prefix: String)] = []
            switch d {
            case .default:
                if all4 { targets.append(("-4", "default")) }
                if all6 { targets.append(("-6", "default")) }
            case .v4(let p): targets.append(("-4", p.description))
            case .v6(let p): targets.append(("-6", p.description))
            }
            for t in targets {
                let hops: [(gateway: String, dev: String)] = route.via.enumerated().map { i, hop in
                    let gw = t.family == "-4" ? links[i].address(of: hop)!.description : links[i].address6(of: hop)!.description
                    return (gw, interfaceName(towards: hop))
                }
                var args = ["ip", "-n", namespace(scenario: scenario.name, node: node), t.family, "route", "add", t.prefix]
                if hops.count == 1 {
                    args += ["via", hops[0].gateway, "dev", hops[0].dev]
                } else {
                    for h in hops { args += ["nexthop", "via", h.gateway, "dev", h.dev] }
                }
                steps.append(LabStep("route on \(node) to \(t.prefix) via \(route.via.joined(separator: "+"))", args))
            }
        }
        return steps
    }
}

/// One command of the build, with a description for error messages.
public struct LabStep: Sendable, Equatable {
    public let description: String
    public let arguments: [String]

    public init(_ description: String, _ arguments: [String]) {
        self.description = description
        self.arguments = arguments
    }
}

public struct PlannedNode: Sendable, Codable, Equatable {
    public let name: String
    public let role: NodeRole
    public let namespace: String
    /// Host addresses without prefix length: IPv4 first, then IPv6, in link order.
    public let addresses: [String]
    public let interfaces: [PlannedInterface]
}

public struct PlannedInterface: Sendable, Codable, Equatable {
    public let name: String
    public let peer: String
    public let mac: String
    /// With prefix length, e.g. `198.18.1.1/24`.
    public let addresses: [String]
}
