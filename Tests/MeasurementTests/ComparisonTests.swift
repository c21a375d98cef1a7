@testable import CampaignScheduler
import Testing

@Suite("campaign compare")
struct ComparisonTests {
    @Test(arguments: [
        (["reachable", "rst-injection"], "blocked-somewhere", true),
        (["rst-injection", "reachable", "reachable"], "blocked-somewhere", true),
        (["unreachable", "reachable", "reachable"], "silent-somewhere", true),
        (["drop", "reachable"], "silent-somewhere", true),
        (["host-down", "host-down", "host-down"], "silent-everywhere", false),
        (["unreachable", "drop", "host-down"], "silent-everywhere", false),
        (["reachable", "reachable"], "reachable-everywhere", false),
        (["rst-injection", "blockpage"], "blocked-everywhere", false),
        (["rst-injection", "unreachable"], "inconclusive", false),
        (["rst-injection"], "one-vantage", false),
        (["reachable", "some-future-verdict"], "inconclusive", false),
    ])
    func summaries(_ verdicts: [String], _ summary: String, _ flagged: Bool) {
        let s = ComparisonRow.summary(verdicts)
        #expect(s.rawValue == summary)
        let row = ComparisonRow(target: "198.18.0.1", name: nil, port: "80",
                                verdicts: verdicts.enumerated().map { (vantage: "v\($0.offset)", verdict: $0.element) },
                                records: [], summary: s)
        #expect(row.flagged == flagged)
        #expect(row.json["flagged"] == .bool(flagged))
        #expect((row.json["evidence"] != nil) == flagged)
    }
}
