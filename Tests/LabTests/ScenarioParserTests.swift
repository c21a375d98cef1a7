import Foundation
import Lab
import Packets
import TestSupport
import Testing

/// A small valid scenario; bad cases below change one line of it.
let minimalScenario = """
    name: mini
    description: two hosts and a router
    nodes:
      - {name: a, role: client}
      - {name: r, role: router}
      - {name: b, role: server, services: [http]}
    links:
      - {between: [r, a], subnet: 198.18.1.0/24, subnet6: "2001:db8:1::/64"}
      - {between: [r, b], subnet: 198.18.2.0/24}
    routes:
      a: [{to: default, via: r}]
      b: [{to: default, via: r}]
    """

/// The minimal scenario with line `number` (1-based) replaced.
func replacingLine(_ number: Int, with text: String, in base: String = minimalScenario) -> String {
    var lines = base.components(separatedBy: "\n")
    lines[number - 1] = text
    return lines.joined(separator: "\n")
}

struct BadScenario: CustomTestStringConvertible, Sendable {
    let label: String
    let text: String
    let line: Int
    let mentions: String
    var testDescription: String { label }
}

let badScenarios: [BadScenario] = [
    BadScenario(label: "not YAML", text: "name: mini\nnodes: [unclosed\n", line: 3, mentions: "not valid YAML"),
    BadScenario(label: "empty", text: "", line: 1, mentions: "empty"),
    BadScenario(label: "a list, not a mapping", text: "- a\n- b\n", line: 1, mentions: "must be a mapping"),
    BadScenario(label: "unknown top-level key", text: replacingLine(2, with: "descripton: typo"), line: 2, mentions: "unknown key `descripton`"),
    BadScenario(label: "repeated key", text: replacingLine(2, with: "name: again"), line: 2, mentions: "`name` given twice"),
    BadScenario(label: "bad scenario name", text: replacingLine(1, with: "name: Mini!"), line: 1, mentions: "scenario name `Mini!`"),
    BadScenario(label: "scenario name with a dot", text: replacingLine(1, with: "name: a.b"), line: 1, mentions: "scenario name"),
    BadScenario(label: "node name too long", text: replacingLine(4, with: "  - {name: abcdefghijk, role: client}"), line: 4, mentions: "node name `abcdefghijk`"),
    BadScenario(label: "duplicate node", text: replacingLine(5, with: "  - {name: a, role: router}"), line: 5, mentions: "already used on line 4"),
    BadScenario(label: "unknown role", text: replacingLine(5, with: "  - {name: r, role: rooter}"), line: 5, mentions: "unknown role `rooter`"),
    BadScenario(label: "missing role", text: replacingLine(5, with: "  - {name: r}"), line: 5, mentions: "`role` is missing"),
    BadScenario(label: "unknown node key", text: replacingLine(5, with: "  - {name: r, role: router, colour: red}"), line: 5, mentions: "unknown key `colour`"),
    BadScenario(label: "icmp not a bool", text: replacingLine(5, with: "  - {name: r, role: router, icmp: maybe}"), line: 5, mentions: "true or false"),
    BadScenario(label: "services on a client", text: replacingLine(4, with: "  - {name: a, role: client, services: [http]}"), line: 4, mentions: "only server and vantage"),
    BadScenario(label: "unknown service", text: replacingLine(6, with: "  - {name: b, role: server, services: [gopher]}"), line: 6, mentions: "unknown service `gopher`"),
    BadScenario(label: "censor policy on a router", text: replacingLine(5, with: "  - {name: r, role: router, censor: {rules: []}}"), line: 5, mentions: "only a node with role `censor`"),
    BadScenario(label: "censor without policy", text: replacingLine(5, with: "  - {name: r, role: censor}"), line: 5, mentions: "needs a `censor:` policy"),
    BadScenario(label: "censor policy not a mapping", text: replacingLine(5, with: "  - {name: r, role: censor, censor: [x]}"), line: 5, mentions: "must be a mapping"),
    BadScenario(label: "link to unknown node", text: replacingLine(8, with: "  - {between: [r, z], subnet: 198.18.1.0/24}"), line: 8, mentions: "unknown node `z`"),
    BadScenario(label: "link to itself", text: replacingLine(8, with: "  - {between: [r, r], subnet: 198.18.1.0/24}"), line: 8, mentions: "to itself"),
    BadScenario(label: "link with three ends", text: replacingLine(8, with: "  - {between: [r, a, b], subnet: 198.18.1.0/24}"), line: 8, mentions: "exactly two"),
    BadScenario(label: "subnet outside the lab", text: replacingLine(8, with: "  - {between: [r, a], subnet: 10.0.0.0/24}"), line: 8, mentions: "outside 198.18.0.0/16"),
    BadScenario(label: "public subnet", text: replacingLine(8, with: "  - {between: [r, a], subnet: 8.8.8.0/24}"), line: 8, mentions: "outside 198.18.0.0/16"),
    BadScenario(label: "subnet6 outside the lab", text: replacingLine(8, with: "  - {between: [r, a], subnet6: \"2001:db9::/64\"}"), line: 8, mentions: "outside 2001:db8::/32"),
    BadScenario(label: "host bits set", text: replacingLine(8, with: "  - {between: [r, a], subnet: 198.18.1.5/24}"), line: 8, mentions: "did you mean 198.18.1.0/24"),
    BadScenario(label: "not a prefix", text: replacingLine(8, with: "  - {between: [r, a], subnet: 198.18.1.0}"), line: 8, mentions: "not an IPv4 prefix"),
    BadScenario(label: "subnet too small", text: replacingLine(8, with: "  - {between: [r, a], subnet: 198.18.1.0/31}"), line: 8, mentions: "too small"),
    BadScenario(label: "no subnet at all", text: replacingLine(8, with: "  - {between: [r, a]}"), line: 8, mentions: "give `subnet`"),
    BadScenario(label: "overlapping subnets", text: replacingLine(9, with: "  - {between: [r, b], subnet: 198.18.0.0/16}"), line: 9, mentions: "overlaps 198.18.1.0/24"),
    BadScenario(label: "two links between one pair", text: replacingLine(9, with: "  - {between: [a, r], subnet: 198.18.2.0/24}"), line: 9, mentions: "already linked on line 8"),
    BadScenario(label: "address outside its subnet", text: replacingLine(8, with: "  - {between: [r, a], subnet: 198.18.1.0/24, addresses: [198.18.1.1, 198.18.7.1]}"), line: 8, mentions: "not a usable host address"),
    BadScenario(label: "broadcast address", text: replacingLine(8, with: "  - {between: [r, a], subnet: 198.18.1.0/24, addresses: [198.18.1.1, 198.18.1.255]}"), line: 8, mentions: "not a usable host address"),
    BadScenario(label: "same address twice", text: replacingLine(8, with: "  - {between: [r, a], subnet: 198.18.1.0/24, addresses: [198.18.1.1, 198.18.1.1]}"), line: 8, mentions: "same address"),
    BadScenario(label: "route via a node without a link", text: replacingLine(11, with: "  a: [{to: default, via: b}]"), line: 11, mentions: "a has no link to b"),
    BadScenario(label: "route via unknown node", text: replacingLine(11, with: "  a: [{to: default, via: q}]"), line: 11, mentions: "via unknown node `q`"),
    BadScenario(label: "route for unknown node", text: replacingLine(11, with: "  q: [{to: default, via: r}]"), line: 11, mentions: "routes for unknown node `q`"),
    BadScenario(label: "route outside the lab", text: replacingLine(11, with: "  a: [{to: 0.0.0.0/0, via: r}]"), line: 11, mentions: "outside 198.18.0.0/16"),
    BadScenario(label: "route to a connected subnet", text: replacingLine(11, with: "  a: [{to: 198.18.1.0/24, via: r}]"), line: 11, mentions: "directly connected"),
    BadScenario(label: "route repeated", text: replacingLine(11, with: "  a: [{to: default, via: r}, {to: default, via: r}]"), line: 11, mentions: "already has a route to default"),
    BadScenario(label: "IPv6 route over an IPv4-only link", text: replacingLine(12, with: "  b: [{to: \"2001:db8:1::/64\", via: r}]"), line: 12, mentions: "has no `subnet6`"),
    BadScenario(label: "route without via", text: replacingLine(11, with: "  a: [{to: default}]"), line: 11, mentions: "`via` is missing"),
    BadScenario(label: "node without a link", text: replacingLine(6, with: "  - {name: b, role: server}\n  - {name: lonely, role: client}"), line: 7, mentions: "`lonely` has no link"),
    BadScenario(label: "nodes not a list", text: "name: x\nnodes: 3\nlinks: []\n", line: 2, mentions: "`nodes` must be a list"),
    BadScenario(label: "alias bomb", text: """
        name: bomb
        a: &a [x, x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
        f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
        """, line: 2, mentions: "expands to more than"),
]

@Suite("Scenario files")
struct ScenarioParserTests {
    @Test("the minimal scenario parses, with addresses .1/.2 in the order of `between`")
    func minimal() throws {
        let s = try ScenarioParser.parse(minimalScenario, file: "mini.yaml")
        #expect(s.name == "mini")
        #expect(s.nodes.map(\.name) == ["a", "r", "b"])
        #expect(s.nodes.map(\.role) == [.client, .router, .server])
        #expect(s.nodes[2].services == [.http])
        #expect(s.links[0].address(of: "r") == IPv4Address("198.18.1.1"))
        #expect(s.links[0].address(of: "a") == IPv4Address("198.18.1.2"))
        #expect(s.links[0].address6(of: "a") == IPv6Address("2001:db8:1::2"))
        #expect(s.links[1].subnet6 == nil && s.links[1].address6(of: "b") == nil)
        #expect(s.routes["a"]?.first?.destinations == [.default])
        #expect(s.routes["a"]?.first?.line == 11)
    }

    @Test("explicit addresses, ECMP routes and lists of destinations")
    func explicitForms() throws {
        let text = """
            name: x
            nodes:
              - {name: a, role: client}
              - {name: r1, role: router, icmp: false}
              - {name: r2, role: router}
              - {name: b, role: server}
            links:
              - {between: [a, r1], subnet: 198.18.1.0/24, addresses: [198.18.1.10, 198.18.1.20]}
              - {between: [a, r2], subnet: 198.18.2.0/24, subnet6: "2001:db8:2::/64", addresses6: ["2001:db8:2::a", "2001:db8:2::b"]}
              - {between: [r1, b], subnet: 198.18.3.0/24}
              - {between: [r2, b], subnet: 198.18.4.0/24}
            routes:
              a: [{to: [198.18.3.0/24, 198.18.4.0/24], via: [r1, r2]}]
            """
        let s = try ScenarioParser.parse(text, file: "x.yaml")
        #expect(s.links[0].address(of: "r1") == IPv4Address("198.18.1.20"))
        #expect(s.links[1].address6(of: "r2") == IPv6Address("2001:db8:2::b"))
        #expect(s.nodes[1].icmp == false && s.nodes[2].icmp == true)
        let route = try #require(s.routes["a"]?.first)
        #expect(route.isMultipath && route.via == ["r1", "r2"] && route.destinations.count == 2)
    }

    @Test("bad scenarios are refused with the file, line and problem", arguments: badScenarios)
    func bad(_ case_: BadScenario) {
        do {
            let s = try ScenarioParser.parse(case_.text, file: "bad.yaml")
            Issue.record("accepted: \(s.name)")
        } catch let e as ScenarioError {
            #expect(e.file == "bad.yaml")
            #expect(e.line == case_.line, "\(e)")
            #expect(e.problem.contains(case_.mentions), "\(e)")
            #expect(e.description.hasPrefix("bad.yaml:\(case_.line): "))
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test("the censor section stays opaque YAML with its line, and serialises")
    func censorSection() throws {
        let text = replacingLine(5, with: "  - {name: r, role: censor, censor: {clients: [198.18.1.0/24], rules: [{name: x, action: drop, match: {protocol: tcp}}]}}")
        let s = try ScenarioParser.parse(text, file: "c.yaml")
        let censor = try #require(s.node(named: "r")?.censor)
        #expect(censor.line == 5)
        let yaml = try censor.yamlText()
        #expect(yaml.contains("clients:") && yaml.contains("action: drop") && yaml.contains("198.18.1.0/24"))
    }

    @Test("a censor validator sees each policy and its errors come out as the parser's")
    func censorValidator() throws {
        let text = replacingLine(5, with: "  - {name: r, role: censor, censor: {rules: [{action: explode}]}}")
        var seen: [Int] = []
        _ = try ScenarioParser.parse(text, file: "v.yaml") { policy, _ in seen.append(policy.line) }
        #expect(seen == [5])
        #expect(throws: ScenarioError(file: "v.yaml", line: 5, problem: "unknown action `explode`")) {
            try ScenarioParser.parse(text, file: "v.yaml") { policy, file in
                throw ScenarioError(file: file, line: policy.line, problem: "unknown action `explode`")
            }
        }
    }

    @Test("a missing file, a directory and a non-UTF-8 file are errors, not crashes")
    func unreadableFiles() throws {
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse(contentsOf: "/nonexistent/x.yaml") }
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse(contentsOf: "/tmp") }
        let path = NSTemporaryDirectory() + "cs-lab-binary-\(getpid()).yaml"
        try Data([0xFF, 0xFE, 0x00, 0x80, 0x0A]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse(contentsOf: path) }
    }

    @Test("deep nesting and huge files are refused without crashing")
    func hostileShapes() {
        let deep = "name: x\nnodes: " + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)
        #expect(throws: ScenarioError(file: "deep.yaml", line: 2, problem: "nested more than 64 brackets or 256 columns deep; refusing it")) {
            try ScenarioParser.parse(deep, file: "deep.yaml")
        }
        let deepBlock = "name: x\nnodes:\n" + (0..<2000).map { String(repeating: " ", count: $0) + "- " }.joined(separator: "\n")
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse(deepBlock, file: "deep.yaml") }
        let compact = "name: x\nnodes:\n" + String(repeating: "- ", count: 20_000) + "x\n"
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse(compact, file: "deep.yaml") }
        // Just inside the limits: composes (and fails validation) without trouble.
        let edge = "name: x\nnodes: " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
            + "\nlinks:\n" + (0..<128).map { String(repeating: " ", count: $0 * 2) + "- " }.joined(separator: "\n")
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse(edge, file: "edge.yaml") }
        let edgeMappings = "name: x\nnodes:\n" + (1..<256).map { String(repeating: " ", count: $0) + "a:" }.joined(separator: "\n")
            + " " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "\n"
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse(edgeMappings, file: "edge.yaml") }
        // Brackets inside quotes and comments do not count.
        let quoted = "name: x # " + String(repeating: "[", count: 100) + "\ndescription: \"" + String(repeating: "{", count: 100) + "\"\nnodes: []\nlinks: []\n"
        #expect(throws: ScenarioError(file: "q.yaml", line: 3, problem: "`nodes` is empty; a scenario needs at least two nodes")) {
            try ScenarioParser.parse(quoted, file: "q.yaml")
        }
        let huge = "name: x\n" + String(repeating: "# padding padding padding padding\n", count: 40_000)
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse(huge, file: "huge.yaml") }
    }

    /// Issue: a `"` after a space in a plain scalar fooled the depth pre-scan into skipping
    /// the brackets that follow, and Yams' composer overflowed its stack (a crash, before the fix).
    @Test("a quote inside a plain scalar does not hide deep nesting")
    func quoteInPlainScalar() {
        let text = "name: x \"y\nnodes: " + String(repeating: "[", count: 50_000) + "\ndescription: w\"\n"
        #expect(throws: ScenarioError(file: "q.yaml", line: 2, problem: "nested more than 64 brackets or 256 columns deep; refusing it")) {
            try ScenarioParser.parse(text, file: "q.yaml")
        }
    }

    @Test("mutated built-in scenarios never crash the parser, and errors stay in the file")
    func mutations() throws {
        var rng = SeededGenerator(seed: 0x5EED)
        let alphabet = Array("[]{}:,-&*!|>'\"#\n \t0123456789abcz/.")
        for name in BuiltinScenarios.names {
            let original = Array(BuiltinScenarios.embeddedText(of: name)!)
            let lineCount = original.filter { $0 == "\n" }.count + 1
            for _ in 0..<150 {
                var text = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<text.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: text.remove(at: i)
                    case 1: text.insert(alphabet.randomElement(using: &rng)!, at: i)
                    default: text[i] = alphabet.randomElement(using: &rng)!
                    }
                }
                do {
                    _ = try ScenarioParser.parse(String(text), file: "m.yaml")
                } catch let e as ScenarioError {
                    #expect((0...lineCount + 2).contains(e.line), "\(e)")
                }
            }
        }
    }
}
