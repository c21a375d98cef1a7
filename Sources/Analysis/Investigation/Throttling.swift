import Packets
import Probing

/// The bulk transfers of a transfer step: the control before and after the test, and the
/// test, each bounded in bytes and time, and the rules to judge them by.
public struct TransferInput: Hashable, Sendable {
    /// The path downloaded.
    public var object: String
    public var controls: [ExchangeObservation]
    public var test: ExchangeObservation
    /// The test again, when the first looked throttled: the faster test download is judged,
    /// so one slowed by a passing stall (a loaded machine, a burst of cross traffic) is not.
    public var retests: [ExchangeObservation] = []
    /// The least a transfer must deliver to be judged (unless we cut it: it was still coming).
    public var minBytes: Int
    /// How many times slower than the slower control the test must be.
    public var ratio: Double
    /// "TLS SNI throttled.example", "TLS SNI example.com".
    public var testName: String
    public var controlName: String

    public init(object: String, controls: [ExchangeObservation], test: ExchangeObservation, minBytes: Int, ratio: Double,
                testName: String, controlName: String) {
        self.testName = testName
        self.controlName = controlName
        self.object = object
        self.controls = controls
        self.test = test
        self.minBytes = minBytes
        self.ratio = ratio
    }
}

/// Goodput of the test against the control: throttling when the test is `ratio` times
/// slower than the slower control, every transfer large enough to be judged.
public struct ThrottleFinding: Hashable, Sendable {
    public var object: String
    /// Whether the transfers allowed a judgement, and what it is.
    public var judged: Bool
    public var throttled: Bool
    public var test: ExchangeObservation
    /// The slower control.
    public var control: ExchangeObservation?
    public var ratio: Double?
    public var threshold: Double
    public var minBytes: Int
    /// One sentence: the rates and the ratio, or why no judgement.
    public var detail: String
    public var evidence: [EvidenceItem]
}

public enum Throttling {
    public static func judge(_ input: TransferInput) -> ThrottleFinding {
        let (testName, controlName) = (input.testName, input.controlName)
        var finding = ThrottleFinding(object: input.object, judged: false, throttled: false, test: input.test, control: nil, ratio: nil,
                                      threshold: input.ratio, minBytes: input.minBytes, detail: "", evidence: [])
        let slower = input.controls.min { ($0.bytesPerSecond ?? 0) < ($1.bytesPerSecond ?? 0) }
        finding.control = slower
        guard let control = slower, !input.controls.isEmpty else {
            finding.detail = "No control transfer ran, so throttling was not measured."
            return finding
        }
        if let small = input.controls.first(where: { $0.outcome != .data || $0.bytes < input.minBytes }) {
            finding.detail = "Throttling was not measured: the control download of \(input.object) gave "
                + (small.outcome == .data ? "\(small.bytes) bytes" : Self.phrase(small))
                + ", and at least \(input.minBytes) are needed to judge a rate (a larger object: `investigate --object PATH`)."
            return finding
        }
        let tests = [input.test] + input.retests
        let t = tests.max { ($0.bytesPerSecond ?? 0) < ($1.bytesPerSecond ?? 0) } ?? input.test
        finding.test = t
        let cut = t.cut
        guard t.outcome == .data, t.bytes >= input.minBytes || cut, let testRate = t.bytesPerSecond,
              let controlRate = control.bytesPerSecond else {
            finding.detail = "Throttling was not measured: the test download of \(input.object) gave "
                + (t.outcome == .data ? "\(t.bytes) bytes, complete" : Self.phrase(t))
                + ", while the control downloads delivered \(input.controls.map { String($0.bytes) }.joined(separator: " and ")) bytes."
            return finding
        }
        let ratio = controlRate / max(testRate, 1e-9)
        finding.judged = true
        finding.ratio = (ratio * 100).rounded() / 100
        finding.throttled = ratio >= input.ratio
        let rates = "\(Self.rate(testRate)) for \(testName)" + (tests.count > 1 ? " (the faster of \(tests.count) test downloads)" : "") + " against \(Self.rate(controlRate)) for \(controlName) (the slower of \(input.controls.count) control downloads)"
        finding.detail = finding.throttled
            ? "Downloads of \(input.object) with \(testName) are throttled: \(rates), \(Self.times(ratio)) slower; the threshold is \(Self.times(input.ratio))."
            : "Downloads of \(input.object) run alike: \(rates); the test is not \(Self.times(input.ratio)) slower."
        finding.evidence = [EvidenceItem(claim: "The \(tests.count > 1 ? "faster " : "")test download of \(input.object): \(t.bytes) bytes in \(Self.seconds(t.seconds)) s"
            + (cut ? ", still running when stopped" : "") + "; the slower control's: \(control.bytes) bytes in \(Self.seconds(control.seconds)) s.",
                                         labelled: t.firstData.map { [EvidenceItem.Labelled(label: "transfer test", source: $0.source, ttl: $0.ttl)] } ?? [])]
        return finding
    }

    static func phrase(_ o: ExchangeObservation) -> String {
        switch o.outcome {
        case .data: return "\(o.bytes) bytes"
        case .rst: return "a reset before any byte"
        case .fin: return "a close before any byte"
        case .timeout: return "no answer"
        case .notConnected: return "no connection"
        }
    }

    /// "1.2 Mbit/s", "150 kbit/s".
    public static func rate(_ bytesPerSecond: Double) -> String {
        let bits = bytesPerSecond * 8
        if bits >= 1e9 { return fixed(bits / 1e9, 1) + " Gbit/s" }
        if bits >= 1e6 { return fixed(bits / 1e6, 1) + " Mbit/s" }
        return fixed(bits / 1e3, 0) + " kbit/s"
    }

    static func times(_ x: Double) -> String { (x >= 10 ? fixed(x, 0) : fixed(x, 1)) + "×" }
    static func seconds(_ s: Double?) -> String { fixed(s ?? 0, 3) }

    /// `x` with at most `digits` decimals, without Foundation.
    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return "?" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (x * scale).rounded() / scale
        if digits == 0 || r == r.rounded() { return String(Int(r.rounded())) }
        return String(r)
    }
}
