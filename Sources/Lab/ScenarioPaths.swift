import Packets

/// The path a packet takes through a scenario by its static routes, computed without
/// building anything: what `traceroute` inside the lab should show, for tests and for
/// checking `trace` results against the truth.
public enum ScenarioPaths {
    /// Every path from `source` towards `destination`, one per combination of ECMP
    /// choices: the nodes crossed after `source`, ending with the node that owns the
    /// address. Nil when some choice leads to a node without a route, or loops.
    public static func paths(in scenario: Scenario, from source: String, to destination: IPAddress) -> [[String]]? {
        var complete: [[String]] = []
        // Depth-first over ECMP choices; a path longer than 64 hops is a loop.
        var pending: [[String]] = [[source]]
        while let path = pending.popLast() {
            let here = path.last!
            if path.count > 1 && owns(scenario, here, destination) {
                complete.append(Array(path.dropFirst()))
                continue
            }
            guard path.count <= 64, complete.count + pending.count < 4096,
                  let next = nextHops(scenario, here, destination) else { return nil }
            for n in next.reversed() { pending.append(path + [n]) }
        }
        return complete
    }

    /// The hops as `traceroute` sees them: per TTL, the nodes that can answer (several
    /// under ECMP); the last entry holds the destination's owner.
    public static func hops(in scenario: Scenario, from source: String, to destination: IPAddress) -> [[String]]? {
        guard let paths = paths(in: scenario, from: source, to: destination) else { return nil }
        var hops: [[String]] = []
        for path in paths {
            for (i, node) in path.enumerated() {
                if hops.count <= i { hops.append([]) }
                if !hops[i].contains(node) { hops[i].append(node) }
            }
        }
        return hops
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
