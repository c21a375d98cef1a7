import JSONSupport
import Records

/// The JSON of `censorscope serve`'s API (Docs/reports.md): `/api/campaign` and
/// `/api/results`. Pure.
public enum DashboardAPI {
    /// `GET /api/campaign`: the campaign's metadata, its progress and the totals by verdict,
    /// over all vantages and per vantage (a record without one counts for the campaign's).
    public static func campaign(_ o: CampaignOverview) -> JSONValue {
        let h = o.header
        let state: String
        switch h.state {
        case .complete: state = "complete"
        case .interrupted: state = "interrupted"
        case .running: state = "running"
        }
        var perVantage: [(key: String, value: [String: Int])] = []
        for inv in o.records {
            let vantage = inv.vantage?.address ?? h.vantages.first ?? "unknown"
            if let i = perVantage.firstIndex(where: { $0.key == vantage }) {
                perVantage[i].value[inv.verdict, default: 0] += 1
            } else {
                perVantage.append((vantage, [inv.verdict: 1]))
            }
        }
        func counts(_ c: [String: Int]) -> JSONValue {
            .object(c.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { (key: $0.key, value: .number($0.value)) })
        }
        return [
            "name": .string(h.name),
            "script_path": .string(h.scriptPath),
            "script_sha256": .string(h.scriptSHA256),
            "targets_path": .string(h.targetsPath),
            "software_version": .string(h.softwareVersion),
            "vantages": .array(h.vantages.map { .string($0) }),
            "started_at": .string(h.startedAt),
            "ended_at": .optional(h.endedAt),
            "state": .string(state),
            "total": .number(h.total),
            "measured": .number(h.measured),
            "failed": .number(h.failed),
            "verdicts": .object(o.totals.map { (key: $0.verdict, value: .number($0.count)) }),
            "verdicts_by_vantage": .object(perVantage.map { (key: $0.key, value: counts($0.value)) }),
            "devices": .array(o.clusters.map { cluster in
                [
                    "place": .string(cluster.place.text), "address": .optional(cluster.place.address),
                    "ttl": .optional(cluster.place.ttl), "targets": .number(cluster.targetCount),
                    "behaviours": .array(cluster.behaviours.map { group in
                        ["how": .string(group.behaviour.text), "targets": .number(group.members.count),
                         "triggers": .array(group.triggers.map { .string($0) }), "ports": .array(group.ports.map { .number($0) })]
                    }),
                ]
            }),
        ]
    }

    /// `GET /api/results`: the records that `shown` selects, each the object `campaign
    /// report --format json` prints, in a JSON array.
    public static func results(_ o: CampaignOverview, shown: [Int]) -> String {
        var out = "["
        for (n, i) in shown.enumerated() {
            out += (n == 0 ? "\n" : ",\n") + o.records[i].json.serialized()
        }
        return out + (shown.isEmpty ? "]\n" : "\n]\n")
    }

    /// `{"error": sentence}`.
    public static func error(_ sentence: String) -> String {
        JSONValue.object([("error", .string(sentence))]).serialized() + "\n"
    }
}
