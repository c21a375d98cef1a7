import Packets
import Probing

/// One TTL of a handshake + TTL-limited payload sweep: the test and the control payload.
public struct PayloadStep: Hashable, Sendable {
    public var ttl: Int
    public var test: PayloadObservation
    public var control: PayloadObservation

    public init(ttl: Int, test: PayloadObservation, control: PayloadObservation) {
        self.ttl = ttl
        self.test = test
        self.control = control
    }
}

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

    /// Compares test and control TTL by TTL. A reset or data for the test at a TTL where the
    /// control still dies at a router cannot come from the host: forged. At the host's own
    /// TTL a reset or page is forged when its TTL disagrees with the host's packets.
    public static func analyse(_ steps: [PayloadStep], target: IPAddress, profile: GenuineProfile, testName: String) -> PayloadFinding {
        let ordered = steps.sorted { $0.ttl < $1.ttl }
        func ends(_ o: PayloadObservation) -> Bool { o.outcome != .timeExceeded && o.outcome != .timeout && o.outcome != .notConnected }
        let testEnd = ordered.first { ends($0.test) }
        let controlEnd = ordered.first { ends($0.control) }
        var finding = PayloadFinding(verdict: .reachable, detail: "", location: nil, injector: nil, evidence: [],
                                     testEnd: testEnd?.ttl, controlEnd: controlEnd?.ttl)
        guard ordered.contains(where: { $0.test.outcome != .notConnected }) else {
            finding.detail = "No connection could be made, so no payload was sent."
            return finding
        }
        let genuineTTLs = Set(profile.fingerprints.filter { $0.source == target }.map(\.hopDistance))

        // Silence: the test vanishes from a TTL where the control still draws answers, and never ends.
        guard let end = testEnd else {
            if let firstSilent = ordered.first(where: { $0.test.outcome == .timeout && $0.control.outcome != .timeout && $0.control.outcome != .notConnected }),
               controlEnd != nil {
                finding.verdict = .drop
                finding.detail = "The request with \(testName) vanishes from TTL \(firstSilent.ttl) on, while the control request draws answers at that TTL and reaches the host."
                finding.location = location(ttl: firstSilent.ttl, in: ordered, onPath: false, confidence: .medium,
                                            reason: "From TTL \(firstSilent.ttl) the test request draws nothing while the control request still draws \(firstSilent.control.outcome.rawValue)" + (firstSilent.control.from.map { " from \($0)" } ?? "") + ".")
                finding.evidence = [EvidenceItem(claim: "TTL \(firstSilent.ttl): the control request drew \(firstSilent.control.outcome.rawValue); the test request drew nothing.",
                                                 labelled: labels(firstSilent, test: false))]
            } else {
                finding.detail = "Neither request drew anything beyond time exceeded."
            }
            return finding
        }
        let t = end.test
        let controlAtEnd = end.control
        let early = controlAtEnd.outcome == .timeExceeded || controlAtEnd.outcome == .timeout
        let distanceDisagrees = t.fingerprint.map { !genuineTTLs.isEmpty && !genuineTTLs.contains($0.hopDistance) } ?? false
        let differsFromControl = t.outcome != controlAtEnd.outcome || (t.outcome == .data && t.firstBytes != controlAtEnd.firstBytes)
        let forged = early || distanceDisagrees

        if !differsFromControl || (!forged && t.outcome != .rst) {
            finding.detail = "The request with \(testName) is answered like the control request (\(t.outcome.rawValue)" + (t.firstBytes.map { ": \($0)" } ?? "") + ")."
            return finding
        }
        var why: [String] = []
        if early {
            why.append("It came for a request limited to TTL \(end.ttl), where the control request still dies at a router" + (controlAtEnd.from.map { " (\($0))" } ?? "") + ": the host is farther away.")
        }
        if distanceDisagrees, let f = t.fingerprint {
            why.append("Its TTL \(f.ttl) means \(f.hopDistance) hops; the host's own packets come from \(genuineTTLs.sorted().map(String.init).joined(separator: " or ")) hops.")
        }
        switch t.outcome {
        case .rst:
            finding.verdict = .rstInjection
            finding.detail = "A request with \(testName) draws a forged reset" + (early || distanceDisagrees ? "" : " where the control request is answered") + "."
        case .data:
            finding.verdict = .blockpage
            finding.detail = "A request with \(testName) draws a page the host did not send" + (t.firstBytes.map { " (\"\($0)\")" } ?? "")
                + "; the control request gets " + (controlEnd.flatMap { $0.control.firstBytes.map { "\"\($0)\"" } } ?? "the host's answer") + "."
        case .unreachable:
            finding.verdict = .icmpUnreachable
            finding.detail = "A request with \(testName) draws ICMP unreachable" + (t.from.map { " from \($0)" } ?? "") + "."
        default:
            finding.verdict = .rstInjection
            finding.detail = "A request with \(testName) draws a teardown (\(t.outcome.rawValue)) the host did not send."
        }
        if !forged {
            why.append("It differs from the control's answer at the same TTL, though its TTL matches the host's.")
        }
        let onPath = t.timeExceededFrom != nil
        var reason = "The test request limited to TTL \(end.ttl) drew \(t.outcome.rawValue)"
            + (end.control.from.map { "; the control request at that TTL drew \(end.control.outcome.rawValue) from \($0)" } ?? "") + "."
        reason += onPath ? " The same test request also drew time exceeded from \(t.timeExceededFrom!): the device lets the packet go on (on-path)."
                         : " No time exceeded came for it: the device takes the packet off the path (in-path)."
        finding.location = location(ttl: end.ttl, in: ordered, onPath: onPath, confidence: early ? .high : .medium, reason: reason)
        if let f = t.fingerprint {
            let rsts = ordered.filter { $0.ttl >= end.ttl && $0.test.outcome == t.outcome }.compactMap { s in s.test.fingerprint.map { (s.ttl, $0) } }
            let offsets = Set(rsts.map { Int($0.1.ttl) - $0.0 })
            let copies = rsts.count >= 2 && offsets.count == 1 && Set(rsts.map(\.1.ttl)).count > 1
            var reasons = why
            if copies { reasons.append("The forged packets' TTL rises with the request's TTL: the injector copies it.") }
            let ids = Set(rsts.compactMap(\.1.ipID))
            finding.injector = InjectorProfile(ttl: f.ttl, ipID: ids.count == 1 ? ids.first : nil, dontFragment: f.dontFragment,
                                               window: f.window, flags: f.flags?.letters, copies: 1, ttlCopiesProbe: copies, reasons: reasons)
        }
        finding.evidence = [
            EvidenceItem(claim: "TTL \(end.ttl): the request with \(testName) drew \(t.outcome.rawValue)" + (t.fingerprint.map { " (TTL \($0.ttl)" + ($0.ipID.map { ", IP ID \($0)" } ?? "") + ")" } ?? "") + ". " + why.joined(separator: " "),
                         labelled: labels(end, test: true)),
            EvidenceItem(claim: "TTL \(end.ttl): the control request drew \(controlAtEnd.outcome.rawValue)" + (controlAtEnd.from.map { " from \($0)" } ?? "") + ".",
                         labelled: labels(end, test: false)),
        ]
        return finding
    }

    static func location(ttl: Int, in steps: [PayloadStep], onPath: Bool, confidence: Confidence, reason: String) -> Location {
        func router(_ t: Int) -> IPAddress? {
            guard let s = steps.first(where: { $0.ttl == t }) else { return nil }
            if s.control.outcome == .timeExceeded { return s.control.from }
            return s.control.timeExceededFrom ?? (s.control.outcome == .ack || s.control.outcome == .data ? s.control.from : nil)
        }
        return Location(ttl: ttl, address: router(ttl), before: ttl > 1 ? router(ttl - 1) : nil, onPath: onPath,
                        confidence: confidence, reason: reason)
    }

    /// The evidence file labels PayloadTrace writes ("test ttl 5") with the deciding packet's fingerprint.
    static func labels(_ step: PayloadStep, test: Bool) -> [EvidenceItem.Labelled] {
        let o = test ? step.test : step.control
        guard let f = o.fingerprint else { return [] }
        return [EvidenceItem.Labelled(label: "\(test ? "test" : "control") ttl \(step.ttl)", source: f.source, ttl: f.ttl)]
    }
}
