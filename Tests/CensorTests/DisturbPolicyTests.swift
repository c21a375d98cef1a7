import Censor
import Packets
import Testing

/// The `disturb` action's YAML: values, defaults, and FILE:LINE errors.
@Suite struct DisturbPolicyTests {
    static let head = "clients: [198.18.1.0/24]\nrules:\n  - name: chaos\n    action: disturb\n"

    @Test func readsEveryField() throws {
        let p = try CensorPolicy.parse(yaml: Self.head + "    match: {direction: server-to-client}\n"
                                       + "    disturb: {duplicate: 0.3, copies: 2, delay_ms: [0, 20.5], seed: 2018}\n", file: "p")
        let rule = try #require(p.rules.first)
        #expect(rule.action == .disturb && rule.action.forwardsTrigger && !rule.action.forges)
        #expect(rule.disturb == DisturbSpec(duplicate: 0.3, copies: 2, delayMilliseconds: 0...20.5, seed: 2018))
        #expect(rule.match.direction == .serverToClient)
    }

    @Test func defaultsAndASingleDelay() throws {
        let dup = try CensorPolicy.parse(yaml: Self.head + "    disturb: {duplicate: 1}\n", file: "p").rules[0].disturb
        #expect(dup == DisturbSpec(duplicate: 1, copies: 1, delayMilliseconds: 0...0, seed: nil))
        let hold = try CensorPolicy.parse(yaml: Self.head + "    disturb:\n      delay_ms: 7\n", file: "p").rules[0].disturb
        #expect(hold == DisturbSpec(duplicate: 0, delayMilliseconds: 7...7))
    }

    @Test(arguments: [
        ("    disturb: {duplicate: 1.5}\n", 5, "disturb.duplicate must be between 0.0 and 1.0, not 1.5"),
        ("    disturb: {duplicate: -0.1}\n", 5, "disturb.duplicate must be between 0.0 and 1.0"),
        ("    disturb: {duplicate: often}\n", 5, "disturb.duplicate must be a number"),
        ("    disturb:\n      duplicate: 0.3\n      copies: 0\n", 7, "disturb.copies must be between 1 and 10, not 0"),
        ("    disturb:\n      duplicate: 0.3\n      copies: 11\n", 7, "disturb.copies must be between 1 and 10, not 11"),
        ("    disturb:\n      delay_ms: [20, 5]\n", 6, "the minimum (20.0) is above the maximum (5.0)"),
        ("    disturb:\n      delay_ms: [-1, 5]\n", 6, "disturb.delay_ms must be between 0.0 and 2000.0, not -1"),
        ("    disturb:\n      delay_ms: [0, 2500]\n", 6, "not 2500"),
        ("    disturb:\n      delay_ms: [1, 2, 3]\n", 6, "[MIN, MAX]"),
        ("    disturb:\n      delay_ms: []\n", 6, "[MIN, MAX]"),
        ("    disturb:\n      delay_ms: [0, 0]\n", 6, "disturb does nothing"),
        ("    disturb: {duplicate: 0.3, seed: -4}\n", 5, "disturb.seed must be between 0"),
        ("    disturb: {duplicate: 0.3, jitter: 5}\n", 5, "unknown key 'jitter' in disturb"),
        ("    disturb: 0.3\n", 5, "disturb must be a mapping"),
        ("    match: {protocol: icmp}\n", 4, "action disturb needs disturb"),
        ("    disturb: {duplicate: 0.3}\n    residual_seconds: 5\n", 6, "use it with drop or inject"),
    ] as [(String, Int, String)])
    func badDisturbNamesTheLine(rest: String, line: Int, problem: String) {
        do {
            _ = try CensorPolicy.parse(yaml: Self.head + rest, file: "chaos.yaml")
            Issue.record("accepted:\n\(rest)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.problem.contains(problem), "\(error)")
            #expect(error.description.hasPrefix("chaos.yaml:\(line): "))
        }
    }

    @Test func disturbBelongsToTheDisturbActionOnly() {
        do {
            _ = try CensorPolicy.parse(yaml: "clients: [198.18.1.0/24]\nrules:\n  - action: drop\n    disturb: {duplicate: 0.3}\n", file: "x.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("x.yaml:4: 'disturb' is only used with action disturb"), "\(error)")
        }
        do {
            _ = try CensorPolicy.parse(yaml: "clients: [198.18.1.0/24]\nrules:\n  - action: shuffle\n", file: "x.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.problem.contains("throttle or disturb"), "\(error)")
        }
    }
}
