import Packets
import Yams
import YAMLReading

/// Parses `routes:`: per node, destinations reached via neighbours on shared links.
struct RouteBuilder {
    let reader: YAMLReader
    let nodes: [ScenarioNode]
    let links: [ScenarioLink]

    func routes(_ node: Node) throws -> [String: [ScenarioRoute]] {
        guard case .mapping(let m) = node else {
            throw reader.fail(line: YAMLReader.line(node), "`routes` must map node names to lists of routes, e.g. client: [{to: default, via: isp}]")
        }
        var result: [String: [ScenarioRoute]] = [:]
        for (k, v) in m {
            let name = try reader.scalar(k, "a `routes` key")
            guard nodes.contains(where: { $0.name == name }) else {
                throw reader.fail(line: YAMLReader.line(k), "routes for unknown node `\(name)` (nodes: \(nodes.map(\.name).joined(separator: ", ")))")
            }
            guard result[name] == nil else { throw reader.fail(line: YAMLReader.line(k), "routes for `\(name)` given twice") }
            var list: [ScenarioRoute] = []
            for item in try reader.sequence(v, "routes of `\(name)`") {
                let route = try self.route(item, of: name)
                for d in route.destinations {
                    if let earlier = list.first(where: { $0.destinations.contains(d) }) {
                        throw reader.fail(line: route.line, "\(name) already has a route to \(d) on line \(earlier.line)")
                    }
                }
                list.append(route)
            }
            result[name] = list
        }
        return result
    }

    func neighbours(of node: String) -> [String] { links.compactMap { $0.peer(of: node) } }

    func route(_ item: Node, of node: String) throws -> ScenarioRoute {
        let line = YAMLReader.line(item)
        let what = "route of `\(node)`"
        let f = try reader.mapping(item, "a \(what)", allowed: ["to", "via"])
        let toNode = try f.required("to")
        var destinations: [RouteDestination] = []
        for text in try reader.strings(toNode, "\(what): `to`") {
            let d = try destination(text, line: YAMLReader.line(toNode), what: what, node: node)
            guard !destinations.contains(d) else { throw reader.fail(line: YAMLReader.line(toNode), "\(what): \(d) listed twice") }
            destinations.append(d)
        }
        guard !destinations.isEmpty else { throw reader.fail(line: YAMLReader.line(toNode), "\(what): `to` is empty") }

        let viaNode = try f.required("via")
        let via = try reader.strings(viaNode, "\(what): `via`")
        let viaLine = YAMLReader.line(viaNode)
        guard !via.isEmpty else { throw reader.fail(line: viaLine, "\(what): `via` is empty") }
        var viaLinks: [ScenarioLink] = []
        for hop in via {
            guard nodes.contains(where: { $0.name == hop }) else {
                throw reader.fail(line: viaLine, "\(what): via unknown node `\(hop)`")
            }
            guard hop != node else { throw reader.fail(line: viaLine, "\(what): a node cannot route via itself") }
            guard let link = links.first(where: { $0.ends.contains(node) && $0.ends.contains(hop) }) else {
                throw reader.fail(line: viaLine, "\(what): via `\(hop)`, but \(node) has no link to \(hop) (its neighbours: \(neighbours(of: node).joined(separator: ", ")))")
            }
            guard !viaLinks.contains(where: { $0.line == link.line }) else { throw reader.fail(line: viaLine, "\(what): `\(hop)` listed twice in `via`") }
            viaLinks.append(link)
        }
        // Each destination's family must be reachable through every next hop.
        for d in destinations {
            switch d {
            case .v4:
                if let l = viaLinks.first(where: { $0.subnet == nil }) {
                    throw reader.fail(line: viaLine, "\(what): to \(d) via `\(l.peer(of: node)!)`, but their link (line \(l.line)) has no IPv4 `subnet`")
                }
            case .v6:
                if let l = viaLinks.first(where: { $0.subnet6 == nil }) {
                    throw reader.fail(line: viaLine, "\(what): to \(d) via `\(l.peer(of: node)!)`, but their link (line \(l.line)) has no `subnet6`")
                }
            case .default:
                let any4 = viaLinks.allSatisfy { $0.subnet != nil }, any6 = viaLinks.allSatisfy { $0.subnet6 != nil }
                guard any4 || any6 else {
                    throw reader.fail(line: viaLine, "\(what): the next hops share no address family (one link is IPv4-only, another IPv6-only)")
                }
            }
        }
        return ScenarioRoute(destinations: destinations, via: via, line: line)
    }

    func destination(_ text: String, line: Int, what: String, node: String) throws -> RouteDestination {
        if text == "default" { return .default }
        let d: RouteDestination
        if text.contains(":") {
            switch IPv6Prefix.parse(text) {
            case .failure(.malformed): throw reader.fail(line: line, "\(what): `\(text)` is not `default` or a prefix like 198.18.9.0/24")
            case .failure(.hostBitsSet(let s)): throw reader.fail(line: line, "\(what): `\(text)` has host bits set; did you mean \(s)?")
            case .success(let p):
                guard IPv6Prefix.lab.contains(p) else { throw reader.fail(line: line, "\(what): \(p) is outside \(IPv6Prefix.lab), the lab's only IPv6 range") }
                d = .v6(p)
            }
        } else {
            switch IPv4Prefix.parse(text) {
            case .failure(.malformed): throw reader.fail(line: line, "\(what): `\(text)` is not `default` or a prefix like 198.18.9.0/24")
            case .failure(.hostBitsSet(let s)): throw reader.fail(line: line, "\(what): `\(text)` has host bits set; did you mean \(s)?")
            case .success(let p):
                guard IPv4Prefix.lab.contains(p) else { throw reader.fail(line: line, "\(what): \(p) is outside \(IPv4Prefix.lab), the lab's only IPv4 range") }
                d = .v4(p)
            }
        }
        // The kernel already has a route to a directly connected subnet; adding one fails.
        for link in links where link.ends.contains(node) {
            if case .v4(let p) = d, link.subnet == p {
                throw reader.fail(line: line, "\(what): \(node) is directly connected to \(p) (link on line \(link.line)); no route is needed")
            }
            if case .v6(let p) = d, link.subnet6 == p {
                throw reader.fail(line: line, "\(what): \(node) is directly connected to \(p) (link on line \(link.line)); no route is needed")
            }
        }
        return d
    }
}
