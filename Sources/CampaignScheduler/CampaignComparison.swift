import Analysis
import CampaignStore
import JSONSupport
import Measurement

/// `campaign compare`: per target and port, the verdict from each vantage, and whether the
/// vantages disagree in the way that points at the network (blocked here, reachable there).
/// Pure over the stored verdicts.
public struct ComparisonRow: Sendable {
    public var target: String
    public var name: String?
    public var port: String
    /// Vantage name and its verdict, vantages in the order they joined.
    public var verdicts: [(vantage: String, verdict: String)]
    /// Each vantage's stored verdict object, for the evidence of a flagged row.
    public var records: [(vantage: String, json: JSONValue)]
    public var summary: Summary

    /// What the verdicts say together.
    public enum Summary: String, Sendable {
        /// Blocked (reset, drop, block page, throttled, ICMP) at one vantage at least and
        /// reachable at another: the network differs.
        case blockedSomewhere = "blocked-somewhere"
        /// Silent (unreachable, host-down) at a vantage that cannot tell a block from a host
        /// that is down, and reachable at another: so it was not down, and this is a drop on
        /// the silent vantage's path.
        case silentSomewhere = "silent-somewhere"
        case reachableEverywhere = "reachable-everywhere"
        /// Blocking everywhere the target was measured from: it may be censorship on every path
        /// or the server's own filtering; the vantages cannot tell these apart.
        case blockedEverywhere = "blocked-everywhere"
        /// Silence (drop, host-down, unreachable) from every vantage: the host is down or not
        /// reachable at all, not censorship.
        case silentEverywhere = "silent-everywhere"
        /// One vantage only has measured it: nothing to compare yet.
        case oneVantage = "one-vantage"
        /// Blocking at one vantage and silence at another: no reachable control, so undecided.
        case inconclusive
    }

    /// Flagged: reachable from one vantage and not from another.
    public var flagged: Bool { summary == .blockedSomewhere || summary == .silentSomewhere }

    static func summary(_ verdicts: [String]) -> Summary {
        let kinds = verdicts.map { Verdict(rawValue: $0) }
        let silent: Set<Verdict> = [.drop, .hostDown, .unreachable]
        if kinds.count < 2 { return .oneVantage }
        if kinds.allSatisfy({ $0 == .reachable }) { return .reachableEverywhere }
        if kinds.allSatisfy({ $0.map(silent.contains) == true }) { return .silentEverywhere }
        let blocked = kinds.contains { $0.map { $0.isBlocking && !silent.contains($0) } == true }
        let quiet = kinds.contains { $0.map(silent.contains) == true }
        if kinds.contains(.reachable) {
            if blocked { return .blockedSomewhere }
            if quiet { return .silentSomewhere }
        }
        if kinds.allSatisfy({ $0?.isBlocking == true }) { return .blockedEverywhere }
        return .inconclusive
    }

    /// JSON Lines object: `target`, `port`, `verdicts` {vantage: verdict}, `flagged`,
    /// `summary`, and for a flagged row `evidence` {vantage: that vantage's `evidence`}.
    public var json: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            (key: "target", value: .string(target)), (key: "name", value: .optional(name)),
            (key: "port", value: Int(port).map { .number($0) } ?? .string(port)),
            (key: "verdicts", value: .object(verdicts.map { (key: $0.vantage, value: .string($0.verdict)) })),
            (key: "flagged", value: .bool(flagged)), (key: "summary", value: .string(summary.rawValue)),
        ]
        if flagged {
            fields.append((key: "evidence", value: .object(records.map { (key: $0.vantage, value: $0.json["evidence"] ?? .null) })))
        }
        return .object(fields)
    }

    public var textLine: String {
        let each = verdicts.map { "\($0.vantage) \($0.verdict)" }.joined(separator: ", ")
        let label = name.map { "\($0) (\(target))" } ?? target
        return "\(flagged ? "FLAGGED " : "")\(label) port \(port): \(each) — \(summary.rawValue)"
    }
}

public enum CampaignComparison {
    /// One row per target and port that has a verdict, in the target list's order.
    public static func rows(db: String) throws(MeasurementError) -> [ComparisonRow] {
        let store = try storeCall { try CampaignStore.open(at: db) }
        return try rows(try storeCall { try store.verdicts() })
    }

    static func rows(_ verdicts: [StoredVerdict]) throws(MeasurementError) -> [ComparisonRow] {
        var out: [ComparisonRow] = []
        var start = 0
        while start < verdicts.count {
            let item = verdicts[start].itemID
            var end = start
            while end < verdicts.count && verdicts[end].itemID == item { end += 1 }
            let group = verdicts[start..<end]
            var records: [(vantage: String, json: JSONValue)] = []
            for v in group {
                do { records.append((vantage: v.vantage, json: try v.record().json)) } catch {
                    throw MeasurementError("item \(v.itemID) (\(v.address) port \(v.port)) from \(v.vantage) holds no readable verdict: \(error.description)")
                }
            }
            let first = verdicts[start]
            out.append(ComparisonRow(target: first.address, name: first.name, port: first.port,
                                     verdicts: group.map { (vantage: $0.vantage, verdict: $0.verdict) }, records: records,
                                     summary: ComparisonRow.summary(group.map(\.verdict))))
            start = end
        }
        return out
    }

    /// The Markdown section `campaign report --format md` adds when more than one vantage measured.
    public static func markdown(_ rows: [ComparisonRow]) -> String {
        var lines = ["", "## Comparison across vantages", "",
                     "A target is flagged when it is reachable from one vantage and blocked or silent from another; silence from every vantage is a host that is down, not censorship.",
                     "", "| target | port | verdicts | summary |", "| --- | --- | --- | --- |"]
        for row in rows {
            let each = row.verdicts.map { "\($0.vantage): \($0.verdict)" }.joined(separator: ", ")
            lines.append("| \(row.name.map { "\($0) (\(row.target))" } ?? row.target) | \(row.port) | \(each) | \(row.flagged ? "**flagged** " : "")\(row.summary.rawValue) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
