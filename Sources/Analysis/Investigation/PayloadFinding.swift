import Packets
import Probing

/// What a payload sweep shows: whether the test payload is treated unlike the control,
/// how, and from which TTL.
public struct PayloadFinding: Hashable, Sendable {
    public var verdict: Verdict
    public var detail: String
    public var location: Location?
    public var injector: InjectorProfile?
    public var evidence: [EvidenceItem]
    /// The first TTL whose test/control probe got something other than time exceeded.
    public var testEnd: Int?
    public var controlEnd: Int?

    /// The two sweeps of `steps`, compared by `SweepAnalysis.compare` (the rules `analyze`
    /// applies to captures), then judged with the host's own packets: an answer the
    /// comparison puts at the endpoint is still forged when its hop distance disagrees.
    /// With residual blocking, controls after the test are refused whatever they carry, so
    /// the test is judged against the controls before it (`residualAware`).
    public static func analyse(_ steps: [PayloadStep], target: IPAddress, port: UInt16, profile: GenuineProfile,
                               testName: String, residual: ResidualFinding? = nil) -> PayloadFinding {
        if let residual { return residualAware(steps, target: target, profile: profile, testName: testName, residual: residual) }
        let test = PayloadSweep(target: target, port: port, label: "test",
                                probes: steps.map { PayloadSweep.Probe(ttl: $0.ttl, observation: $0.test) })
        let control = PayloadSweep(target: target, port: port, label: "control",
                                   probes: steps.map { PayloadSweep.Probe(ttl: $0.ttl, observation: $0.control) })
        let comparison = SweepAnalysis.compare(test: test, control: control)
        let ends = comparison.terminatingTTL
        var finding = PayloadFinding(verdict: .reachable, detail: "", location: nil, injector: nil, evidence: [],
                                     testEnd: ends.test, controlEnd: ends.control)
        guard steps.contains(where: { $0.test.outcome != .notConnected }) else {
            finding.detail = "No connection could be made, so no payload was sent."
            return finding
        }
        guard let end = ends.test, let step = steps.first(where: { $0.ttl == end }) ?? steps.last else {
            finding.detail = "The request with \(testName) drew nothing beyond time exceeded; no comparison can be made."
            return finding
        }
        let t = test.answer(at: end) ?? step.test
        let genuineHops = Set(profile.fingerprints.filter { $0.source == target }.map(\.hopDistance))
        var why: [String] = []
        if let f = t.fingerprint, t.outcome != .timeExceeded, !genuineHops.isEmpty, !genuineHops.contains(f.hopDistance) {
            why.append("Its TTL \(f.ttl) means \(f.hopDistance) hop\(f.hopDistance == 1 ? "" : "s"); the host's own packets come from \(genuineHops.sorted().map(String.init).joined(separator: " or ")) hops.")
        }
        let blocked = comparison.outcome == .censored || (comparison.outcome == .endpointBlocking && !why.isEmpty)
        guard blocked else {
            finding.detail = comparison.outcome == .endpointBlocking
                ? "The host itself answers the request with \(testName) unlike the control (\(t.outcome.rawValue)), with its own TTL: not the network."
                : "The request with \(testName) is answered like the control request (\(t.outcome.rawValue)" + (t.firstBytes.map { ": \($0)" } ?? "") + ")."
            return finding
        }
        switch t.outcome {
        case .rst, .fin:
            finding.verdict = .rstInjection
            finding.detail = "A request with \(testName) draws a forged " + (t.outcome == .rst ? "reset." : "teardown (fin).")
        case .data:
            finding.verdict = .blockpage
            finding.detail = "A request with \(testName) draws a page the host did not send" + (t.firstBytes.map { " (\"\($0)\")" } ?? "")
                + "; the control request gets " + (ends.control.flatMap { control.answer(at: $0)?.firstBytes }.map { "\"\($0)\"" } ?? "the host's answer") + "."
        case .unreachable:
            finding.verdict = .icmpUnreachable
            finding.detail = "A request with \(testName) draws ICMP unreachable" + (t.from.map { " from \($0)" } ?? "") + "."
        default:
            finding.verdict = .drop
            finding.detail = "The request with \(testName) vanishes from TTL \(end) on, while the control request still draws answers there."
        }
        let box = comparison.middlebox
        finding.location = Location(ttl: end, address: box?.address, before: box?.before, onPath: comparison.onPath ?? false,
                                    confidence: comparison.confidence, reason: comparison.reasons.joined(separator: " "))
        if let f = t.fingerprint, finding.verdict != .drop {
            let ids = Set(steps.filter { $0.ttl >= end && $0.test.outcome == t.outcome }.compactMap { $0.test.fingerprint?.ipID })
            finding.injector = InjectorProfile(ttl: f.ttl, ipID: ids.count == 1 ? ids.first : nil, dontFragment: f.dontFragment,
                                               window: f.window, flags: f.flags?.letters, copies: 1,
                                               ttlCopiesProbe: comparison.injectorCopiesTTL, reasons: comparison.reasons + why)
        }
        finding.evidence = [
            EvidenceItem(claim: "TTL \(end): the request with \(testName) drew \(t.outcome.rawValue)" + (t.fingerprint.map { " (TTL \($0.ttl)" + ($0.ipID.map { ", IP ID \($0)" } ?? "") + ")" } ?? "") + ". " + why.joined(separator: " "),
                         labelled: labels(step, test: true)),
            EvidenceItem(claim: "TTL \(end): the control request drew \(step.control.outcome.rawValue)" + (step.control.from.map { " from \($0)" } ?? "") + ".",
                         labelled: labels(step, test: false)),
        ]
        return finding
    }

    /// The evidence file labels PayloadTrace writes ("test ttl 5") with the deciding packet's fingerprint.
    static func labels(_ step: PayloadStep, test: Bool) -> [EvidenceItem.Labelled] {
        let o = test ? step.test : step.control
        guard let f = o.fingerprint else { return [] }
        return [EvidenceItem.Labelled(label: "\(test ? "test" : "control") ttl \(step.ttl)", source: f.source, ttl: f.ttl)]
    }
}

extension PayloadFinding {
    /// The test judged when residual blocking refuses the controls after it: its answer at
    /// the TTL where it stopped drawing time exceeded, by its own fingerprint, against the
    /// controls before it (which drew time exceeded there, or reached the host at full TTL).
    /// Never `reachable`: when the test itself went through, the residual blocking is the block.
    static func residualAware(_ steps: [PayloadStep], target: IPAddress, profile: GenuineProfile, testName: String,
                              residual: ResidualFinding) -> PayloadFinding {
        let k = ResidualBlocking.triggerIndex(steps) ?? max(0, steps.count - 1)
        let step = steps[k]
        let t = step.test
        let genuineHops = Set(profile.fingerprints.filter { $0.source == target }.map(\.hopDistance))
        let forged = t.fingerprint.map { $0.source != target || (!genuineHops.isEmpty && !genuineHops.contains($0.hopDistance)) } ?? false
        var why: [String] = []
        if forged, let f = t.fingerprint {
            why.append("Its TTL \(f.ttl) means \(f.hopDistance) hop\(f.hopDistance == 1 ? "" : "s"); the host's own packets come from \(genuineHops.sorted().map(String.init).joined(separator: " or ")) hops.")
        }
        var finding = PayloadFinding(verdict: .drop, detail: "", location: nil, injector: nil, evidence: [], testEnd: step.ttl, controlEnd: nil)
        let before = k > 0 ? steps[k - 1].control.from : nil
        var located = true
        switch t.outcome {
        case .rst where forged, .fin where forged:
            finding.verdict = .rstInjection
            finding.detail = "A request with \(testName) draws a forged " + (t.outcome == .rst ? "reset" : "teardown (fin)") + " at TTL \(step.ttl)."
        case .data where forged:
            finding.verdict = .blockpage
            finding.detail = "A request with \(testName) draws a page the host did not send" + (t.firstBytes.map { " (\"\($0)\")" } ?? "") + " at TTL \(step.ttl)."
        case .unreachable:
            finding.verdict = .icmpUnreachable
            finding.detail = "A request with \(testName) draws ICMP unreachable" + (t.from.map { " from \($0)" } ?? "") + " at TTL \(step.ttl)."
        case .timeout:
            finding.verdict = .drop
            finding.detail = "The request with \(testName) vanishes from TTL \(step.ttl) on, where the controls before it drew time exceeded."
        default:
            // The test drew the host's own answer: the block is what followed it.
            located = false
            let forgedRefusal = residual.refusal.map { !residual.byHost && $0.icmpType == nil } ?? false
            finding.verdict = residual.how == "reset" && forgedRefusal ? .rstInjection : residual.how == "unreachable" ? .icmpUnreachable : .drop
            finding.detail = "The request with \(testName) itself drew \(t.outcome.rawValue) from the host, but it set off a block of every later connection."
        }
        finding.detail += " " + residual.detail
        if located {
            finding.location = Location(ttl: step.ttl, address: nil, before: before, onPath: t.timeExceededFrom != nil,
                                        confidence: t.outcome == .timeout ? .medium : before == nil ? .medium : .high,
                                        reason: "The test's payload drew \(t.outcome.rawValue) at TTL \(step.ttl)"
                                            + (before.map { ", after \($0), which the control reached at TTL \(step.ttl - 1)" } ?? "")
                                            + "; the control at that TTL could not connect (residual blocking), so the router there is read from the control path.")
        }
        if let f = t.fingerprint, [.rst, .fin, .data].contains(t.outcome), forged {
            finding.injector = InjectorProfile(ttl: f.ttl, ipID: f.ipID, dontFragment: f.dontFragment, window: f.window,
                                               flags: f.flags?.letters, copies: 1, ttlCopiesProbe: false, reasons: why)
        }
        finding.evidence = [
            EvidenceItem(claim: "TTL \(step.ttl): the request with \(testName) drew \(t.outcome.rawValue)"
                + (t.fingerprint.map { " (TTL \($0.ttl)" + ($0.ipID.map { ", IP ID \($0)" } ?? "") + ")" } ?? "") + ". " + why.joined(separator: " "),
                         labelled: labels(step, test: true)),
        ] + residual.evidence
        return finding
    }
}
