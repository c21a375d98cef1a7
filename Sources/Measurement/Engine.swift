import Analysis
import Campaigns
import Foundation
import Packets
import ProbeSession
import Probing
import Records

/// Runs an experiment script for one target: the measurement of `investigate`, of every
/// campaign item and of the agent alike. Consecutive steps with the same condition share
/// one paced run; a conditional step waits for the analysis of what came before; a payload
/// step is a sweep of kernel connections. Everything goes through `network`, so the same
/// code measures the live network or replays a recorded one.
public struct Engine {
    public var script: ExperimentScript
    public var network: any ProbeNetwork
    /// Our address towards the target (the route's source): the probes' source.
    public var source: IPAddress
    /// Replaces every trace's and sweep's `max_ttl` (`investigate --max-ttl`).
    public var maxTTL: Int?
    /// Replaces every payload step's control name (`investigate --control`).
    public var control: String?
    /// Replaces every transfer step's path (`investigate --object`).
    public var object: String?
    /// Whether to keep the run's packets in a pcapng, and where (nil: a temporary file
    /// named after the target and time).
    public var evidence: Bool
    public var evidencePath: String?
    public var softwareVersion: String
    /// What other vantages saw of the target (the agent, a campaign's other vantages):
    /// only these turn total silence into a block.
    public var controls: [VantageControl] = []
    /// A campaign's shared knowledge of the routers on its paths (nil: this item's only).
    public var knowledge: PathKnowledge?
    /// A campaign's round trips per prefix (nil: the item's own answers only): how long a
    /// run waits before the item has answers of its own, and whether a silent target is
    /// given up without the late-unreachable wait (`runWait`).
    public var timing: PathTiming?
    /// Told when a phase starts: what it sends, and how many probes went out before it.
    public var progress: (@Sendable (EngineProgress) -> Void)?
    /// On an interrupt, write the evidence gathered so far instead of discarding it
    /// (`investigate`; a campaign measures the item again on resume).
    public var keepsPartialEvidence = false

    public init(script: ExperimentScript, network: any ProbeNetwork, source: IPAddress, maxTTL: Int? = nil,
                control: String? = nil, object: String? = nil, evidence: Bool = false, evidencePath: String? = nil,
                softwareVersion: String) {
        self.object = object
        self.script = script
        self.network = network
        self.source = source
        self.maxTTL = maxTTL
        self.control = control
        self.evidence = evidence
        self.evidencePath = evidencePath
        self.softwareVersion = softwareVersion
    }

    /// The user stopped the run: the item is left unmeasured.
    public struct Interrupted: Error {
        /// Probes sent before the stop.
        public var probesSent = 0
        /// The evidence gathered so far, when `keepsPartialEvidence` kept it.
        public var evidenceFile: String?
    }

    /// What one item's measurement gave.
    public struct Outcome {
        public var item: MeasurementItem
        public var result: Investigation
        /// The report context (payloads, metadata, evidence frames) of `result`.
        public var context: Investigation.ReportContext
        /// The result as its record: what `investigate --json` prints and the store keeps.
        public var record: InvestigationRecord
        public var answers: [(probe: Probe, answer: Answer)]
        public var probesSent: Int
        /// The seed of the item's identifiers: the same seed sends the same probes.
        public var seed: UInt64
        public var evidenceFile: String?
    }

    /// Measures `item`; identifiers come from `ids` (seed it to repeat a run exactly).
    /// Throws `Interrupted` when the network reports an interrupt between phases.
    public func measure(_ item: MeasurementItem, ids: IdentifierSource = .random()) throws -> Outcome {
        var bundle: EvidenceBundle? = evidence
            ? try EvidenceBundle(path: evidencePath, target: item.address, port: item.port.number, started: Date()) : nil
        defer { bundle?.discard() }
        var sent = 0
        do {
            return try measure(item, ids: ids, bundle: &bundle, sent: &sent)
        } catch is Interrupted {
            var stop = Interrupted(probesSent: sent)
            if keepsPartialEvidence, let b = bundle, !b.parts.isEmpty, (try? b.merge()) != nil { stop.evidenceFile = b.path }
            throw stop
        }
    }

    private func measure(_ item: MeasurementItem, ids: IdentifierSource, bundle: inout EvidenceBundle?, sent: inout Int) throws -> Outcome {
        let started = Date()
        let clock = ContinuousClock.now
        var state = EngineState(item: item, ids: ids, controls: controls)
        defer { sent = state.sent }
        var batch: [ScriptStep] = []
        var batchCondition: StepCondition = .always
        var measured = false
        func flush() throws {
            guard !batch.isEmpty else { return }
            defer { batch = [] }
            try checkInterrupt()
            // A conditional step's condition is read against the host's own packets: a lost
            // echo reply first, or a forged RST passes for the host's and nothing follows.
            if batchCondition != .always, measured, !Self.silentEchoes(state).isEmpty {
                try confirmSilentTrials(0..<0, echoesOnly: true, state: &state, bundle: &bundle)
            }
            guard state.holds(batchCondition) else { return }
            // The gap separates a target's runs; none before the first.
            if measured && script.pacing.targetGapMilliseconds > 0 {
                Thread.sleep(forTimeInterval: Double(script.pacing.targetGapMilliseconds) / 1000)
            }
            progress?(EngineProgress(phase: EngineProgress.name(batch), probesSent: state.sent))
            try runBatch(batch, state: &state, bundle: &bundle)
            measured = true
            try checkInterrupt()
        }
        for step in script.steps where state.applies(step) {
            if step.makesConnections {
                try flush()
                try checkInterrupt()
                if step.condition != .always, measured, !Self.silentEchoes(state).isEmpty {
                    try confirmSilentTrials(0..<0, echoesOnly: true, state: &state, bundle: &bundle)
                }
                if state.holds(step.condition) {
                    progress?(EngineProgress(phase: EngineProgress.name([step]), probesSent: state.sent))
                    try connections(step, state: &state, bundle: &bundle)
                    try checkInterrupt()
                }
                continue
            }
            if step.condition != batchCondition { try flush() }
            batchCondition = step.condition
            batch.append(step)
        }
        try flush()
        // Hops an ICMP rate limit erased: known from other items' traces, else asked again
        // (the location needs them); then what this item saw is shared.
        if let knowledge {
            for i in state.controlTraces.indices { knowledge.fill(&state.controlTraces[i]) }
            if state.triggerTrace != nil { knowledge.fill(&state.triggerTrace!) }
        }
        if measured {
            // After the traces, which need the routers' ICMP more (their rate limits).
            try confirmSilentTrials(0..<state.trials.count, state: &state, bundle: &bundle)
            progress?(EngineProgress(phase: "retries", probesSent: state.sent))
            try retryMissedHops(state: &state, bundle: &bundle)
        }
        let result = state.analyse()
        if let knowledge {
            // With the retries; the host's place only from a trace that drew its genuine answer.
            for t in state.controlTraces + [state.triggerTrace].compactMap({ $0 }) {
                knowledge.learn(t, hostReached: PathLocalisation.reachesHost(t, target: item.address, profile: result.genuine))
            }
        }
        let frames = try bundle?.merge() ?? FrameIndex()
        var context = Investigation.ReportContext()
        context.evidenceFile = bundle?.path
        context.frames = { frames.frames($0) }
        context.measurementStartTime = utcText(started, format: "yyyy-MM-dd HH:mm:ss")   // OONI's format
        let elapsed = (ContinuousClock.now - clock).components
        context.runtimeSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        context.vantage = source
        context.softwareVersion = softwareVersion
        context.testRequest = state.sweep?.test.record
        context.controlRequest = state.sweep?.control.record
        context.run = InvestigationRecord.RunKeys(transport: item.port.transport.rawValue, name: item.name, script: script.name,
                                                  seed: Int(truncatingIfNeeded: ids.seed), captureDropped: state.captureDropped,
                                                  remeasured: state.remeasured)
        context.payloadSweepRequested = state.payloadSteps != nil
        return Outcome(item: item, result: result, context: context, record: result.record(context), answers: state.answers,
                       probesSent: state.sent, seed: ids.seed, evidenceFile: bundle?.path)
    }

    func checkInterrupt() throws {
        if network.interrupted { throw Interrupted() }
    }

    /// The largest TTL of a step, after the override.
    func ttlLimit(_ stepMax: Int) -> Int { maxTTL ?? stepMax }
}
