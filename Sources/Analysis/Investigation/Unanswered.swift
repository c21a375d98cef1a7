import Packets
import Probing

/// What another vantage saw of the same target and port: the far-end agent, or another
/// vantage of a campaign. The only thing that turns total silence into a block.
public struct VantageControl: Hashable, Sendable {
    /// Who saw it: "the agent at 198.18.9.2", "vantage eu-1".
    public var vantage: String
    /// Whether the target answered there.
    public var reachable: Bool
    /// One sentence: what answered there.
    public var detail: String

    public init(vantage: String, reachable: Bool, detail: String) {
        self.vantage = vantage
        self.reachable = reachable
        self.detail = detail
    }
}

/// The judgement when nothing came from the host: a router that reports it unreachable, a
/// routing loop, or silence. Silence is not censorship by itself: from one vantage a
/// blackhole and a host that is down behind a silent gateway look the same, so silence is
/// `unreachable` (not a block) unless another vantage shows the target up.
public enum Unanswered {
    public struct Judgement: Sendable {
        public var verdict: Verdict
        public var trigger: Trigger
        public var summary: String
        public var evidence: [EvidenceItem]
        public var location: Location?
    }

    /// `fullTTL`: every probe sent with a full TTL (echoes, SYNs, datagrams) and its answers;
    /// `traces`: the traces run; `controls`: other vantages; `blocked`: the labels of the
    /// probes that drew nothing, for the trigger; `what`: "no SYN-ACK or RST on any port tried";
    /// `waited`: false when the wait for a router's late unreachable was cut (the summary says so).
    public static func judge(target: IPAddress, port: UInt16, fullTTL: [(probe: Probe, answers: [Answer])], traces: [TraceRun],
                             controls: [VantageControl], blocked: [String], what: String, waited: Bool = true) -> Judgement {
        let traced = traces.flatMap { t in t.probes.map { p in (probe: p, answers: t.answers[p.index] ?? []) } }
        let refusals = (fullTTL + traced).flatMap { p in
            p.answers.filter { ($0.kind == .unreachable || $0.kind == .portUnreachable) && $0.fingerprint.source != target }
                .map { (p.probe, $0) }
        }
        let prohibited = refusals.filter { isProhibited($0.1, target: target) }
        if let (probe, a) = prohibited.first ?? refusals.first {
            return refused(target: target, port: port, probe: probe, answer: a, prohibited: !prohibited.isEmpty,
                           traces: traces, blocked: blocked)
        }
        let looped = fullTTL.flatMap { p in p.answers.filter { $0.kind == .timeExceeded }.map { (p.probe, $0) } }
        if let (probe, a) = looped.first {
            var routers = loopRouters(traces)
            if routers.count < 2 {
                var seen = Set<IPAddress>()
                routers = looped.map(\.1.fingerprint.source).filter { seen.insert($0).inserted }
            }
            let between = routers.count >= 2 ? " between " + routers.map(\.description).joined(separator: " and ") : ""
            return Judgement(
                verdict: .unreachable,
                trigger: Trigger(kind: "none", detail: "Nothing was shown to be blocked: packets to \(target) loop\(between) until their TTL runs out."),
                summary: "\(target) is unreachable: packets to it loop\(between) until their TTL runs out (a probe sent with TTL \(probe.ttl) came back as time exceeded from \(a.fingerprint.source)). A routing loop is a fault of the network, not evidence of a block.",
                evidence: [EvidenceItem(claim: "The \(probe.label), sent with TTL \(probe.ttl), drew time exceeded from \(a.fingerprint.source): it went round a loop.",
                                        answers: [a], probes: [probe])]
                    + loopEvidence(traces, routers: routers),
                location: nil)
        }
        let silent = PathLocalisation.silence(traces)
        let after = silent.map { " after TTL \($0.ttl - 1)" + ($0.before.map { " (\($0))" } ?? "") } ?? ""
        if let control = controls.first(where: \.reachable) {
            var location = silent
            location?.confidence = .medium
            location?.reason = "Every trace goes silent\(after), ICMP included, while \(control.vantage) reaches the target: the packets are dropped from TTL \(silent?.ttl ?? 0) on."
            return Judgement(
                verdict: .drop,
                trigger: Trigger(kind: "address", detail: "Nothing sent to \(target) draws an answer (\(what)), while \(control.vantage) reaches it.",
                                 blocked: blocked, passed: ["\(control.vantage): \(control.detail)"]),
                summary: "Everything sent to \(target) vanishes\(after), ICMP included, while \(control.vantage) reaches it (\(control.detail)): blocked on the way.",
                evidence: traceEvidence(traces) + [EvidenceItem(claim: "\(control.vantage): \(control.detail)")],
                location: location)
        }
        let others = controls.map { "\($0.vantage): \($0.detail)" }
        return Judgement(
            verdict: .unreachable,
            trigger: Trigger(kind: "none", detail: "Nothing was shown to be blocked: nothing sent to \(target) draws an answer (\(what)), and no router says why.",
                             blocked: blocked, dimensions: others),
            summary: "\(target) is unreachable: nothing sent to it draws an answer, ICMP included, "
                + (traces.isEmpty ? "and no router reports it unreachable (no trace was run). "
                                  : "and every trace goes silent\(after) with no router reporting it unreachable. ")
                + "A block and a host that is down behind a silent gateway look the same from here (confidence low): "
                + (others.isEmpty ? "the far-end agent (--both) or a measurement from another vantage would settle it." : "other vantages do not reach it either (\(others.joined(separator: "; "))).")
                + (waited ? "" : " Other targets of this vantage answer, so it was not waited on for a router's late unreachable "
                    + "(a host that is down behind a router that reports it only after ARP or ND gives up, about 3 s, reads the same).")
                + " Not called a block.",
            evidence: traceEvidence(traces),
            location: nil)
    }

    /// ICMP destination unreachable, administratively prohibited: codes 9, 10, 13; ICMPv6 code 1.
    public static func isProhibited(_ a: Answer, target: IPAddress) -> Bool {
        guard a.kind == .unreachable, let code = a.fingerprint.icmpCode else { return false }
        if case .v6 = target { return code == 1 }
        return [9, 10, 13].contains(code)
    }

    private static func refused(target: IPAddress, port: UInt16, probe: Probe, answer: Answer, prohibited: Bool,
                                traces: [TraceRun], blocked: [String]) -> Judgement {
        let code = answer.fingerprint.icmpCode ?? 0
        let from = answer.fingerprint.source
        let evidence = [EvidenceItem(claim: "ICMP destination unreachable code \(code) from \(from) to the \(probe.label).",
                                     answers: [answer], probes: [probe])]
        guard prohibited else {
            return Judgement(
                verdict: .hostDown, trigger: .none,
                summary: "\(target) is not reachable: \(from) reports it unreachable (ICMP code \(code)). A host that is down is not censorship.",
                evidence: evidence, location: nil)
        }
        // The refusing router names itself; its TTL is where the path shows it.
        var location: Location?
        for t in traces {
            guard let ttl = t.trace.hops.first(where: { $0.responses.contains { $0.address == from } })?.ttl else { continue }
            location = Location(ttl: ttl, address: from, before: ttl > 1 ? t.address(at: ttl - 1) : nil, onPath: false, confidence: .medium,
                                reason: "The router that refuses the traffic answers at TTL \(ttl).")
            break
        }
        return Judgement(
            verdict: .icmpUnreachable,
            trigger: Trigger(kind: "address", detail: "\(from) refuses everything sent to \(target) with ICMP destination unreachable code \(code).",
                             blocked: blocked),
            summary: "\(from) refuses traffic to \(target) with ICMP destination unreachable code \(code) (administratively prohibited).",
            evidence: evidence, location: location)
    }

    /// Addresses that answer at two or more TTLs of one trace: the routers of a loop.
    static func loopRouters(_ traces: [TraceRun]) -> [IPAddress] {
        for t in traces {
            var ttls: [IPAddress: Set<Int>] = [:]
            var order: [IPAddress] = []
            for hop in t.trace.hops {
                for r in hop.responses where r.kind == .timeExceeded {
                    if ttls[r.address] == nil { order.append(r.address) }
                    ttls[r.address, default: []].insert(hop.ttl)
                }
            }
            let repeated = order.filter { (ttls[$0]?.count ?? 0) >= 2 }
            if repeated.count >= 2 { return repeated }
        }
        return []
    }

    static func loopEvidence(_ traces: [TraceRun], routers: [IPAddress]) -> [EvidenceItem] {
        guard routers.count >= 2, let t = traces.first(where: { $0.lastAnsweredTTL != nil }), let last = t.lastAnsweredTTL else { return [] }
        let answers = t.ttls.suffix(4).compactMap { t.responses(at: $0).first }
        return [EvidenceItem(claim: "The \(t.name) trace shows " + routers.map(\.description).joined(separator: " and ")
                                 + " answering again and again up to TTL \(last).", answers: answers)]
    }

    static func traceEvidence(_ traces: [TraceRun]) -> [EvidenceItem] {
        traces.compactMap { t in
            guard let last = t.lastAnsweredTTL, let a = t.responses(at: last).first else { return nil }
            return EvidenceItem(claim: "The \(t.name) trace's last answer is at TTL \(last); every probe beyond drew nothing.", answers: [a])
        }
    }
}
