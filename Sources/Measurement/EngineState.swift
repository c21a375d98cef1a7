import Analysis
import Campaigns
import Packets
import ProbeSession
import Probing

/// What one item's runs have gathered so far, and the judgements steps are conditioned on.
struct EngineState {
    let item: MeasurementItem
    var ids: IdentifierSource
    var ports: SourcePortCounter
    var echoes: [Answer] = []
    /// The echoes with what answered them, routers' errors included.
    var echoProbes: [(probe: Probe, answers: [Answer])] = []
    /// The silent echoes were sent again (`Engine.confirmSilentTrials`).
    var echoesConfirmed = false
    /// What other vantages saw of the target.
    var controls: [VantageControl] = []
    var trials: [SYNTrial] = []
    var datagrams: [DatagramTrial] = []
    var controlTraces: [TraceRun] = []
    var triggerTrace: TraceRun?
    /// Traces already run (role, method, shape name, max TTL): a step that would repeat one is skipped.
    var traced: Set<String> = []
    /// Each trace's plan, by role and name: a retry of missed hops keeps its flow.
    var tracePlans: [String: TracePlan] = [:]

    static func planKey(trigger: Bool, name: String) -> String { (trigger ? "trigger " : "control ") + name }
    var payloadSteps: [PayloadStep]?
    var payloadName = "test"
    var sweep: (test: PayloadTrace.Payload, control: PayloadTrace.Payload)?
    /// The full-TTL connections: controls around the sweep, the fetched page, the transfers.
    var residual: ResidualInput?
    var page: PageInput?
    var transfer: TransferInput?
    var answers: [(probe: Probe, answer: Answer)] = []
    var sent = 0
    /// True once a silent target was given up without the late-unreachable wait (`Engine.runWait`).
    var waitCut = false
    /// Packets the capture dropped in the runs kept, and runs measured again.
    var captureDropped = 0
    var remeasured = 0

    init(item: MeasurementItem, ids: IdentifierSource, controls: [VantageControl] = []) {
        self.item = item
        self.controls = controls
        var ids = ids
        ports = SourcePortCounter(first: ids.sourcePort())
        self.ids = ids
    }

    /// Whether a step belongs to this item's transport.
    func applies(_ step: ScriptStep) -> Bool { Self.applies(step, isTCP: item.isTCP) }

    static func applies(_ step: ScriptStep, isTCP: Bool) -> Bool {
        switch step {
        case .echo: return true
        case .syn, .payload, .fetch, .transfer: return isTCP
        case .datagram: return !isTCP
        case .trace(let t): return t.method == .icmp || (t.method == .tcp) == isTCP
        }
    }

    func holds(_ condition: StepCondition) -> Bool {
        switch condition {
        case .always: return true
        case .blocked:
            // Total silence is not called a block, but where it begins is what another
            // vantage's measurement needs to locate it: traced when nothing has been yet.
            let verdict = analyse().verdict
            return verdict.isBlocking || (verdict == .unreachable && controlTraces.isEmpty && triggerTrace == nil)
        case .passed:
            let main = synResults().filter { $0.trial.port == item.port.number }
            if let linux = main.first(where: { $0.trial.shape.name == "linux" }) { return !linux.blocked }
            return analyse().verdict == .reachable
        case .intercepted:
            return Interception.synAcks(synResults(), port: item.port.number) != nil
        }
    }

    func synResults() -> [SYNTrialResult] {
        SYNAnalysis.classify(trials, profile: GenuineProfile(target: item.address, echoReplies: echoes, trials: trials))
    }

    /// The verdict from everything gathered so far.
    func analyse() -> Investigation {
        if item.isTCP {
            var input = InvestigationInput(target: item.address, port: item.port.number, echoReplies: echoes, trials: trials,
                                           controlTraces: controlTraces, triggerTrace: triggerTrace)
            input.payloadSteps = payloadSteps
            input.payloadName = payloadName
            input.echoProbes = echoProbes
            input.controls = controls
            input.residual = residual
            input.page = page
            input.transfer = transfer
            input.waitedForLateUnreachable = !waitCut
            input.captureDropped = captureDropped
            return Investigation.analyse(input)
        }
        var input = DatagramInput(target: item.address, port: item.port.number, echoReplies: echoes, trials: datagrams, traces: controlTraces)
        input.echoProbes = echoProbes
        input.controls = controls
        input.waitedForLateUnreachable = !waitCut
        return DatagramAnalysis.analyse(input)
    }

    /// The shape and port of a TCP trace step, nil when it has none to trace (`passing` with
    /// every shape blocked on every port): fixed, the smallest blocked shape found so far (else
    /// the first trial's), or a passing one — on the second port when nothing passes on the
    /// item's own (a port-wide block: the other port's path is the control).
    func traceShape(_ t: TraceStep) -> (shape: TCPProbeShape, name: String, port: UInt16)? {
        let port = item.port.number
        let mss = (TCPProbeShape.variant(.mss, ipv6: item.isIPv6), "mss", port)
        switch t.shape {
        case .variant(let v)?: return (.variant(v, ipv6: item.isIPv6), v.rawValue, port)
        case .blocked?:
            if let blocked = Investigation.shapesToTrace(synResults(), port: port).blocked { return (blocked.shape, blocked.name, port) }
            if let first = trials.first { return (first.shape.shape, first.shape.name, port) }
            return mss
        case .passing?:
            let results = synResults()
            if let passing = Investigation.shapesToTrace(results, port: port).passing { return (passing.shape, passing.name, port) }
            guard let other = results.first(where: { $0.trial.port != port })?.trial.port,
                  let passing = Investigation.shapesToTrace(results, port: other).passing else { return nil }
            return (passing.shape, "\(passing.name) port \(other)", other)
        case nil: return mss
        }
    }

    /// Control traces in the order the analysis reads them: TCP traces whose shape passed
    /// at full TTL first (the location is read against them), other TCP traces, then the rest.
    mutating func orderControls() {
        let passed = Set(synResults().filter { $0.trial.port == item.port.number && !$0.blocked }.map { "tcp " + $0.trial.shape.name })
        func rank(_ t: TraceRun) -> Int { passed.contains(t.name) ? 0 : t.name.hasPrefix("tcp") ? 1 : 2 }
        let ranked = controlTraces.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }
        controlTraces = ranked.map(\.element)
    }
}
