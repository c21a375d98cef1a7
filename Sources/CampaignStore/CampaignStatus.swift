import Foundation
import JSONSupport

/// Where a campaign stands: progress, verdicts so far, and the sessions that ran it.
public struct CampaignStatus: Sendable, Hashable {
    /// The database file.
    public var path: String
    /// The campaign as stored: its script, when and where it ran.
    public var campaign: CampaignMetadata
    public var total: Int
    public var done: Int
    /// Unfinished items that have failed at least once (retried on resume).
    public var failed: Int
    /// Items not tried yet.
    public var pending: Int
    /// Number of items per verdict.
    public var verdictCounts: [String: Int]
    /// Answers recorded with the verdicts.
    public var answers: Int
    /// Probes sent for the recorded verdicts.
    public var probesSent: Int
    public var sessions: [SessionRecord]
    /// When the latest verdict was recorded.
    public var lastFinishedAt: Date?
    /// Each vantage's progress, in the order they joined.
    public var vantages: [VantageStatus] = []

    public var name: String { campaign.name }
    public var endedAt: Date? { campaign.endedAt }
    public var vantageASN: Int? { campaign.vantageASN }

    /// snake_case keys, dates as ISO 8601 UTC strings, verdict counts by verdict name.
    public var json: JSONValue {
        let (vantageAddress, vantageASN, vantageASName) = (campaign.vantageAddress, campaign.vantageASN, campaign.vantageASName)
        let vantage: JSONValue = vantageAddress == nil && vantageASN == nil && vantageASName == nil ? .null : [
            "address": .optional(vantageAddress), "asn": .optional(vantageASN), "as_name": .optional(vantageASName),
        ]
        return [
            "db": .string(path),
            "name": .string(name),
            "script_sha256": .string(campaign.scriptSHA256),
            "software_version": .string(campaign.softwareVersion),
            "started_at": .string(utcText(campaign.startedAt)),
            "ended_at": .optional(endedAt.map(utcText)),
            "complete": .bool(endedAt != nil),
            "vantage": vantage,
            "total": .number(total),
            "done": .number(done),
            "failed": .number(failed),
            "pending": .number(pending),
            "verdicts": .object(verdictCounts.sorted { $0.key < $1.key }.map { (key: $0.key, value: .number($0.value)) }),
            "answers": .number(answers),
            "probes_sent": .number(probesSent),
            "last_finished_at": .optional(lastFinishedAt.map(utcText)),
            "sessions": .array(sessions.map(\.json)),
            "vantages": .array(vantages.map(\.json)),
        ]
    }

    /// A human summary that fits one screen (only the last few sessions are listed).
    public var textLines: [String] {
        var lines = ["Campaign \(name) in \(path)",
                     "  script sha256 \(campaign.scriptSHA256), CensorScope \(campaign.softwareVersion)"]
        var vantage = campaign.vantageAddress ?? "unknown address"
        if let vantageASN { vantage += " (AS\(vantageASN)\(campaign.vantageASName.map { " " + $0 } ?? ""))" }
        lines.append("  vantage \(vantage)")
        let end = endedAt.map { "finished \(utcText($0))" } ?? "not finished"
        lines.append("  started \(utcText(campaign.startedAt)), \(end)")
        let percent = total == 0 ? 100 : done * 100 / total
        lines.append("Items: \(total) total, \(done) done (\(percent)%), \(failed) failed (retried on resume), \(pending) pending")
        if verdictCounts.isEmpty {
            lines.append("Verdicts: none yet")
        } else {
            let counts = verdictCounts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }
            lines.append("Verdicts: " + counts.joined(separator: ", "))
        }
        let last = lastFinishedAt.map { ", last verdict \(utcText($0))" } ?? ""
        lines.append("Probes sent: \(probesSent), answers recorded: \(answers)\(last)")
        if vantages.count > 1 {
            lines.append("Vantages: \(vantages.count)")
            for v in vantages { lines.append("  " + v.textLine) }
        }
        lines.append("Sessions: \(sessions.count)")
        let shown = sessions.suffix(5)
        if shown.count < sessions.count { lines.append("  … \(sessions.count - shown.count) earlier") }
        for session in shown {
            let ending = session.endedAt.map { "\(session.outcome ?? "ended") \(utcText($0))" }
                ?? "not ended (running, or stopped abruptly)"
            lines.append("  #\(session.id) pid \(session.pid) started \(utcText(session.startedAt)), \(ending): \(session.command)")
        }
        return lines
    }
}

extension SessionRecord {
    /// snake_case keys, dates as ISO 8601 UTC strings.
    public var json: JSONValue {
        [
            "id": .number(id),
            "command": .string(command),
            "pid": .number(pid),
            "started_at": .string(utcText(startedAt)),
            "ended_at": .optional(endedAt.map(utcText)),
            "outcome": .optional(outcome),
            "vantage_address": .optional(vantageAddress),
            "vantage": .string(vantage),
        ]
    }
}

/// One vantage's progress over the campaign's items.
public struct VantageStatus: Sendable, Hashable {
    public var vantage: VantageRecord
    public var done: Int
    public var failed: Int
    public var pending: Int
    public var verdictCounts: [String: Int]

    public var name: String { vantage.name }

    public var json: JSONValue {
        [
            "name": .string(vantage.name),
            "address": .optional(vantage.address),
            "asn": .optional(vantage.asn),
            "as_name": .optional(vantage.asName),
            "software_version": .string(vantage.softwareVersion),
            "joined_at": .string(utcText(vantage.joinedAt)),
            "done": .number(done),
            "failed": .number(failed),
            "pending": .number(pending),
            "verdicts": .object(verdictCounts.sorted { $0.key < $1.key }.map { (key: $0.key, value: .number($0.value)) }),
        ]
    }

    var textLine: String {
        let asn = vantage.asn.map { " AS\($0)" } ?? ""
        return "\(vantage.name) (\(vantage.address ?? "unknown address")\(asn), CensorScope \(vantage.softwareVersion)): "
            + "\(done) done, \(failed) failed, \(pending) pending"
    }
}

/// ISO 8601 in UTC with milliseconds, e.g. `2018-04-24T08:07:06.009Z`.
func utcText(_ date: Date) -> String {
    Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).format(date)
}
