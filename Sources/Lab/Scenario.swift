import Packets
import Yams

/// A validated lab scenario: nodes, point-to-point links, static routes.
///
/// Built only by `ScenarioParser`, so every value here has passed validation: names are
/// unique and short, addresses lie in the lab ranges, routes go via neighbours.
public struct Scenario: Sendable {
    public let name: String
    public let description: String
    public let nodes: [ScenarioNode]
    public let links: [ScenarioLink]
    /// Routes per node, in file order of the nodes' entries.
    public let routes: [String: [ScenarioRoute]]
    /// Where the scenario came from, for messages: a path or `<builtin>/NAME.yaml`.
    public let file: String

    public func node(named name: String) -> ScenarioNode? { nodes.first { $0.name == name } }

    /// Links that touch `node`, in file order.
    public func links(of node: String) -> [ScenarioLink] { links.filter { $0.ends.contains(node) } }

    /// The link shared by two nodes (at most one: the parser refuses duplicates).
    public func link(between a: String, _ b: String) -> ScenarioLink? {
        links.first { $0.ends.contains(a) && $0.ends.contains(b) && a != b }
    }
}

public enum NodeRole: String, Sendable, CaseIterable, Codable {
    case client, router, censor, server, vantage

    /// Routers and censors forward packets between their links.
    public var forwards: Bool { self == .router || self == .censor }
}

/// Services a server node can offer through `censorscope lab serve`.
public enum LabService: String, Sendable, CaseIterable, Codable {
    case http, tls, echo, stun, dns
    /// UDP 443, next to TLS's TCP 443: QUIC Version Negotiation.
    case quic

    public var port: Int {
        switch self {
        case .http: return 80
        case .tls: return 443
        case .echo: return 7
        case .stun: return 3478
        case .dns: return 53
        case .quic: return 443
        }
    }
}

public struct ScenarioNode: Sendable {
    public let name: String
    public let role: NodeRole
    /// `false`: the node sends no ICMP errors (time-exceeded, unreachable), like a silent hop.
    public let icmp: Bool
    public let services: [LabService]
    /// The `censor:` section of a censor node, kept as YAML for the Censor module.
    public let censor: CensorConfiguration?
    /// Whole prefixes a server or vantage answers for (a local route, "AnyIP"): many
    /// targets on one node, as a campaign needs. Its services then listen on every address.
    public let hosts: [RouteDestination]
    /// Prefixes a router refuses with ICMP host unreachable (iptables REJECT), as a last-hop
    /// router does for hosts that are down.
    public let unreachable: [RouteDestination]
    /// `false`: the kernel's ICMP rate limit is lifted (icmp_ratelimit 0), so many probes at
    /// once all draw their time-exceeded and unreachable errors.
    public let icmpRateLimit: Bool
    public let line: Int
}

/// The censor policy of a censor node, opaque to the Lab module: the YAML node and the
/// line it starts on, so a policy validator can report errors against the scenario file.
public struct CensorConfiguration: @unchecked Sendable {
    // @unchecked: Yams.Node is an immutable value tree once composed; its Tag class is
    // never mutated after parsing, so sharing it across threads is safe.
    public let node: Yams.Node
    public let line: Int

    /// The policy as a standalone YAML document (written to `<node>.censor.yaml`).
    public func yamlText() throws -> String { try Yams.serialize(node: node) }
}

/// A point-to-point link (a veth pair). `ends[0]` gets `addresses[0]`.
public struct ScenarioLink: Sendable {
    public let ends: [String]
    public let subnet: IPv4Prefix?
    public let subnet6: IPv6Prefix?
    public let addresses: [IPv4Address]
    public let addresses6: [IPv6Address]
    public let line: Int

    public func side(of node: String) -> Int? { ends.firstIndex(of: node) }
    public func peer(of node: String) -> String? { side(of: node).map { ends[1 - $0] } }
    public func address(of node: String) -> IPv4Address? { side(of: node).flatMap { addresses.isEmpty ? nil : addresses[$0] } }
    public func address6(of node: String) -> IPv6Address? { side(of: node).flatMap { addresses6.isEmpty ? nil : addresses6[$0] } }
}

public enum RouteDestination: Hashable, Sendable, CustomStringConvertible {
    /// Default route, for every family the next hops have addresses in.
    case `default`
    case v4(IPv4Prefix)
    case v6(IPv6Prefix)

    public var description: String {
        switch self {
        case .default: return "default"
        case .v4(let p): return p.description
        case .v6(let p): return p.description
        }
    }
}

/// A static route; more than one `via` is an equal-cost multipath route (per-flow hash).
public struct ScenarioRoute: Sendable {
    public let destinations: [RouteDestination]
    public let via: [String]
    public let line: Int

    public var isMultipath: Bool { via.count > 1 }
}
