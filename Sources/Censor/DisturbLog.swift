import JSONSupport

/// Keeps the decision log cheap when disturb rules see thousands of packets a second:
/// per rule and window (about a second), the first `fullLines` decisions are logged in
/// full as `decision` lines and the others only counted; when a window with traffic
/// ends, one `disturb-summary` line per rule says what all of its packets got.
/// A packet the sampler skips costs a dictionary update, no JSON and no write(2).
public struct DisturbLogSampler: Sendable {
    /// How long a window lasts, in seconds of the engine's clock.
    public static let window: Double = 1

    /// What one rule did in one window. Times in seconds.
    public struct Tally: Hashable, Sendable {
        public var packets = 0
        public var logged = 0
        public var delayed = 0
        public var delaySum = 0.0
        public var delayMax = 0.0
        public var duplicated = 0
        public var copies = 0
    }

    /// Decisions per rule and window logged in full.
    public let fullLines: Int
    private var start: Double?
    /// Rules in the order they were first seen in the window, for a stable output.
    private var order: [String] = []
    private var tallies: [String: Tally] = [:]

    public init(fullLines: Int = 20) {
        self.fullLines = fullLines
    }

    /// Counts a disturb decision made at `now` (engine clock); true when it should be
    /// logged in full.
    public mutating func record(_ d: CensorDecision, at now: Double) -> Bool {
        let rule = d.rule ?? ""
        if start == nil { start = now }
        var t: Tally
        if let existing = tallies[rule] { t = existing } else {
            t = Tally()
            order.append(rule)
        }
        t.packets += 1
        if case .delay(let until) = d.verdict {
            let hold = max(0, until - now)
            t.delayed += 1
            t.delaySum += hold
            t.delayMax = max(t.delayMax, hold)
        }
        if !d.duplicates.isEmpty {
            t.duplicated += 1
            t.copies += d.duplicates.count
        }
        let full = t.logged < fullLines
        if full { t.logged += 1 }
        tallies[rule] = t
        return full
    }

    /// The window's tallies, in first-seen order, once it is over at `now` (or at once
    /// with `force`, when the daemon stops); the counts start again from zero.
    public mutating func flush(at now: Double, force: Bool = false) -> [(rule: String, seconds: Double, tally: Tally)] {
        guard let s = start, force || now - s >= Self.window else { return [] }
        let out = order.compactMap { rule in tallies[rule].map { (rule: rule, seconds: max(0, now - s), tally: $0) } }
        start = nil
        order = []
        tallies = [:]
        return out
    }

    /// The fields of a `disturb-summary` line (after `time` and `event`).
    public static func fields(rule: String, seconds: Double, _ t: Tally) -> [(key: String, value: JSONValue)] {
        func ms(_ seconds: Double) -> JSONValue { .double((seconds * 1e6).rounded() / 1e3) }
        return [
            ("rule", .string(rule)), ("seconds", .double((seconds * 1e3).rounded() / 1e3)),
            ("packets", .int(Int64(t.packets))), ("logged", .int(Int64(t.logged))),
            ("delayed", .int(Int64(t.delayed))), ("delay_ms_mean", ms(t.packets > 0 ? t.delaySum / Double(t.packets) : 0)),
            ("delay_ms_max", ms(t.delayMax)), ("duplicated", .int(Int64(t.duplicated))), ("copies", .int(Int64(t.copies))),
        ]
    }
}
