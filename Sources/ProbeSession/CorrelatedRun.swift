import Capture
import Packets
import Probing

/// A run whose captured packets are attributed to its probes as they arrive.
public struct CorrelatedRunResult: Sendable {
    public var probes: [Probe]
    public var correlator: Correlator
    public var statistics: RunStatistics

    public init(probes: [Probe], correlator: Correlator, statistics: RunStatistics) {
        self.probes = probes
        self.correlator = correlator
        self.statistics = statistics
    }

    public func answers(for index: Int) -> [Answer] { correlator.answers(for: index) }
}

/// Glue between the shell (`ProbeRun`: sends and captures) and the pure core
/// (`Correlator`): every captured packet is observed once, written to the evidence file
/// with a comment naming its probe, and may end the wait early.
public enum CorrelatedRun {
    /// `settled` is asked after each new answer; returning true stops waiting. `quiet` is
    /// asked when the timeout ends: true waits on up to the configuration's `silenceTimeout`.
    public static func run(_ probes: [Probe], configuration: RunConfiguration, evidence: EvidenceFile? = nil,
                           settled: ((Correlator) -> Bool)? = nil,
                           quiet: ((Correlator) -> Bool)? = nil) throws(ProbeSessionError) -> CorrelatedRunResult {
        var correlator = Correlator(probes: probes)
        var evidenceError: ProbeSessionError?
        let statistics = try ProbeRun.run(
            packets: probes.map(\.bytes), configuration: configuration,
            onSent: { index, time in correlator.noteSent(index, at: time) },
            onPacket: { captured in
                let observation = correlator.observe(captured)
                if let evidence, evidenceError == nil {
                    do throws(ProbeSessionError) {
                        try evidence.write(captured, comment: comment(observation, probes))
                    } catch {
                        evidenceError = error
                    }
                }
                if case .answer = observation, let settled { return settled(correlator) }
                return false
            },
            quiet: quiet.map { q in { q(correlator) } })
        if let evidenceError { throw evidenceError }
        return CorrelatedRunResult(probes: probes, correlator: correlator, statistics: statistics)
    }

    /// The pcapng comment for a captured packet: which probe it is or answers.
    public static func comment(_ observation: Correlator.Observation, _ probes: [Probe]) -> String? {
        switch observation {
        case .sent(let i):
            return "probe \(i) sent: \(probes.indices.contains(i) ? probes[i].label : "?")"
        case .answer(let a):
            return "answer to probe \(a.probeIndex) (\(a.kind.rawValue), matched by \(a.basis.rawValue))"
        case .duplicate(let i):
            return "duplicate answer to probe \(i)"
        case .ambiguous(let candidates):
            return "ambiguous: could answer probes \(candidates.map(String.init).joined(separator: ", "))"
        case .unrelated:
            return nil
        }
    }
}
