/// Where a campaign stands, for the progress bar and the plain progress lines. Pure: the
/// caller supplies counts and the elapsed time.
public struct CampaignProgress: Sendable, Hashable {
    public var total: Int
    /// Items finished, including those finished by earlier sessions.
    public var done: Int
    /// Items finished by earlier sessions (they do not count towards this session's speed).
    public var doneBefore: Int
    public var failed: Int
    /// Seconds since this session began.
    public var elapsed: Double
    /// Verdicts so far, by name.
    public var verdicts: [String: Int]

    public init(total: Int, done: Int, doneBefore: Int = 0, failed: Int = 0, elapsed: Double, verdicts: [String: Int] = [:]) {
        self.total = total
        self.done = done
        self.doneBefore = doneBefore
        self.failed = failed
        self.elapsed = elapsed
        self.verdicts = verdicts
    }

    public var fraction: Double { total > 0 ? min(1, Double(done) / Double(total)) : 1 }

    /// Items per minute in this session; nil before the first one.
    public var perMinute: Double? {
        let n = done - doneBefore
        return n > 0 && elapsed > 0 ? Double(n) / elapsed * 60 : nil
    }

    /// Seconds left at this session's pace; nil until it has one.
    public var remainingSeconds: Double? {
        guard let rate = perMinute, rate > 0 else { return done >= total ? 0 : nil }
        return Double(total - done) / rate * 60
    }

    /// `[#########-----------] 123/500 24% 41.2/min ETA 9:09  drop 3 · reachable 100`, fitting `width` columns.
    public func bar(width: Int) -> String {
        let tail = "\(done)/\(total) \(Int((fraction * 100).rounded(.down)))%"
            + (perMinute.map { " \(Self.number($0))/min" } ?? "")
            + " ETA " + (remainingSeconds.map(Self.duration) ?? "?")
            + (failed > 0 ? " failed \(failed)" : "")
        var counts = verdicts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: " · ")
        // The verdicts get room before the bar does; the bar shrinks to 10 columns first.
        if width - tail.count - 4 - counts.count - 2 < 10 { counts = "" }
        let room = max(10, min(40, width - tail.count - 4 - (counts.isEmpty ? 0 : counts.count + 2)))
        let filled = Int((fraction * Double(room)).rounded(.down))
        var line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: room - filled) + "] " + tail
        if !counts.isEmpty { line += "  " + counts }
        return String(line.prefix(max(0, width)))
    }

    /// One plain line for logs: `campaign: 123/500 done (24%), 41.2/min, about 9:09 left`.
    public var line: String {
        "campaign: \(done)/\(total) done (\(Int((fraction * 100).rounded(.down)))%)"
            + (perMinute.map { ", \(Self.number($0))/min" } ?? "")
            + (remainingSeconds.map { ", about \(Self.duration($0)) left" } ?? "")
            + (failed > 0 ? ", \(failed) failed" : "")
    }

    /// `9:09`, `1:02:03`.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds.isFinite ? seconds : 0).rounded())
        let (h, m, r) = (s / 3600, s / 60 % 60, s % 60)
        let pad = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return h > 0 ? "\(h):\(pad(m)):\(pad(r))" : "\(m):\(pad(r))"
    }

    static func number(_ x: Double) -> String {
        x >= 100 ? String(Int(x.rounded())) : String((x * 10).rounded() / 10)
    }
}
