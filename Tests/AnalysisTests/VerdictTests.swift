import Packets
import Testing
@testable import Analysis

@Suite struct VerdictTests {
    @Test func vocabularyMatchesTheDesign() {
        #expect(Verdict.allCases.map(\.rawValue) == ["reachable", "rst-injection", "drop", "blockpage", "throttle", "icmp-unreachable", "host-down", "unreachable"])
        #expect(!Verdict.hostDown.isBlocking && !Verdict.reachable.isBlocking && Verdict.drop.isBlocking)
        #expect(Confidence.low < .medium && Confidence.medium < .high)
    }
}

/// A silence heard through a capture that dropped packets says so.
@Suite struct CaptureDropTests {
    @Test func anUnansweredTargetBehindALossyCaptureSaysSo() throws {
        let target = try #require(IPAddress("198.18.20.9"))
        var input = InvestigationInput(target: target, port: 80, echoReplies: [], trials: [], controlTraces: [])
        let clean = Investigation.analyse(input)
        #expect(clean.verdict == .unreachable && !clean.summary.contains("capture dropped"))
        input.captureDropped = 7
        let lossy = Investigation.analyse(input)
        #expect(lossy.verdict == clean.verdict)
        #expect(lossy.summary.contains("The capture dropped 7 packets while measuring"), "\(lossy.summary)")
    }
}
