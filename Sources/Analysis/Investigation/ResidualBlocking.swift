import Capture
import Packets
import Probing

/// What the engine measured around a payload sweep to see residual blocking: the control
/// request at full TTL before the sweep and after it, and, when those after it fail, a
/// connection to another port of the same address (the scope).
public struct ResidualInput: Hashable, Sendable {
    public var before: ExchangeObservation?
    public var after: [ExchangeObservation]
    public var otherPort: UInt16?
    public var otherPortObservation: ExchangeObservation?

    public init(before: ExchangeObservation?, after: [ExchangeObservation], otherPort: UInt16? = nil,
                otherPortObservation: ExchangeObservation? = nil) {
        self.before = before
        self.after = after
        self.otherPort = otherPort
        self.otherPortObservation = otherPortObservation
    }
}

/// Residual blocking: after a test payload set a censor off, new connections to the
/// target fail for a while (the GFW resets them for about 90 s), the control's included.
public struct ResidualFinding: Hashable, Sendable {
    public enum Scope: String, Hashable, Sendable {
        case addressPort = "address-port"
        case address
        case unknown
    }

    /// The test step (its TTL) whose payload set it off.
    public var triggerTTL: Int
    /// From that payload to the last failed connection.
    public var secondsObserved: Double
    public var scope: Scope
    /// How later connections fail: "reset", "silence" or "unreachable".
    public var how: String
    /// The refusals carry the host's own hop distance: the host (or a device at its
    /// distance) refuses, not a device on the path.
    public var byHost: Bool
    /// The refusing packet, when one came (a RST or an ICMP error).
    public var refusal: Fingerprint?
    /// One sentence for summaries.
    public var detail: String
    public var evidence: [EvidenceItem]
}

public enum ResidualBlocking {
    /// Residual blocking, when the connections show it: a control connection worked before
    /// the test reached whatever stops it, and at least two control connections after it
    /// failed, the first control at full TTL after the sweep among them. One failure alone
    /// can be loss; two, one of them a deliberate check, are not.
    public static func analyse(_ steps: [PayloadStep], _ input: ResidualInput, target: IPAddress, port: UInt16,
                               profile: GenuineProfile) -> ResidualFinding? {
        guard let k = triggerIndex(steps), let firstAfter = input.after.first, !works(firstAfter) else { return nil }
        let baseline = (input.before.map(works) ?? false) || steps[..<k].contains { $0.control.outcome != .notConnected }
        guard baseline else { return nil }
        let sweepFailures = steps[k...].filter { $0.control.outcome == .notConnected }.map(\.control)
        let afterFailures = input.after.filter { !works($0) }
        guard sweepFailures.count + afterFailures.count >= 2 else { return nil }

        let trigger = steps[k]
        let start = trigger.test.sentAt
        let times = sweepFailures.compactMap(\.sentAt) + afterFailures.compactMap { $0.started ?? $0.requested }
        let seconds = start.flatMap { s in times.max().map { Double($0.totalNanoseconds - s.totalNanoseconds) / 1e9 } } ?? 0
        let how = Self.how(afterFailures)
        let refusal = afterFailures.lazy.compactMap(\.refusedBy).first
        let genuineHops = Set(profile.fingerprints.filter { $0.source == target }.map(\.hopDistance))
        let byHost = refusal.map { $0.source == target && genuineHops.contains($0.hopDistance) } ?? false
        var scope = ResidualFinding.Scope.unknown
        if let other = input.otherPortObservation { scope = other.connected ? .addressPort : .address }

        let rounded = (seconds * 10).rounded() / 10
        var detail = "After the test payload at TTL \(trigger.ttl), new connections to \(target) port \(port) "
            + (how == "reset" ? "are reset" : how == "unreachable" ? "are refused with ICMP unreachable" : "go unanswered")
            + " for at least \(rounded) s, the control's included (residual blocking)"
        switch scope {
        case .addressPort: detail += "; port \(input.otherPort.map(String.init) ?? "?") of the same address still connects."
        case .address: detail += "; port \(input.otherPort.map(String.init) ?? "?") of the same address is refused too."
        case .unknown: detail += "."
        }
        if let r = refusal {
            detail += byHost
                ? " The refusal carries the host's own hop distance (TTL \(r.ttl)): the host, or a device at its distance, refuses."
                : " The refusal comes with TTL \(r.ttl) (\(r.hopDistance) hops), not the host's: a device on the path sends it."
        }
        var evidence = [EvidenceItem(claim: "The control request at full TTL after the test: "
            + Self.phrase(firstAfter) + "; before the test " + (input.before.map(Self.phrase) ?? "the control connected in the sweep") + ".",
                                     labelled: [])]
        if let r = refusal, let l = afterFailures.first(where: { $0.refusedBy != nil }) {
            evidence[0].labelled = [EvidenceItem.Labelled(label: Self.label(of: l, in: input), source: r.source, ttl: r.ttl)]
        }
        return ResidualFinding(triggerTTL: trigger.ttl, secondsObserved: rounded, scope: scope, how: how, byHost: byHost,
                               refusal: refusal, detail: detail, evidence: evidence)
    }

    /// The first step whose test payload drew something other than time exceeded: where
    /// the test went as far as it goes (a censor's answer or silence, or the host's).
    public static func triggerIndex(_ steps: [PayloadStep]) -> Int? {
        steps.firstIndex { $0.test.outcome != .timeExceeded && $0.test.outcome != .notConnected }
    }

    /// A control connection that worked: connected and answered with data.
    static func works(_ o: ExchangeObservation) -> Bool { o.outcome == .data }

    static func how(_ failures: [ExchangeObservation]) -> String {
        if failures.contains(where: { $0.refusal == .reset || $0.outcome == .rst }) { return "reset" }
        if failures.contains(where: { $0.refusal == .unreachable }) { return "unreachable" }
        return "silence"
    }

    static func phrase(_ o: ExchangeObservation) -> String {
        switch o.outcome {
        case .data: return "answered (\(o.firstLine.map { "\"\($0)\"" } ?? "\(o.bytes) bytes"))"
        case .rst: return "reset before any answer"
        case .fin: return "closed before any answer"
        case .timeout: return "connected, then nothing answered"
        case .notConnected:
            switch o.refusal {
            case .reset?: return "the handshake was reset"
            case .unreachable?: return "the handshake drew ICMP unreachable"
            default: return "the handshake went unanswered"
            }
        }
    }

    /// The evidence-file label the engine gives the control connections after the sweep.
    static func label(of o: ExchangeObservation, in input: ResidualInput) -> String {
        let i = input.after.firstIndex(of: o) ?? 0
        return "control after \(i + 1)"
    }
}
