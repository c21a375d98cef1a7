import Analysis
import Records

/// `campaign report --format html`: one self-contained page (no script, no external
/// resource) that reads top-down: the campaign and whether it is complete, the totals
/// chart, the devices, the blocked targets by port, prefix and AS, then one compact row
/// per target with its details on demand.
public enum CampaignHTML {
    /// Targets listed inside one device's details; the rest are counted (the table has them all).
    static let membersShown = 64
    /// Above this many results the table of every target starts closed.
    static let openRowLimit = 2000

    public static func render(_ o: CampaignOverview) -> String {
        var out = HTML.pageStart(title: "Campaign " + HTML.escape(o.header.name), style: HTMLReport.style + style)
        out += header(o.header)
        out += "<h2 id=\"verdicts\">Results by verdict</h2>\n<figure>\n"
        out += VerdictChart.svg(o.totals, blocked: o.blockedVerdicts) + "\n</figure>\n"
        out += devices(o)
        out += breakdowns(o)
        out += targets(o)
        return out + "</body>\n</html>\n"
    }

    static func header(_ h: CampaignHeader) -> String {
        let stateClass = h.state == .complete ? "complete" : "incomplete"
        var s = "<p class=\"state \(stateClass)\">\(HTML.escape(h.stateText))</p>\n<dl class=\"campaign\">\n"
        let rows: [(String, String?)] = [
            ("Script", "\(h.scriptPath) (SHA-256 \(h.scriptSHA256))"),
            ("Targets", h.targetsPath),
            ("Vantage", h.vantages.isEmpty ? "unknown" : h.vantages.joined(separator: ", ")),
            ("Started", h.startedAt),
            ("Ended", h.endedAt ?? "not ended"),
            ("Measured", "\(h.measured) of \(h.total)" + (h.failed > 0 ? ", \(h.failed) failed (retried on resume)" : "")),
            ("Sessions", String(h.sessions)),
            ("CensorScope", h.softwareVersion),
        ]
        for (label, text) in rows { if let text { s += "<dt>\(label)</dt><dd>\(HTML.escape(text))</dd>\n" } }
        return s + "</dl>\n"
    }

    static func devices(_ o: CampaignOverview) -> String {
        var s = "<h2 id=\"devices\">Devices</h2>\n"
        guard !o.clusters.isEmpty else { return s + "<p>No result is blocked.</p>\n" }
        s += "<p>Blocked targets grouped by where they are blocked (the hop where the device acts) and how "
        s += "(mechanism and the fingerprint of forged packets).</p>\n"
        s += "<table class=\"devices\">\n<thead><tr><th>Device</th><th>Where</th><th>Targets</th><th>How</th>"
        s += "<th>Trigger</th><th>Ports</th></tr></thead>\n<tbody>\n"
        for (c, cluster) in o.clusters.enumerated() {
            for (b, group) in cluster.behaviours.enumerated() {
                s += "<tr>"
                if b == 0 {
                    let span = cluster.behaviours.count > 1 ? " rowspan=\"\(cluster.behaviours.count)\"" : ""
                    s += "<td\(span)><a href=\"#device-\(c + 1)\">\(c + 1)</a></td><td\(span)>\(HTML.escape(cluster.place.text))</td>"
                }
                s += "<td>\(group.members.count)</td><td>\(HTML.escape(group.behaviour.text))</td>"
                s += "<td>\(HTML.escape(group.triggers.joined(separator: ", ")))</td><td>\(CampaignOverview.ports(group))</td></tr>\n"
            }
        }
        s += "</tbody></table>\n"
        for (c, cluster) in o.clusters.enumerated() { s += device(cluster, number: c + 1, o) }
        return s
    }

    static func device(_ cluster: DeviceCluster, number: Int, _ o: CampaignOverview) -> String {
        var s = "<section class=\"device\" id=\"device-\(number)\">\n<h3>Device \(number): \(HTML.escape(cluster.place.text))</h3>\n"
        s += "<p>\(HTML.escape(o.sentence(cluster)))</p>\n"
        for group in cluster.behaviours {
            let members = group.members.prefix(membersShown).map { o.records[$0].endpoint }
            let more = group.members.count > membersShown ? " … and \(group.members.count - membersShown) more" : ""
            s += "<details><summary>\(group.members.count) × \(HTML.escape(group.behaviour.text))</summary>\n"
            s += "<p class=\"members\">\(HTML.escape(members.joined(separator: " ") + more))</p>\n"
            if let example = group.members.first {
                let inv = o.records[example]
                s += "<figure>\n" + PathDiagram.svg(for: inv, id: 100_000 + example) + "\n<figcaption>One of them, "
                s += "\(HTML.escape(inv.endpoint)): the path and where each answer came from.</figcaption>\n</figure>\n"
            }
            s += "</details>\n"
        }
        return s + "</section>\n"
    }

    static func breakdowns(_ o: CampaignOverview) -> String {
        var s = "<h2 id=\"blocked\">Blocked targets by port, prefix and AS</h2>\n<div class=\"breakdowns\">\n"
        var parts: [(String, [BreakdownRow])] = [("Port", o.byPort), ("Prefix (/24, /48)", o.byPrefix)]
        if let byAS = o.byAS { parts.append(("AS", byAS)) }
        for (title, rows) in parts {
            s += HTMLReport.table([title, "Blocked", "Measured"], rows.map { [$0.key, String($0.blocked), String($0.total)] },
                                  cls: "breakdown")
        }
        if o.byAS == nil { s += "<p class=\"note\">Give <code>--asn-db FILE</code> for the breakdown by AS.</p>\n" }
        return s + "</div>\n"
    }

    /// One row per result; a result that is not reachable has its facts in a `<details>`.
    static func targets(_ o: CampaignOverview) -> String {
        var s = "<h2 id=\"targets\">Every target (\(o.records.count))</h2>\n"
        // A long table opens on demand: a browser lays out nothing inside a closed <details>,
        // so the overview above shows at once whatever the campaign's size.
        let open = o.records.count <= openRowLimit ? " open" : ""
        s += "<details class=\"all\"\(open)><summary>One row per target and port (\(o.records.count))</summary>\n"
        s += "<table class=\"targets\">\n<thead><tr><th>#</th><th>Target</th><th>Verdict</th><th>Trigger</th><th>Device</th>"
        s += "<th>Details</th></tr></thead>\n"
        for start in stride(from: 0, to: o.records.count, by: 500) {
            s += "<tbody>\n"
            for i in start..<min(start + 500, o.records.count) { s += row(i, o) }
            s += "</tbody>\n"
        }
        return s + "</table>\n</details>\n"
    }

    static func row(_ i: Int, _ o: CampaignOverview) -> String {
        let inv = o.records[i]
        let cls = inv.blocked == true ? "b" : inv.verdict == "reachable" ? "r" : "o"
        var s = "<tr class=\"\(cls)\"><td>\(i + 1)</td><td>\(HTML.escape(inv.endpoint))</td><td>\(HTML.escape(inv.verdict))</td>"
        s += "<td>\(HTML.escape(inv.trigger?.kind ?? ""))</td><td>"
        if let c = o.deviceOf[i] { s += "<a href=\"#device-\(c + 1)\">\(c + 1)</a>" }
        s += "</td><td>"
        if inv.verdict != "reachable" {
            // The short facts: the sentences behind them are in the device section and the JSON.
            s += "<details><summary>\(HTML.escape(inv.summary ?? inv.verdict))</summary><dl>"
            let facts: [(String, String?)] = [
                ("Location", inv.location.map { l in [l.ttl.map { "hop \($0)" }, l.address, l.before.map { "after \($0)" }]
                    .compactMap { $0 }.joined(separator: ", ") }),
                ("Injector", inv.injector == nil ? nil : DeviceBehaviour(inv).text),
                ("Measured", inv.measurementStartTime), ("Evidence", inv.evidenceFile),
            ]
            for (label, text) in facts { if let text, !text.isEmpty { s += "<dt>\(label)</dt><dd>\(HTML.escape(text))</dd>" } }
            s += "</dl></details>"
        }
        return s + "</td></tr>\n"
    }

    static let style = """

        .state{font-weight:600;padding:.5em .8em;border-radius:.3em}.state.complete{background:#e8f5e9}
        .state.incomplete{background:#fff3e0;border:1px solid #ef6c00}
        svg.chart text{font-size:12px;fill:#212121}.breakdowns{display:flex;flex-wrap:wrap;gap:0 2em}
        tr.b td:nth-child(3){color:#c62828;font-weight:600}tr.r td:nth-child(3){color:#2e7d32}
        table.targets{table-layout:fixed;width:100%}table.targets td{padding:.1em .5em;overflow-wrap:anywhere}
        table.targets th:nth-child(1){width:4em}table.targets th:nth-child(2){width:16em}
        table.targets th:nth-child(3),table.targets th:nth-child(4){width:8em}table.targets th:nth-child(5){width:4em}table.targets details dl{margin:.3em 0}
        .members{font-family:monospace;font-size:.85em;word-break:break-all}.note{font-size:.85em;color:#616161}
        """
}
