import Packets
import Yams
import YAMLReading

/// Parses `links:`: pairs of existing nodes, subnets inside the lab ranges, addresses.
struct LinkBuilder {
    let reader: YAMLReader
    let nodes: [ScenarioNode]

    func links(_ node: Node) throws -> [ScenarioLink] {
        let items = try reader.sequence(node, "`links`")
        var result: [ScenarioLink] = []
        for item in items {
            let link = try self.link(item)
            for earlier in result {
                if Set(earlier.ends) == Set(link.ends) {
                    throw reader.fail(line: link.line, "\(link.ends[0]) and \(link.ends[1]) are already linked on line \(earlier.line); one link per pair")
                }
                if let a = earlier.subnet, let b = link.subnet, a.overlaps(b) {
                    throw reader.fail(line: link.line, "subnet \(b) overlaps \(a) of the link on line \(earlier.line)")
                }
                if let a = earlier.subnet6, let b = link.subnet6, a.overlaps(b) {
                    throw reader.fail(line: link.line, "subnet6 \(b) overlaps \(a) of the link on line \(earlier.line)")
                }
            }
            result.append(link)
        }
        return result
    }

    func link(_ item: Node) throws -> ScenarioLink {
        let line = YAMLReader.line(item)
        let f = try reader.mapping(item, "a link", allowed: ["between", "subnet", "subnet6", "addresses", "addresses6"])
        let betweenNode = try f.required("between")
        let ends = try reader.sequence(betweenNode, "link `between`").map { try reader.scalar($0, "link `between`") }
        guard ends.count == 2 else {
            throw reader.fail(line: YAMLReader.line(betweenNode), "link `between` must name exactly two nodes, e.g. [client, isp]")
        }
        for end in ends where !nodes.contains(where: { $0.name == end }) {
            throw reader.fail(line: YAMLReader.line(betweenNode), "link between unknown node `\(end)` (nodes: \(nodes.map(\.name).joined(separator: ", ")))")
        }
        guard ends[0] != ends[1] else { throw reader.fail(line: YAMLReader.line(betweenNode), "a link joins two different nodes, not `\(ends[0])` to itself") }
        let what = "link \(ends[0])-\(ends[1])"

        let subnet = try f["subnet"].map { try v4Subnet($0, what) }
        let subnet6 = try f["subnet6"].map { try v6Subnet($0, what) }
        guard subnet != nil || subnet6 != nil else {
            throw reader.fail(line: line, "\(what): give `subnet` (IPv4, in \(IPv4Prefix.lab)) and/or `subnet6` (IPv6, in \(IPv6Prefix.lab))")
        }
        var addresses: [IPv4Address] = []
        if let subnet {
            addresses = try f["addresses"].map { try explicit($0, what, "addresses", parse: IPv4Address.init, usable: subnet.isUsableHost, subnet: subnet.description) }
                ?? [subnet.host(1)!, subnet.host(2)!]
        } else if let a = f["addresses"] {
            throw reader.fail(line: YAMLReader.line(a), "\(what): `addresses` needs a `subnet`")
        }
        var addresses6: [IPv6Address] = []
        if let subnet6 {
            addresses6 = try f["addresses6"].map { try explicit($0, what, "addresses6", parse: IPv6Address.init, usable: subnet6.isUsableHost, subnet: subnet6.description) }
                ?? [subnet6.host(1)!, subnet6.host(2)!]
        } else if let a = f["addresses6"] {
            throw reader.fail(line: YAMLReader.line(a), "\(what): `addresses6` needs a `subnet6`")
        }
        return ScenarioLink(ends: ends, subnet: subnet, subnet6: subnet6, addresses: addresses, addresses6: addresses6, line: line)
    }

    func v4Subnet(_ node: Node, _ what: String) throws -> IPv4Prefix {
        let text = try reader.scalar(node, "\(what): `subnet`")
        let line = YAMLReader.line(node)
        switch IPv4Prefix.parse(text) {
        case .failure(.malformed):
            throw reader.fail(line: line, "\(what): `subnet` `\(text)` is not an IPv4 prefix like 198.18.1.0/24")
        case .failure(.hostBitsSet(let s)):
            throw reader.fail(line: line, "\(what): `subnet` `\(text)` has host bits set; did you mean \(s)?")
        case .success(let p):
            guard IPv4Prefix.lab.contains(p) else {
                throw reader.fail(line: line, "\(what): `subnet` \(p) is outside \(IPv4Prefix.lab); the lab uses only the benchmarking range")
            }
            guard p.length <= 30 else { throw reader.fail(line: line, "\(what): `subnet` \(p) is too small for two hosts; use /30 or larger") }
            return p
        }
    }

    func v6Subnet(_ node: Node, _ what: String) throws -> IPv6Prefix {
        let text = try reader.scalar(node, "\(what): `subnet6`")
        let line = YAMLReader.line(node)
        switch IPv6Prefix.parse(text) {
        case .failure(.malformed):
            throw reader.fail(line: line, "\(what): `subnet6` `\(text)` is not an IPv6 prefix like \"2001:db8:1::/64\" (quote it)")
        case .failure(.hostBitsSet(let s)):
            throw reader.fail(line: line, "\(what): `subnet6` `\(text)` has host bits set; did you mean \(s)?")
        case .success(let p):
            guard IPv6Prefix.lab.contains(p) else {
                throw reader.fail(line: line, "\(what): `subnet6` \(p) is outside \(IPv6Prefix.lab); the lab uses only the documentation range")
            }
            guard p.length <= 126 else { throw reader.fail(line: line, "\(what): `subnet6` \(p) is too small for two hosts; use /126 or larger") }
            return p
        }
    }

    /// Two distinct usable host addresses of the subnet, in the order of `between`.
    func explicit<A: Equatable>(_ node: Node, _ what: String, _ key: String, parse: (String) -> A?,
                                usable: (A) -> Bool, subnet: String) throws -> [A] {
        let items = try reader.sequence(node, "\(what): `\(key)`")
        guard items.count == 2 else { throw reader.fail(line: YAMLReader.line(node), "\(what): `\(key)` must list two addresses, one per end") }
        var result: [A] = []
        for item in items {
            let text = try reader.scalar(item, "\(what): an address")
            guard let a = parse(text) else { throw reader.fail(line: YAMLReader.line(item), "\(what): `\(text)` is not an address") }
            guard usable(a) else {
                throw reader.fail(line: YAMLReader.line(item), "\(what): \(text) is not a usable host address of \(subnet)")
            }
            result.append(a)
        }
        guard result[0] != result[1] else { throw reader.fail(line: YAMLReader.line(node), "\(what): both ends have the same address") }
        return result
    }
}
