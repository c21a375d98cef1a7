import Foundation
import TestSupport
import Testing

/// Zero false `blocked` over every built-in lab scenario: each scenario's targets that its
/// censor leaves alone (its own comment says which), IPv4 and IPv6 where the scenario has
/// them, with and without a name, must come out not blocked. The scenarios' censors are
/// ours and plain kernel rules (`plain`), the clean paths include duplicated and reordered
/// answers (`chaos`) and per-flow load balancing (`ecmp`).
@Suite("No false blocks in any lab scenario (root)", .serialized, .enabled(if: LabHarness.canRun))
struct NoFalseBlockTests {
    /// Scenario → investigate arguments of its clean targets. `ip-blackhole` has none: its
    /// only server is the blackholed one.
    static let cleanTargets: [(String, [[String]])] = [
        ("clean", [["198.18.9.2", "--port", "80", "--host", "allowed.example"], ["198.18.9.2", "--port", "443", "--sni", "allowed.example"],
                   ["2001:db8:9::2", "--port", "80", "--host", "allowed.example"]]),
        ("plain", [["198.18.9.2", "--port", "80", "--host", "allowed.example"], ["2001:db8:9::2", "--port", "443", "--sni", "allowed.example"],
                   ["198.18.20.7", "--port", "80"]]),
        ("campaign", [["198.18.20.5", "--port", "80"], ["2001:db8:20::5", "--port", "80"], ["198.18.23.5", "--port", "80"]]),
        ("chaos", [["198.18.9.2", "--port", "80", "--host", "allowed.example"]]),
        ("ecmp", [["198.18.9.2", "--port", "80"], ["198.18.9.2", "--port", "443", "--sni", "allowed.example"]]),
        ("gfw-sni", [["198.18.9.2", "--port", "443", "--sni", "allowed.example"], ["2001:db8:9::2", "--port", "443", "--sni", "allowed.example"],
                     ["198.18.9.2", "--port", "80", "--host", "blocked.example"]]),
        ("keyword-http", [["198.18.9.2", "--port", "80", "--host", "allowed.example"], ["2001:db8:9::2", "--port", "80", "--host", "allowed.example"]]),
        ("throttle-sni", [["198.18.9.2", "--port", "443", "--sni", "allowed.example"]]),
        ("telegram-2018", [["198.18.9.2", "--port", "443"]]),
        ("vantages", [["198.18.20.5", "--port", "80"], ["198.18.23.5", "--port", "80"]]),
    ]

    @Test("clean targets of every scenario are not blocked", arguments: cleanTargets.map(\.0))
    func noFalseBlock(_ scenario: String) throws {
        let targets = try #require(Self.cleanTargets.first { $0.0 == scenario }?.1)
        try LabHarness.withLab(scenario) {
            for args in targets {
                let r = try LabHarness.exec("client", [LabHarness.binary, "investigate"] + args + ["--json"], scenario: scenario)
                let line = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
                guard let v = try? LabHarness.json(line) else {
                    Issue.record("\(scenario) \(args.joined(separator: " ")): no JSON (exit \(r.status)): \(r.stderr)")
                    continue
                }
                #expect(v["blocked"] as? Bool == false,
                        "\(scenario) \(args.joined(separator: " ")): \(v["verdict"] ?? "?") — \(v["summary"] ?? "")")
                #expect(v["verdict"] as? String == "reachable",
                        "\(scenario) \(args.joined(separator: " ")): \(v["verdict"] ?? "?") — \(v["summary"] ?? "")")
            }
        }
    }
}
