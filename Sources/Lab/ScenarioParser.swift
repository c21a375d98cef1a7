import Foundation
import Packets
import Yams
import YAMLReading

/// Parses and validates a scenario file. Hostile input never traps: every problem is a
/// `ScenarioError` naming the file and line, and nothing is built from a bad file.
public enum ScenarioParser {
    public static let maximumScenarioName = 24
    public static let maximumNodeName = 10

    /// Checks a censor node's policy (the Censor module's schema), throwing a
    /// ScenarioError against the scenario file. Lab itself keeps policies opaque.
    public typealias CensorValidator = (_ policy: CensorConfiguration, _ file: String) throws -> Void

    public static func parse(_ text: String, file: String, validateCensor: CensorValidator? = nil) throws -> Scenario {
        let reader = YAMLReader.scenario(file: file)
        let scenario: Scenario
        do {
            guard let root = try reader.compose(text) else {
                throw reader.fail(line: 1, "the file is empty; a scenario needs `name`, `nodes` and `links`")
            }
            scenario = try ScenarioBuilder(reader: reader).scenario(root)
        } catch let error as SourceError {
            throw ScenarioError(error)
        }
        if let validateCensor {
            for node in scenario.nodes { if let policy = node.censor { try validateCensor(policy, file) } }
        }
        return scenario
    }

    /// Reads a scenario from a file path.
    public static func parse(contentsOf path: String, validateCensor: CensorValidator? = nil) throws -> Scenario {
        try parse(try readScenarioFile(path), file: path, validateCensor: validateCensor)
    }

    /// The file's text, or a ScenarioError saying why it cannot be read. Reads no more
    /// than the reader's limit (and one byte to tell that it is over).
    public static func readScenarioFile(_ path: String) throws -> String {
        func fail(_ line: Int, _ problem: String) -> ScenarioError { ScenarioError(file: path, line: line, problem: problem) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw fail(0, "no such file (give a built-in scenario name from `censorscope lab list` or a path to a .yaml file)")
        }
        guard !isDirectory.boolValue else { throw fail(0, "is a directory, not a scenario file") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw fail(0, "cannot be read (permissions?)") }
        defer { try? handle.close() }
        let limits = ScenarioBudget.limits
        let data = (try? handle.read(upToCount: limits.maximumBytes + 1)) ?? Data()
        guard data.count <= limits.maximumBytes else { throw fail(1, scenarioWording(.tooLarge(limits))) }
        guard let text = String(data: data, encoding: .utf8) else { throw fail(1, "is not UTF-8 text") }
        return text
    }

    /// A valid scenario name: safe as a directory and namespace name component.
    public static func isScenarioName(_ s: String) -> Bool {
        isValidName(s, maximum: maximumScenarioName, firstMayBeDigit: true)
    }

    static func isValidName(_ s: String, maximum: Int, firstMayBeDigit: Bool) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= maximum, s.utf8.last != UInt8(ascii: "-") else { return false }
        func lowerOrDigit(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        guard first >= 0x61 && first <= 0x7A || (firstMayBeDigit && lowerOrDigit(first)) else { return false }
        return s.utf8.allSatisfy { lowerOrDigit($0) || $0 == UInt8(ascii: "-") }
    }
}

/// One parse: reads the document top-down, validating as it goes.
struct ScenarioBuilder {
    let reader: YAMLReader

    func scenario(_ root: Node) throws -> Scenario {
        let top = try reader.mapping(root, "the scenario", allowed: ["name", "description", "nodes", "links", "routes"])
        let nameNode = try top.required("name")
        let name = try reader.scalar(nameNode, "`name`")
        guard ScenarioParser.isValidName(name, maximum: ScenarioParser.maximumScenarioName, firstMayBeDigit: true) else {
            throw reader.fail(line: YAMLReader.line(nameNode),
                              "scenario name `\(name)` must be 1-\(ScenarioParser.maximumScenarioName) lower-case letters, digits or `-` (it names namespaces)")
        }
        let description = try top["description"].map { try reader.scalar($0, "`description`") } ?? ""
        let nodes = try self.nodes(try top.required("nodes"))
        let links = try LinkBuilder(reader: reader, nodes: nodes).links(try top.required("links"))
        for node in nodes where !links.contains(where: { $0.ends.contains(node.name) }) {
            throw reader.fail(line: node.line, "node `\(node.name)` has no link; connect it in `links` or remove it")
        }
        let routes = try top["routes"].map { try RouteBuilder(reader: reader, nodes: nodes, links: links).routes($0) } ?? [:]
        return Scenario(name: name, description: description, nodes: nodes, links: links, routes: routes, file: reader.file)
    }

    func nodes(_ node: Node) throws -> [ScenarioNode] {
        let items = try reader.sequence(node, "`nodes`")
        guard !items.isEmpty else { throw reader.fail(line: YAMLReader.line(node), "`nodes` is empty; a scenario needs at least two nodes") }
        var result: [ScenarioNode] = []
        for item in items {
            let n = try self.node(item)
            if let earlier = result.first(where: { $0.name == n.name }) {
                throw reader.fail(line: n.line, "node name `\(n.name)` is already used on line \(earlier.line)")
            }
            result.append(n)
        }
        return result
    }

    func node(_ item: Node) throws -> ScenarioNode {
        let line = YAMLReader.line(item)
        let f = try reader.mapping(item, "a node", allowed: ["name", "role", "icmp", "services", "censor", "hosts", "unreachable", "icmp_rate_limit"])
        let nameNode = try f.required("name")
        let name = try reader.scalar(nameNode, "node `name`")
        guard ScenarioParser.isValidName(name, maximum: ScenarioParser.maximumNodeName, firstMayBeDigit: false) else {
            throw reader.fail(line: YAMLReader.line(nameNode),
                              "node name `\(name)` must be 1-\(ScenarioParser.maximumNodeName) lower-case letters, digits or `-`, starting with a letter (it names interfaces)")
        }
        let what = "node `\(name)`"
        let roleNode = try f.required("role")
        let roleText = try reader.scalar(roleNode, "\(what): `role`")
        guard let role = NodeRole(rawValue: roleText) else {
            throw reader.fail(line: YAMLReader.line(roleNode),
                              "\(what): unknown role `\(roleText)` (expected \(NodeRole.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let icmp = try f["icmp"].map { try reader.bool($0, "\(what): `icmp`") } ?? true
        var services: [LabService] = []
        if let s = f["services"] {
            guard role == .server || role == .vantage else {
                throw reader.fail(line: YAMLReader.line(s), "\(what): only server and vantage nodes run services (this one is a \(role.rawValue))")
            }
            for item in try reader.sequence(s, "\(what): `services`") {
                let text = try reader.scalar(item, "\(what): a service")
                guard let service = LabService(rawValue: text) else {
                    throw reader.fail(line: YAMLReader.line(item),
                                      "\(what): unknown service `\(text)` (expected \(LabService.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                guard !services.contains(service) else { throw reader.fail(line: YAMLReader.line(item), "\(what): service `\(text)` listed twice") }
                services.append(service)
            }
        }
        var censor: CensorConfiguration?
        if let c = f["censor"] {
            guard role == .censor else {
                throw reader.fail(line: YAMLReader.line(c), "\(what): only a node with role `censor` takes a `censor:` policy (this one is a \(role.rawValue))")
            }
            guard case .mapping = c else { throw reader.fail(line: YAMLReader.line(c), "\(what): `censor` must be a mapping (the censor policy)") }
            censor = CensorConfiguration(node: c, line: YAMLReader.line(c))
        } else if role == .censor {
            throw reader.fail(line: line, "\(what): a censor node needs a `censor:` policy (use `censor: {rules: []}` for one that passes everything)")
        }
        var hosts: [RouteDestination] = []
        if let h = f["hosts"] {
            guard role == .server || role == .vantage else {
                throw reader.fail(line: YAMLReader.line(h), "\(what): only server and vantage nodes host prefixes (this one is a \(role.rawValue))")
            }
            hosts = try prefixes(h, "\(what): `hosts`")
        }
        var unreachable: [RouteDestination] = []
        if let u = f["unreachable"] {
            guard role.forwards else {
                throw reader.fail(line: YAMLReader.line(u), "\(what): only routers and censors have `unreachable` prefixes (this one is a \(role.rawValue))")
            }
            unreachable = try prefixes(u, "\(what): `unreachable`")
        }
        let rateLimit = try f["icmp_rate_limit"].map { try reader.bool($0, "\(what): `icmp_rate_limit`") } ?? true
        return ScenarioNode(name: name, role: role, icmp: icmp, services: services, censor: censor,
                            hosts: hosts, unreachable: unreachable, icmpRateLimit: rateLimit, line: line)
    }

    /// A list of lab prefixes (IPv4 in 198.18.0.0/16, IPv6 in 2001:db8::/32).
    func prefixes(_ node: Node, _ what: String) throws -> [RouteDestination] {
        try reader.sequence(node, what).map { item in
            let text = try reader.scalar(item, what)
            let line = YAMLReader.line(item)
            if text.contains(":") {
                switch IPv6Prefix.parse(text) {
                case .success(let p) where IPv6Prefix.lab.contains(p): return .v6(p)
                case .success(let p): throw reader.fail(line: line, "\(what): \(p) is outside \(IPv6Prefix.lab), the lab's only IPv6 range")
                case .failure(.hostBitsSet(let s)): throw reader.fail(line: line, "\(what): `\(text)` has host bits set; did you mean \(s)?")
                case .failure: throw reader.fail(line: line, "\(what): `\(text)` is not a prefix like 2001:db8:20::/120")
                }
            }
            switch IPv4Prefix.parse(text) {
            case .success(let p) where IPv4Prefix.lab.contains(p): return .v4(p)
            case .success(let p): throw reader.fail(line: line, "\(what): \(p) is outside \(IPv4Prefix.lab), the lab's only IPv4 range")
            case .failure(.hostBitsSet(let s)): throw reader.fail(line: line, "\(what): `\(text)` has host bits set; did you mean \(s)?")
            case .failure: throw reader.fail(line: line, "\(what): `\(text)` is not a prefix like 198.18.20.0/24")
            }
        }
    }
}
