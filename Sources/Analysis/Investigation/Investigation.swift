import Packets
import Probing

/// Everything an investigation measured, ready for analysis. Built by the live runner
/// or from recorded packets alike.
public struct InvestigationInput: Sendable {
    public var target: IPAddress
    public var port: UInt16
    /// Answers to the reference ICMP echoes.
    public var echoReplies: [Answer]
    /// SYN trials at full TTL, on `port` and on a second port.
    public var trials: [SYNTrial]
    /// Traces with shapes that pass (and ICMP): the path as control probes see it.
    public var controlTraces: [TraceRun]
    /// A trace with a blocked SYN shape, when one was found.
    public var triggerTrace: TraceRun?
    /// The handshake + TTL-limited payload sweep, and what its test payload names
    /// ("HTTP Host blocked.example").
    public var payloadSteps: [PayloadStep]?
    public var payloadName: String = "test"
    /// The reference echoes with what answered them (echo replies, and errors from routers:
    /// unreachable, time exceeded at full TTL).
    public var echoProbes: [(probe: Probe, answers: [Answer])] = []
    /// What other vantages saw of the target (the agent, a campaign's other vantages).
    public var controls: [VantageControl] = []
    /// False when a silent target was given up without waiting for a router's late
    /// unreachable (a campaign whose other targets answer: `Docs/verdicts.md`).
    public var waitedForLateUnreachable = true
    /// Packets the capture dropped in the runs kept (after a run with drops was measured again).
    public var captureDropped = 0
    /// The control request at full TTL around the sweep (residual blocking).
    public var residual: ResidualInput?
    /// The page fetched at full TTL (interception).
    public var page: PageInput?
    /// The bulk transfers (throttling).
    public var transfer: TransferInput?

    public init(target: IPAddress, port: UInt16, echoReplies: [Answer], trials: [SYNTrial],
                controlTraces: [TraceRun], triggerTrace: TraceRun? = nil) {
        self.target = target
        self.port = port
        self.echoReplies = echoReplies
        self.trials = trials
        self.controlTraces = controlTraces
        self.triggerTrace = triggerTrace
    }
}

/// The conclusion: verdict, trigger, location, injector, and the evidence.
public struct Investigation: Sendable {
    public var target: IPAddress
    public var port: UInt16
    public var verdict: Verdict
    public var summary: String
    public var trigger: Trigger
    public var results: [SYNTrialResult]
    public var location: Location?
    public var injector: InjectorProfile?
    public var genuine: GenuineProfile
    public var evidence: [EvidenceItem]
    /// The path control probes saw, and the path trigger probes saw.
    public var path: TraceRun?
    public var testPath: TraceRun?
    public var answers: [AnswerSummary]
    /// The payload sweep's conclusion, when one ran.
    public var payload: PayloadFinding?
    public var payloadSteps: [PayloadStep]?
    /// The layers tested: "icmp" and "tcp", and "http" or "tls" when a payload was sent.
    public var layersTested: [String] = []
    /// Residual blocking seen after the test, interception of the handshake, and the
    /// bulk transfers' judgement, when measured.
    public var residual: ResidualFinding? = nil
    public var interception: InterceptionFinding? = nil
    public var throttle: ThrottleFinding? = nil
}

extension Investigation {
    /// The shapes to trace after the full-TTL trials: the smallest blocked natural variant
    /// (else any blocked shape) and a passing one (mss first, as traceroute -T -O syn).
    public static func shapesToTrace(_ results: [SYNTrialResult], port: UInt16) -> (blocked: SYNTrialShape?, passing: SYNTrialShape?) {
        let main = results.filter { $0.trial.port == port }
        let blocked = main.filter(\.blocked).sorted { ($0.trial.shape.padded ? 1 : 0, $0.trial.size) < ($1.trial.shape.padded ? 1 : 0, $1.trial.size) }
        let passing = main.filter { !$0.blocked }.sorted {
            ($0.trial.shape.name == "mss" ? 0 : 1, $0.trial.shape.padded ? 1 : 0) < ($1.trial.shape.name == "mss" ? 0 : 1, $1.trial.shape.padded ? 1 : 0)
        }
        return (blocked.first?.trial.shape, passing.first?.trial.shape)
    }

    /// Analyses the SYN level (and an interception of the handshake), then the payload
    /// sweep and residual blocking when the SYNs pass, then the bulk transfers.
    public static func analyse(_ input: InvestigationInput) -> Investigation {
        var out = analyseSYNs(input)
        out.layersTested = ["icmp", "tcp"]
        if out.applyInterception(input) { return out }
        if let steps = input.payloadSteps {
            out.layersTested.append(input.payloadName.hasPrefix("TLS") ? "tls" : "http")
            out.applyPayload(steps, input)
        } else if out.verdict == .reachable {
            let ports = Set(input.trials.map(\.port)).sorted().map(String.init).joined(separator: " and ")
            out.summary += " Tested: ICMP echo and TCP handshakes (SYNs of every shape to port\(ports.contains(" ") ? "s" : "") \(ports)); "
                + "not tested: the application layer (no HTTP request or TLS ClientHello was sent: give --host or --sni)."
        }
        if let transfer = input.transfer { out.applyTransfer(transfer, input) }
        return out
    }

    static func analyseSYNs(_ input: InvestigationInput) -> Investigation {
        let profile = GenuineProfile(target: input.target, echoReplies: input.echoReplies, trials: input.trials)
        let results = SYNAnalysis.classify(input.trials, profile: profile)
        let main = results.filter { $0.trial.port == input.port }
        let trigger = SYNAnalysis.trigger(results, port: input.port)
        let pathTrace = PathLocalisation.bestControl(input.controlTraces, target: input.target, profile: profile)
        var out = Investigation(target: input.target, port: input.port, verdict: .reachable, summary: "", trigger: trigger,
                                results: results, location: nil, injector: nil, genuine: profile, evidence: [],
                                path: pathTrace, testPath: input.triggerTrace, answers: [], payload: nil, payloadSteps: nil)
        out.answers = summaries(results)
        let blocked = main.filter(\.blocked)
        let forged = blocked.flatMap(\.forged)
        let anythingFromHost = !profile.fingerprints.isEmpty
            || results.contains { if case .genuine = $0.outcome { return true }; return false }

        if blocked.isEmpty, main.contains(where: { if case .genuine = $0.outcome { return true }; return false }) {
            let kinds = Set(main.map(\.outcome.resultWord))
            out.verdict = .reachable
            out.summary = "\(input.target) port \(input.port) is reachable: every SYN shape drew the host's own answer"
                + (kinds == ["rst"] ? " (a RST+ACK: the port is closed, but the host answers)." : ".")
            // RSTs alone, and nothing else known to come from the host: nothing to check them against.
            if kinds == ["rst"], profile.fingerprints.isEmpty {
                out.summary += " But nothing else came from the host (no echo reply, no SYN-ACK), so these RSTs could not be checked against its own packets: a device forging RSTs in its name from the same distance would look the same."
            }
            out.evidence = main.prefix(1).map { r in
                EvidenceItem(claim: "The host answered a \(r.trial.shape.name) SYN itself: " + (r.trial.answers.first.map {
                                 "\($0.kind.rawValue) with TTL \($0.fingerprint.ttl)" + (profile.fingerprints.isEmpty ? ", with no other packet of the host's to compare it with." : ", as its other packets.")
                             } ?? ""),
                             answers: Array(r.trial.answers.prefix(1)), probes: [r.trial.probe])
            }
            return out
        }

        // Nothing ever came from the host: a router says why, a loop, or silence.
        if !anythingFromHost, forged.isEmpty {
            let fullTTL = [(probe: Probe, answers: [Answer])](input.echoProbes) + results.map { ($0.trial.probe, $0.trial.answers) }
            let j = Unanswered.judge(target: input.target, port: input.port, fullTTL: fullTTL, traces: input.controlTraces + [input.triggerTrace].compactMap { $0 },
                                     controls: input.controls, blocked: main.map { $0.label(mainPort: input.port) },
                                     what: "no echo reply, no SYN-ACK or RST on any port tried", waited: input.waitedForLateUnreachable)
            out.verdict = j.verdict
            out.trigger = j.trigger
            out.summary = j.summary
            out.evidence = j.evidence
            out.location = j.location
            if input.captureDropped > 0 {
                // Seen at 64 items in parallel under CPU load: a clean host judged unreachable.
                out.noteCaptureDrops(input.captureDropped, "the silence may be answers lost on this machine, not on the path.")
            }
            // Not a block: no trial is marked blocked (a router's host-unreachable refuses nothing).
            if !j.verdict.isBlocking {
                out.results = results.map { r in var r = r; r.blocked = false; return r }
            }
            return out
        }

        // Some SYNs blocked: how, and where.
        let onPathFull = blocked.contains { if case .forged(true) = $0.outcome { return true }; return false }
        var finding: PathLocalisation.Finding?
        if let t = input.triggerTrace {
            finding = PathLocalisation.locate(trigger: t, control: pathTrace, profile: profile,
                                              target: input.target, onPathAtFullTTL: onPathFull)
        }
        out.location = finding?.location
        let firstForged = blocked.first { !$0.forged.isEmpty }
        out.injector = PathLocalisation.injector(forged, traceForged: finding?.forged ?? [], reasons: firstForged?.forgeryReasons ?? [])
        if !forged.isEmpty {
            out.verdict = .rstInjection
        } else if blocked.contains(where: { if case .unreachable = $0.outcome { return true }; return false }) {
            out.verdict = .icmpUnreachable
        } else {
            out.verdict = .drop
        }
        out.summary = summary(out, blocked: blocked)
        out.evidence = evidence(out, blocked: blocked, passed: main.filter { !$0.blocked }, finding: finding)
        if out.verdict == .drop, input.captureDropped > 0 {
            // A silence heard through a lossy capture may be an answer lost here, not on the path.
            out.noteCaptureDrops(input.captureDropped, "a silence may be an answer lost on this machine (confidence low).")
        } else if input.captureDropped > 0, out.location != nil {
            // The traces that place the device may miss answers the capture lost: a campaign
            // at 64 in parallel under load once placed a forged RST three hops too far.
            out.noteCaptureDrops(input.captureDropped, "the location rests on traces that may miss answers (confidence low).")
        }
        return out
    }

    static func summary(_ r: Investigation, blocked: [SYNTrialResult]) -> String {
        let how: String
        switch r.verdict {
        case .rstInjection: how = "answered by forged RSTs"
        case .icmpUnreachable: how = "refused with ICMP unreachable"
        default: how = "silently dropped"
        }
        var s = "SYNs to \(r.target) port \(r.port) are \(how). Trigger (\(r.trigger.kind)): \(r.trigger.detail)"
        if let l = r.location {
            s += " The device acts at TTL \(l.ttl)" + (l.address.map { " (\($0)" + (l.before.map { ", after \($0))" } ?? ")") } ?? "")
                + ", " + (l.onPath ? "on-path" : "in-path") + "."
        }
        if let i = r.injector {
            s += " Forged packets: TTL \(i.ttl)" + (i.ipID.map { ", IP ID \($0)" } ?? "") + ", flags \(i.flags ?? "?")"
                + (r.genuine.ttl.map { "; the host's own arrive with TTL \($0)." } ?? ".")
        }
        return s
    }

    static func evidence(_ r: Investigation, blocked: [SYNTrialResult], passed: [SYNTrialResult],
                         finding: PathLocalisation.Finding?) -> [EvidenceItem] {
        var items: [EvidenceItem] = []
        if let b = blocked.first(where: { !$0.forged.isEmpty }) {
            items.append(EvidenceItem(claim: "Forged answer to the \(b.trial.shape.name) SYN (\(b.trial.size) bytes): " + b.forgeryReasons.joined(separator: " "),
                                      answers: b.forged, probes: [b.trial.probe]))
        } else if let b = blocked.first {
            items.append(EvidenceItem(claim: "The \(b.trial.shape.name) SYN (\(b.trial.size) bytes) drew nothing.", probes: [b.trial.probe]))
        }
        if let p = passed.first(where: { if case .genuine = $0.outcome { return true }; return false }), let a = p.trial.answers.first {
            items.append(EvidenceItem(claim: "The \(p.trial.shape.name) SYN (\(p.trial.size) bytes) drew the host's own \(a.kind.rawValue) (TTL \(a.fingerprint.ttl)).",
                                      answers: [a], probes: [p.trial.probe]))
        }
        if let l = r.location, let f = finding {
            if let forged = f.forged.first(where: { $0.ttl == l.ttl }) {
                items.append(EvidenceItem(claim: "Limited to TTL \(l.ttl), the trigger SYN already drew a forged answer: the device is \(l.ttl) hops away.",
                                          answers: [forged.answer]))
            }
            if let control = r.path, let a = control.responses(at: l.ttl).first {
                items.append(EvidenceItem(claim: "At TTL \(l.ttl) a control probe draws \(a.kind.rawValue) from \(a.fingerprint.source).", answers: [a]))
            }
        }
        return items
    }

    static func summaries(_ results: [SYNTrialResult]) -> [AnswerSummary] {
        var out: [AnswerSummary] = []
        for r in results {
            for a in r.trial.answers {
                out.append(AnswerSummary(probe: r.trial.probe.label, from: a.fingerprint.source, ttl: a.fingerprint.ttl,
                                         kind: a.kind.rawValue, forged: r.forged.contains(a)))
            }
        }
        return out
    }
}

extension Investigation {
    /// Capture drops left in the runs kept: the location (if any) drops to low confidence and
    /// the summary says what the lost packets may have been.
    mutating func noteCaptureDrops(_ dropped: Int, _ consequence: String) {
        location?.confidence = .low
        summary += " The capture dropped \(dropped) packets while measuring, even when measured again: " + consequence
    }
}
