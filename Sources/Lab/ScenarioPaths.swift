import Packets

/// The path a packet takes through a scenario by its static routes, computed without
/// building anything: what `traceroute` inside the lab should show, for tests and for
/// checking `trace` results against the truth.
public enum ScenarioPaths {
    /// The hops from `source` towards `destination`: one entry per TTL, each listing the
    /// nodes that can be at that hop (several under ECMP). The last entry is the node that
    /// owns the address. Nil when a node on the way has no route (or a loop).
    public static func hops(in scenario: Scenario, from source: String, to destination: IPAddress) -> [[String]]? {
        var current = [source]
        var hops: [[String]] = []
        for _ in 0..<64 {
            if current.contains(where: { owns(scenario, $0, destination) }) { return hops }
            var next: [String] = []
            for node in current {
                guard let vias = nextHops(scenario, node, destination) else { return nil }
                for v in vias where !next.contains(v) { next.append(v) }
            }
            hops.append(next)
            if next.contains(where: { owns(scenario, $0, destination) }) {
                return hops
            }
            current = next
        }
        return nil
    }

    /// The node with this address on one of its links.
    public static func owner(in scenario: Scenario, of address: IPAddress) -> String? {
        scenario.nodes.first { owns(scenario, $0.name, address) }?.name
    }

    static func owns(_ scenario: Scenario, _ node: String, _ address: IPAddress) -> Bool {
        scenario.links(of: node).contains { link in
            switch address {
            case .v4(let a): return link.address(of: node) == a
            case .v6(let a): return link.address6(of: node) == a
            }
        }
    }

    /// Next hops by the kernel's rules: a connected subnet first, else the longest
    /// matching route of the destination's family (`default` matches everything).
    static func nextHops(_ scenario: Scenario, _ node: String, _ destination: IPAddress) -> [String]? {
        for link in scenario.links(of: node) {
            switch destination {
            case .v4(let a): if link.subnet?.contains(a) == true { return [link.peer(of: node)!] }
            case .v6(let a): if link.subnet6?.contains(a) == true { return [link.peer(of: node)!] }
            }
        }
        var best: (length: Int, via: [String])?
        for route in scenario.routes[node, default: []] {
            for d in route.destinations {
                let length: Int?
                switch (d, destination) {
                case (.default, .v4):
                    length = route.via.allSatisfy { scenario.link(between: node, $0)?.subnet != nil } ? 0 : nil
                case (.default, .v6):
                    length = route.via.allSatisfy { scenario.link(between: node, $0)?.subnet6 != nil } ? 0 : nil
                case (.v4(let p), .v4(let a)): length = p.contains(a) ? p.length : nil
                case (.v6(let p), .v6(let a)): length = p.contains(a) ? p.length : nil
                default: length = nil
                }
                if let length, length >= (best?.length ?? -1) { best = (length, route.via) }
            }
        }
        return best?.via
    }
}
