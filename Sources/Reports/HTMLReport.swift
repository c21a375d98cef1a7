import Records

/// One self-contained HTML page: inline CSS, inline SVG, no scripts and no external
/// resources (a Content-Security-Policy forbids both), every input string escaped.
public enum HTMLReport {
    public static func render(_ investigations: [InvestigationRecord]) -> String {
        var out = HTML.pageStart(title: "CensorScope report", style: style)
        out += table(["#", "Target", "Verdict", "Blocked", "Trigger", "Censor hop", "Summary"],
                     investigations.enumerated().map { i, inv in
                         [String(i + 1), inv.endpoint, inv.verdict, ReportText.blocked(inv), inv.trigger?.kind ?? "",
                          inv.location.map { l in l.ttl.map(String.init) ?? "?" } ?? "", inv.summary ?? ""]
                     }, cls: "summary")
        for (i, inv) in investigations.enumerated() { out += section(inv, index: i + 1) }
        return out + "</body>\n</html>\n"
    }

    static func section(_ inv: InvestigationRecord, index: Int) -> String {
        let verdictClass = inv.blocked == true ? "blocked" : inv.blocked == false ? "open" : "unknown"
        var s = "<section id=\"result-\(index)\">\n"
        s += "<h2>\(index). \(HTML.escape(inv.endpoint)) <span class=\"verdict \(verdictClass)\">\(HTML.escape(inv.verdict))</span></h2>\n"
        if let summary = inv.summary { s += "<p class=\"summary-text\">\(HTML.escape(summary))</p>\n" }
        s += "<dl>\n"
        for fact in ReportText.facts(inv) {
            s += "<dt>\(HTML.escape(fact.label))</dt><dd>\(HTML.escape(fact.text))</dd>\n"
        }
        s += "</dl>\n<figure>\n" + PathDiagram.svg(for: inv, id: index) + "\n<figcaption>The path from the client to "
        s += "\(HTML.escape(inv.target)), and where each answer came from.</figcaption>\n</figure>\n"
        if !inv.synVariants.isEmpty {
            s += "<h3>SYN variants</h3>\n" + table(ReportText.synVariantHeader, inv.synVariants.map(ReportText.synVariantRow))
        }
        if let steps = inv.payloadSweep.steps, !steps.isEmpty {
            s += "<h3>Payload sweep: test beside control, per TTL</h3>\n"
                + table(ReportText.sweepHeader(inv), steps.map(ReportText.sweepRow), cls: "sweep")
        }
        if !inv.displayPath.isEmpty {
            s += "<h3>Path</h3>\n" + table(ReportText.hopHeader, inv.displayPath.map(ReportText.hopRow))
        }
        if let testPath = inv.testPath, !testPath.isEmpty, !inv.controlPath.isEmpty {
            s += "<h3>Path seen by the blocked probes</h3>\n" + table(ReportText.hopHeader, testPath.map(ReportText.hopRow))
        }
        if !inv.answers.isEmpty {
            s += "<h3>Answers</h3>\n" + table(ReportText.answerHeader, inv.answers.map(ReportText.answerRow))
        }
        if !inv.evidence.isEmpty {
            s += "<h3>Evidence</h3>\n<ul>\n"
            for claim in inv.evidence { s += "<li>\(HTML.escape(ReportText.evidence(claim)))</li>\n" }
            s += "</ul>\n"
        }
        return s + "</section>\n"
    }

    static func table(_ header: [String], _ rows: [[String]], cls: String? = nil) -> String {
        var s = cls.map { "<table class=\"\($0)\">" } ?? "<table>"
        s += "\n<thead><tr>" + header.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows { s += "<tr>" + row.map { "<td>\(HTML.escape($0))</td>" }.joined() + "</tr>\n" }
        return s + "</tbody></table>\n"
    }

    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#212121}
        h1{font-size:1.6em}h2{font-size:1.3em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
        h3{font-size:1.05em}table{border-collapse:collapse;margin:.5em 0 1em}
        th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f5f5f5}
        .verdict{font-size:.8em;padding:.15em .5em;border-radius:.3em;color:#fff;background:#757575}
        .verdict.blocked{background:#c62828}.verdict.open{background:#2e7d32}
        dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}dd{margin:0}
        figure{margin:1em 0;overflow-x:auto}figcaption{font-size:.85em;color:#616161}
        svg.path text{font-size:11px;fill:#212121}svg.path text.addr{font-size:10px;fill:#455a64}
        svg.path text.censor{fill:#c62828;font-weight:600}svg.path text.star{font-size:14px}
        svg.path text.alabel{font-size:10.5px}
        svg.path text.alabel,svg.path text.addr{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
        """
}
