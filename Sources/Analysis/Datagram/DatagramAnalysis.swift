import Packets
import Probing

/// UDP probes (a datagram kind's requests, `ProbeKinds.datagram`) to one port and what answered them.
public struct DatagramTrial: Sendable {
    public var probe: Probe
    public var answers: [Answer]

    public init(probe: Probe, answers: [Answer]) {
        self.probe = probe
        self.answers = answers
    }
}

/// Everything measured about one UDP port.
public struct DatagramInput: Sendable {
    public var target: IPAddress
    public var port: UInt16
    public var echoReplies: [Answer]
    public var trials: [DatagramTrial]
    /// Traces towards the target, for where silence begins.
    public var traces: [TraceRun]
    /// The reference echoes with whatever answered them (replies, or routers' errors).
    public var echoProbes: [(probe: Probe, answers: [Answer])] = []
    /// What other vantages saw of the target.
    public var controls: [VantageControl] = []
    /// False when the late-unreachable wait was cut (as `InvestigationInput`'s).
    public var waitedForLateUnreachable = true

    public init(target: IPAddress, port: UInt16, echoReplies: [Answer], trials: [DatagramTrial], traces: [TraceRun] = []) {
        self.target = target
        self.port = port
        self.echoReplies = echoReplies
        self.trials = trials
        self.traces = traces
    }
}

/// The verdict on a UDP port. A UDP service may ignore a request it does not like, so
/// silence is a drop of low confidence; an answer from the host, even a port unreachable,
/// shows the path is open.
public enum DatagramAnalysis {
    public static func analyse(_ input: DatagramInput) -> Investigation {
        let profile = GenuineProfile(target: input.target, echoReplies: input.echoReplies, trials: [])
        let all = input.trials.flatMap { t in t.answers.map { (t.probe, $0) } }
        let labels = input.trials.map(\.probe.label)
        var out = Investigation(target: input.target, port: input.port, verdict: .reachable, summary: "", trigger: .none,
                                results: [], location: nil, injector: nil, genuine: profile, evidence: [],
                                path: input.traces.first, testPath: nil, answers: [], payload: nil, payloadSteps: nil)
        out.layersTested = ["icmp", "udp"]
        out.answers = all.map { probe, a in
            AnswerSummary(probe: probe.label, from: a.fingerprint.source, ttl: a.fingerprint.ttl, kind: a.kind.rawValue, forged: false)
        }
        let fromHost = all.filter { $0.1.fingerprint.source == input.target }
        let service = Set(ProbeKinds.serviceAnswerKinds)
        if let (probe, a) = fromHost.first(where: { service.contains($0.1.kind) }) {
            out.summary = "\(input.target) port \(input.port)/udp is reachable: the \(probe.label) drew the service's answer (\(a.kind.rawValue), TTL \(a.fingerprint.ttl))."
            out.evidence = [EvidenceItem(claim: "The host's \(a.kind.rawValue) to the \(probe.label).", answers: [a], probes: [probe])]
            return out
        }
        if let (probe, a) = fromHost.first(where: { $0.1.kind == .portUnreachable }) {
            out.summary = "\(input.target) port \(input.port)/udp is reachable but closed: the host itself answers with ICMP port unreachable."
            out.evidence = [EvidenceItem(claim: "The host's port unreachable to the \(probe.label).", answers: [a], probes: [probe])]
            return out
        }
        guard let echo = input.echoReplies.first(where: { $0.kind == .echoReply && $0.fingerprint.source == input.target }) else {
            // Nothing from the host at all: a router says why, a loop, or silence (not a block by itself).
            let j = Unanswered.judge(target: input.target, port: input.port, fullTTL: input.echoProbes + input.trials.map { ($0.probe, $0.answers) },
                                     traces: input.traces, controls: input.controls, blocked: labels, what: "no echo reply, no UDP answer",
                                     waited: input.waitedForLateUnreachable)
            out.verdict = j.verdict
            out.trigger = j.trigger
            out.summary = j.summary
            out.evidence = j.evidence
            out.location = j.location
            if out.verdict == .icmpUnreachable { out.trigger.kind = "port" }
            return out
        }
        let refusals = all.filter { $0.1.kind == .unreachable || $0.1.kind == .portUnreachable }
        if let (probe, a) = refusals.first {
            let code = a.fingerprint.icmpCode ?? 0
            let from = a.fingerprint.source
            let prohibited = Unanswered.isProhibited(a, target: input.target)
            out.verdict = prohibited ? .icmpUnreachable : .hostDown
            out.trigger = prohibited ? Trigger(kind: "port", detail: "\(from) refuses UDP to port \(input.port).", blocked: labels) : .none
            out.summary = prohibited
                ? "\(from) refuses UDP to \(input.target) port \(input.port) with ICMP destination unreachable code \(code) (administratively prohibited)."
                : "\(input.target) is not reachable: \(from) reports it unreachable (ICMP code \(code)). A host that is down is not censorship."
            out.evidence = [EvidenceItem(claim: "ICMP destination unreachable code \(code) from \(from) to the \(probe.label).", answers: [a], probes: [probe])]
            return out
        }
        out.verdict = .drop
        out.location = PathLocalisation.silence(input.traces)
        out.trigger = Trigger(kind: "port", detail: "UDP to port \(input.port) draws nothing while the host answers ICMP echo.",
                              blocked: labels, passed: ["ICMP echo"])
        out.summary = "UDP to \(input.target) port \(input.port) draws no answer while the host answers ICMP echo: dropped on the way, or a service that ignores the request (confidence low)."
        out.evidence = [EvidenceItem(claim: "The host answers ICMP echo (TTL \(echo.fingerprint.ttl)); no \(labels.first ?? "UDP probe") was answered.",
                                     answers: [echo])]
        return out
    }
}

extension IPAddress {
    var isIPv6: Bool { if case .v6 = self { return true }; return false }
}
