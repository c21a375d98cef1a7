import Packets
import Probing

/// How the findings of the engine's later phases change an investigation: interception of
/// the handshake, the payload sweep (with residual blocking), the bulk transfers.
extension Investigation {
    /// When the SYN-ACKs on the port come from a device that is not the host: the verdict
    /// is what that device does with a request (its page, a reset, silence). True when it did.
    mutating func applyInterception(_ input: InvestigationInput) -> Bool {
        guard let f = Interception.analyse(results, port: port, target: target, profile: genuine, trigger: input.triggerTrace,
                                           controls: input.controlTraces, page: input.page) else { return false }
        interception = f
        let synAck = f.synAck.fingerprint
        let page = f.page?.observation
        switch page?.outcome {
        case .rst?: verdict = .rstInjection
        case .timeout?, .fin?: verdict = .drop
        default: verdict = .blockpage
        }
        location = f.location
        injector = InjectorProfile(ttl: synAck.ttl, ipID: synAck.ipID, dontFragment: synAck.dontFragment, window: synAck.window,
                                   flags: synAck.flags?.letters, copies: 1, ttlCopiesProbe: false, reasons: f.reasons)
        let hops = f.hostHops.map(String.init).joined(separator: " or ")
        var s = "Connections to \(target) port \(port) are intercepted: a device \(f.deviceHops) hop\(f.deviceHops == 1 ? "" : "s") away"
        if let l = f.location { s += " (TTL \(l.ttl)" + (l.address.map { ", where control probes reach \($0)" } ?? "") + ")" }
        s += " completes the handshake in the host's name" + (hops.isEmpty ? "" : " (the host is \(hops) hops away)") + " and "
        switch (f.page, page?.outcome) {
        case (let p?, .data?):
            s += "serves its own page for Host \(p.host): " + (p.observation.firstLine.map { "\"\($0)\"" } ?? "data") + " (\(p.observation.bytes) bytes)."
        case (let p?, .rst?): s += "resets the request for Host \(p.host)."
        case (let p?, .fin?): s += "closes the connection on the request for Host \(p.host)."
        case (let p?, .timeout?): s += "answers nothing to the request for Host \(p.host)."
        case (let p?, _): s += "could not be reached for the page (Host \(p.host)): " + (p.observation.note ?? "no connection") + "."
        case (nil, _): s += "its page was not fetched (no fetch step ran: it needs a name or an HTTP port)."
        }
        s += " A transparent proxy that passes the host's own page on looks the same from one vantage; the page's content, or the far-end agent, settles it."
        summary = s
        var items = [EvidenceItem(claim: "The \(results.first { !$0.forged.isEmpty }?.trial.shape.name ?? "") SYN drew a SYN-ACK in the host's name that the host did not send: "
            + f.reasons.joined(separator: " "), answers: [f.synAck])]
        if let l = f.location { items.append(EvidenceItem(claim: l.reason)) }
        if let p = f.page, let data = p.observation.firstData {
            items.append(EvidenceItem(claim: "The page fetched at full TTL with Host \(p.host): " + (p.observation.firstLine.map { "\"\($0)\"" } ?? "")
                + " (\(p.observation.bytes) bytes, TTL \(data.ttl)).", labelled: [EvidenceItem.Labelled(label: "fetch", source: data.source, ttl: data.ttl)]))
        }
        evidence = items
        return true
    }

    /// The sweep's finding, residual blocking included, merged when the SYNs passed.
    mutating func applyPayload(_ steps: [PayloadStep], _ input: InvestigationInput) {
        payloadSteps = steps
        residual = input.residual.flatMap { ResidualBlocking.analyse(steps, $0, target: target, port: port, profile: genuine) }
        var finding = PayloadFinding.analyse(steps, target: target, port: port, profile: genuine, testName: input.payloadName,
                                             residual: residual)
        // With residual blocking the control at the test's TTL could not connect: the router there comes from the control path.
        if residual != nil, var l = finding.location, l.address == nil, let trace = path {
            l.address = trace.responses(at: l.ttl).first { $0.kind == .timeExceeded }?.fingerprint.source
            finding.location = l
        }
        payload = finding
        guard verdict == .reachable else { return }
        if finding.verdict == .reachable {
            summary += " " + finding.detail
            return
        }
        verdict = finding.verdict
        trigger = Trigger(kind: "payload", detail: finding.detail + " The SYNs themselves pass.",
                          blocked: [input.payloadName], passed: ["control request", "every SYN shape"])
        location = finding.location
        injector = finding.injector
        evidence = finding.evidence + evidence
        var s = "\(input.payloadName) on \(input.target) port \(input.port): \(finding.detail)"
        if let l = finding.location {
            s += " The device acts at TTL \(l.ttl)" + (l.address.map { " (\($0)" + (l.before.map { ", after \($0))" } ?? ")") } ?? "")
                + ", " + (l.onPath ? "on-path" : "in-path") + "."
        }
        summary = s
    }

    /// The transfers' judgement: `throttle` when the test is throttled and nothing else was found.
    mutating func applyTransfer(_ transfer: TransferInput, _ input: InvestigationInput) {
        let f = Throttling.judge(transfer)
        throttle = f
        guard verdict == .reachable else { return }
        guard f.throttled else {
            summary += " " + f.detail
            return
        }
        verdict = .throttle
        trigger = Trigger(kind: "payload", detail: f.detail + " The SYNs and the requests themselves pass.",
                          blocked: [transfer.testName], passed: ["control transfer", "every SYN shape"])
        location = nil
        summary = "\(transfer.testName) on \(target) port \(port): \(f.detail) Where the throttling happens is not located."
        evidence = f.evidence + evidence
    }
}
