import Censor
import Foundation
import Packets
import TestSupport
import Testing
import Yams

@Suite struct PolicyParserTests {
    @Test func fullPolicyParses() throws {
        let p = try CensorPolicy.parse(yaml: """
            clients: [198.18.1.0/24, 2001:db8:1::/64]
            rules:
              - name: big-syn
                match:
                  direction: client-to-server
                  protocol: tcp
                  dst_prefix: 198.18.3.0/24
                  dst_port: 80
                  syn: true
                  syn_size_min: 60
                action: inject
                inject:
                  to: client
                  flags: R
                  ttl: {copy_minus: 2}
                  ip_id: 1
                  window: copy
                residual_seconds: 30
              - name: blockpage
                match: {http_host: [telegram.org, {contains: telegram}], established: true}
                action: inject-and-accept
                inject:
                  - {to: client, flags: FPA, payload: "HTTP/1.1 403 Forbidden\\r\\n\\r\\n", copies: 2}
                  - {to: server, flags: R, ip_id: zero}
              - name: slow
                match: {tls_sni: twitter.com}
                action: throttle
                rate_kbit: 150
                burst_bytes: 6000
                max_delay_ms: 300
              - {name: icmp, match: {protocol: icmp}, action: accept}
            """, file: "p.yaml")
        #expect(p.clients == [IPPrefix("198.18.1.0/24")!, IPPrefix("2001:db8:1::/64")!])
        #expect(p.rules.map(\.name) == ["big-syn", "blockpage", "slow", "icmp"])
        let syn = p.rules[0]
        #expect(syn.line == 3)
        #expect(syn.match.direction == .clientToServer && syn.match.proto == .tcp && syn.match.syn == true)
        #expect(syn.match.destinationPorts == [80...80] && syn.match.synSizeMin == 60)
        #expect(syn.inject.count == 1)
        #expect(syn.inject[0].flags == .rst && syn.inject[0].ttl == .copyMinus(2) && syn.inject[0].ipID == .fixed(1))
        #expect(syn.inject[0].window == .copy && syn.residualSeconds == 30)
        let page = p.rules[1]
        #expect(page.match.httpHost == [.domain("telegram.org"), .contains("telegram")])
        #expect(page.inject[0].payload == Array("HTTP/1.1 403 Forbidden\r\n\r\n".utf8) && page.inject[0].copies == 2)
        #expect(page.inject[1].ipID == .zero && page.inject[1].dontFragment)
        #expect(p.rules[2].throttle?.rateKbit == 150 && p.rules[2].throttle?.burstBytes == 6000)
        #expect(p.rules[3].action == .accept)
    }

    /// Each bad policy fails with the line of the offending node and a useful sentence.
    @Test(arguments: [
        ("clients: [198.18.1.0/24]\nrules:\n  - name: x\n    match: {prot: tcp}\n    action: drop\n", 4, "unknown key 'prot'"),
        ("clients: [198.18.1.0/24]\nrules:\n  - name: x\n    action: explode\n", 4, "unknown action 'explode'"),
        ("clients: [198.18.1.0/33]\n", 1, "not an address or prefix"),
        ("rules: []\n", 1, "missing 'clients'"),
        ("clients: [198.18.1.0/24]\nrules:\n  - match: {syn: true}\n", 3, "has no action"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: inject\n    match: {dst_port: 80}\n", 3, "protocol: tcp"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: throttle\n", 3, "needs rate_kbit"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: drop\n    rate_kbit: 5\n", 4, "only used with action throttle"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: inject\n    match: {syn: true}\n    inject:\n      ip_id: zero\n      df: false\n", 7, "needs df: true"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: inject\n    match: {syn: true}\n    inject: {flags: RZ}\n", 5, "unknown letter 'Z'"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: drop\n    match: {syn_options: [mss, bogus]}\n", 4, "unknown TCP option 'bogus'"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: drop\n    match:\n      syn_size_min: 60\n      syn_size_max: 44\n", 6, "below syn_size_min"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: drop\n    match:\n      dst_port: 70000\n", 5, "not a port"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: drop\n    match:\n      protocol: udp\n      syn: true\n", 5, "TCP conditions"),
        ("clients: [198.18.1.0/24]\nrules:\n  - {name: a, action: drop}\n  - {name: a, action: drop}\n", 4, "two rules are named 'a'"),
        ("clients: [198.18.1.0/24]\nclients: [198.18.2.0/24]\n", 2, "appears twice"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: drop\n    match: {established: maybe}\n", 4, "true or false"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: drop\n   match: {syn: true}\n", 4, "invalid YAML"),
        ("clients: [198.18.1.0/24\n", 2, "invalid YAML"),
        ("clients: [198.18.1.0/24]\nrules:\n  - action: accept\n    residual_seconds: 10\n", 4, "use it with drop or inject"),
    ] as [(String, Int, String)])
    func badPoliciesNameTheLine(yaml: String, line: Int, problem: String) {
        do {
            _ = try CensorPolicy.parse(yaml: yaml, file: "bad.yaml")
            Issue.record("accepted:\n\(yaml)")
        } catch {
            #expect(error.file == "bad.yaml")
            #expect(error.line == line, "\(error)")
            #expect(error.problem.contains(problem), "\(error)")
            #expect(error.description.hasPrefix("bad.yaml:\(line): "))
        }
    }

    /// Issue: policies were composed with no limit at all, so deep nesting overflowed
    /// Yams' composer (a crash, before the fix); now they go through the shared limits.
    @Test func deepAndHugePoliciesAreRefusedWithoutCrashing() {
        let cases: [(String, Int, String)] = [
            ("clients: " + String(repeating: "[", count: 100_000) + "\n", 1, "nested more than 64 brackets or 256 columns deep"),
            ("rules: x \"y\nclients: " + String(repeating: "[", count: 50_000) + "\nrules: w\"\n", 2, "nested more than 64 brackets"),
            ("clients: [198.18.1.0/24]\n" + String(repeating: "# padding padding padding\n", count: 50_000), 1, "larger than 1024 KiB"),
            ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + (1...6).map { "b\($0): &b\($0) [" + Array(repeating: $0 == 1 ? "*a" : "*b\($0 - 1)", count: 10).joined(separator: ", ") + "]" }.joined(separator: "\n") + "\n",
             0, "expands to more than 100000 values"),   // the line of the value where the count runs out
        ]
        for (yaml, line, problem) in cases {
            #expect(throws: CensorPolicyError.self) { _ = try CensorPolicy.parse(yaml: yaml, file: "deep.yaml") }
            do {
                _ = try CensorPolicy.parse(yaml: yaml, file: "deep.yaml", firstLine: 5)
            } catch {
                #expect((line == 0 || error.line == line + 4) && error.problem.contains(problem), "\(error)")
            }
        }
    }

    @Test func firstLineShiftsLinesOfACutOutSubtree() {
        let cut = "  clients: [198.18.1.0/24]\n  rules:\n    - action: nope\n"
        do {
            _ = try CensorPolicy.parse(yaml: cut, file: "scenario.yaml", firstLine: 12)
            Issue.record("accepted")
        } catch {
            #expect(error.line == 14)
            #expect(error.description.hasPrefix("scenario.yaml:14: unknown action 'nope'"))
        }
    }

    @Test func parseNodeOfABiggerScenarioKeepsItsLines() throws {
        let scenario = """
            name: demo
            nodes:
              - {name: c, role: client}
            censor:
              clients: [198.18.1.0/24]
              rules:
                - name: ok
                  action: drop
                - name: bad
                  action: drop
                  match: {dst_port: eighty}
            """
        let root = try #require(try Yams.compose(yaml: scenario))
        let censor = try #require(root["censor"])
        do {
            _ = try CensorPolicy.parse(node: censor, file: "demo.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 11)
            #expect(error.problem.contains("eighty"))
        }
    }

    @Test func defaultsAndEmptyRules() throws {
        let p = try CensorPolicy.parse(yaml: "clients: 198.18.1.0/24\nrules:\n  - {action: inject, match: {protocol: tcp}}\n", file: "p")
        #expect(p.clients == [IPPrefix("198.18.1.0/24")!])
        let spec = try #require(p.rules.first?.inject.first)
        #expect(p.rules[0].name == "rule-1")
        #expect(spec.to == .client && spec.flags == [.rst, .ack] && spec.ttl == .fixed(64) && spec.ipID == .increment)
        #expect(spec.window == .fixed(0) && spec.copies == 1 && !spec.dontFragment && spec.payload.isEmpty)
        #expect(try CensorPolicy.parse(yaml: "clients: [198.18.1.0/24]\n", file: "p").rules.isEmpty)
    }

    /// Every YAML example in Docs/censor.md is a valid policy.
    @Test func documentationExamplesParse() throws {
        let doc = Repository.root.appendingPathComponent("Docs/censor.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        let blocks = text.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        #expect(blocks.count >= 4)
        for (i, block) in blocks.enumerated() {
            do { _ = try CensorPolicy.parse(yaml: block, file: "censor.md#\(i + 1)") } catch {
                Issue.record("example \(i + 1): \(error)")
            }
        }
    }

    @Test func prefixes() {
        #expect(IPPrefix("198.18.1.0/24")!.contains(IPAddress("198.18.1.200")!))
        #expect(!IPPrefix("198.18.1.0/24")!.contains(IPAddress("198.18.2.1")!))
        #expect(IPPrefix("198.18.1.7")!.length == 32)
        #expect(IPPrefix("0.0.0.0/0")!.contains(IPAddress("8.8.8.8")!))
        #expect(IPPrefix("2001:db8:1::/64")!.contains(IPAddress("2001:db8:1::99")!))
        #expect(!IPPrefix("2001:db8:1::/64")!.contains(IPAddress("2001:db8:2::1")!))
        #expect(IPPrefix("2001:db8::/100")!.contains(IPAddress("2001:db8::fff:1")!))
        #expect(!IPPrefix("2001:db8::/100")!.contains(IPAddress("2001:db8::1000:0")!))
        #expect(!IPPrefix("198.18.0.0/16")!.contains(IPAddress("2001:db8::1")!))
        for bad in ["198.18.1.0/", "198.18.1.0/-1", "2001:db8::/129", "x/24", "198.18.1.0/24/1", "198.18.1.0/+8"] {
            #expect(IPPrefix(bad) == nil, "\(bad)")
        }
    }
}
