import Analysis
import Records

/// `campaign report --format md`: the same reading order as the HTML page, in Markdown: the
/// campaign, the totals (a bar of blocks per verdict), the devices, the breakdowns, one row
/// per target.
public enum CampaignMarkdown {
    static let barWidth = 30

    public static func render(_ o: CampaignOverview) -> String {
        let h = o.header
        let esc = MarkdownReport.escape
        var out = "# Campaign \(esc(h.name))\n\n**\(esc(h.stateText))**\n\n"
        out += "- **Script:** \(esc(h.scriptPath)) (SHA-256 \(esc(h.scriptSHA256)))\n"
        out += "- **Targets:** \(esc(h.targetsPath))\n"
        out += "- **Vantage:** \(esc(h.vantages.isEmpty ? "unknown" : h.vantages.joined(separator: ", ")))\n"
        out += "- **Started:** \(esc(h.startedAt)), **ended:** \(esc(h.endedAt ?? "not ended"))\n"
        out += "- **Measured:** \(h.measured) of \(h.total)" + (h.failed > 0 ? ", \(h.failed) failed (retried on resume)" : "") + "\n"
        out += "- **Sessions:** \(h.sessions), CensorScope \(esc(h.softwareVersion))\n"

        out += "\n## Results by verdict\n\n"
        let biggest = max(o.totals.map(\.count).max() ?? 1, 1)
        out += MarkdownReport.table(["Verdict", "Results", "Share"], o.totals.map { total in
            [total.verdict, String(total.count), String(repeating: "█", count: max(1, total.count * barWidth / biggest))]
        })

        out += "\n## Devices\n\n"
        if o.clusters.isEmpty { out += "No result is blocked.\n" }
        for (c, cluster) in o.clusters.enumerated() {
            out += "### Device \(c + 1): \(esc(cluster.place.text))\n\n\(esc(o.sentence(cluster)))\n\n"
            out += MarkdownReport.table(["Targets", "How", "Trigger", "Ports", "Examples"], cluster.behaviours.map { group in
                let examples = group.members.prefix(5).map { o.records[$0].endpoint }.joined(separator: " ")
                return [String(group.members.count), group.behaviour.text, group.triggers.joined(separator: ", "),
                        CampaignOverview.ports(group), examples + (group.members.count > 5 ? " …" : "")]
            }) + "\n"
        }

        out += "## Blocked targets by port, prefix and AS\n\n"
        var parts: [(String, [BreakdownRow])] = [("Port", o.byPort), ("Prefix (/24, /48)", o.byPrefix)]
        if let byAS = o.byAS { parts.append(("AS", byAS)) }
        for (title, rows) in parts {
            out += MarkdownReport.table([title, "Blocked", "Measured"], rows.map { [$0.key, String($0.blocked), String($0.total)] }) + "\n"
        }

        out += "## Every target (\(o.records.count))\n\n"
        out += MarkdownReport.table(["#", "Target", "Verdict", "Trigger", "Device", "Summary"], o.records.enumerated().map { i, inv in
            [String(i + 1), inv.endpoint, inv.verdict, inv.trigger?.kind ?? "", o.deviceOf[i].map { String($0 + 1) } ?? "",
             inv.verdict == "reachable" ? "" : inv.summary ?? ""]
        })
        return out
    }
}
