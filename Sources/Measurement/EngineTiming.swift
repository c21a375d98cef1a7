import Analysis
import Packets
import ProbeSession
import Probing

extension Engine {
    /// How long a run waits after its last probe, and whether a target still silent then is
    /// given up instead of waited on for a router's late unreachable (Docs/verdicts.md, "How
    /// long a run waits"). The wait is `WaitRule` on the slowest round trip known: the item's
    /// own answers so far, and the campaign's for the target's prefix (else any of the
    /// vantage's targets); with none known, the network's whole timeout.
    func runWait(_ state: EngineState) -> (timeout: Duration, cutsSilence: Bool) {
        let shared = timing?.estimate(for: state.item.address)
        let rtt = [PathTiming.slowest(state.answers.map(\.answer)), shared?.milliseconds].compactMap { $0 }.max()
        let timeout = WaitRule.timeout(rttMilliseconds: rtt, cap: network.maximumWait)
        // Silence is given up early only where a late unreachable cannot turn the verdict into
        // or out of a block: no other vantage's control (with one, silence is a drop), other
        // targets of the vantage answer, and none of the prefix's targets was reported down late.
        let cuts = network.remeasures && shared != nil && state.controls.isEmpty
            && !(timing?.lateUnreachables(near: state.item.address) ?? true)
        return (timeout, cuts)
    }

    /// Why a run cannot stand and is measured again, nil when it stands: the capture dropped
    /// packets (an answer may be among them), probes were not sent, or it ended unsettled
    /// after a shortened wait with a full-TTL probe (`singles`) unanswered while the host
    /// answered others, so that its silence would be judged a block: a block from silence
    /// rests on the whole timeout.
    /// `heardBefore`: the host answered an earlier run of the item. A batch whose every
    /// probe went unanswered would otherwise stand on a shortened wait: under load (a
    /// campaign at 64 in parallel on two cores) answers came later than 150 ms and clean
    /// targets were judged `drop`.
    func remeasureReason(_ result: CorrelatedRunResult, timeout: Duration, destination: IPAddress, singles: [Int],
                         heardBefore: Bool = false) -> String? {
        guard network.remeasures else { return nil }
        let s = result.statistics
        if s.captureDropped > 0 { return "the capture dropped \(s.captureDropped) packets" }
        if s.sendErrors > 0 { return "\(s.sendErrors) probes were not sent" }
        guard !s.endedEarly, !s.fullWait, timeout < network.maximumWait else { return nil }
        let answers = result.probes.flatMap { result.answers(for: $0.index) }
        if singles.contains(where: { result.answers(for: $0).isEmpty }),
           heardBefore || answers.contains(where: { Self.fromHost($0, destination) }) {
            return "some probes drew the host's answer and others nothing within a shortened wait"
        }
        if let rtt = PathTiming.slowest(answers), WaitRule.timeout(rttMilliseconds: rtt, cap: network.maximumWait) > timeout {
            return "answers took up to \(Int(rtt)) ms, longer than the wait assumed"
        }
        return nil
    }

    /// Runs `probes`, and again with the network's whole timeout while a run cannot stand
    /// (`remeasureReason`), at most `attempts` times in all; a run measured again has its
    /// evidence part dropped, so the evidence holds the runs the verdict rests on. Capture drops in the run kept are counted in the
    /// state (the record's `capture_dropped`). `quiet` applies unless the wait cuts silence.
    func measuredRun(_ probes: [Probe], singles: [Int] = [], part: String, state: inout EngineState, bundle: inout EvidenceBundle?,
                     waitsForLateUnreachable: Bool, wholeWait: Bool = false, settled: @escaping (Correlator) -> Bool,
                     quiet: @escaping (Correlator) -> Bool) throws -> CorrelatedRunResult {
        let wait = runWait(state)
        var timeout = wholeWait ? network.maximumWait : wait.timeout
        let destination = state.item.address
        let heardBefore = state.answers.contains { Self.fromHost($0.answer, destination) }
        for attempt in 1...Self.attempts {
            let quietCheck = waitsForLateUnreachable && !wait.cutsSilence ? quiet : nil
            let result = try network.run(probes, destination: destination, evidence: bundle?.part(part), timeout: timeout,
                                         settled: settled, quiet: quietCheck)
            state.sent += result.statistics.sent
            timing?.learn(probes.flatMap { result.answers(for: $0.index) }, destination: destination)
            if attempt < Self.attempts,
               remeasureReason(result, timeout: timeout, destination: destination, singles: singles, heardBefore: heardBefore) != nil {
                bundle?.dropLastPart()
                state.remeasured += 1
                timeout = network.maximumWait
                try checkInterrupt()
                continue
            }
            state.captureDropped += Int(result.statistics.captureDropped)
            if waitsForLateUnreachable && wait.cutsSilence && !result.statistics.waitedForSilence && quiet(result.correlator) {
                state.waitCut = true
            }
            return result
        }
        preconditionFailure("the loop returns on its last attempt")
    }

    /// An answer from the host itself (or forged in its name), not a router's time exceeded.
    static func fromHost(_ a: Answer, _ destination: IPAddress) -> Bool {
        a.fingerprint.source == destination && a.kind != .timeExceeded
    }

    /// Runs of one batch at most: capture drops under a load spike usually clear on the second.
    static let attempts = 3
}
