import Testing
@testable import Analysis

@Suite struct VerdictTests {
    @Test func vocabularyMatchesTheDesign() {
        #expect(Verdict.allCases.map(\.rawValue) == ["reachable", "rst-injection", "drop", "blockpage", "throttle", "icmp-unreachable", "host-down", "unreachable"])
        #expect(!Verdict.hostDown.isBlocking && !Verdict.reachable.isBlocking && Verdict.drop.isBlocking)
        #expect(Confidence.low < .medium && Confidence.medium < .high)
    }
}
