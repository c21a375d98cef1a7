import Analysis
import Records

/// The pages of `censorscope serve`: the campaign overview with filters and the results
/// table, and a page per target. Pure: the server hands in the values, these return HTML
/// (no script, no external resource, the same Content-Security-Policy as the reports).
public enum DashboardHTML {
    /// Rows per page of the results table.
    public static let pageSize = 200

    /// The overview. `shown` are indices into `o.records` that pass `filter`; `itemIDs[i]`
    /// is record i's item in the store (its page is /target/ID); `problem` is a sentence
    /// about a filter that was refused.
    public static func overview(_ o: CampaignOverview, filter: ResultFilter, shown: [Int], page: Int, itemIDs: [Int64],
                                problem: String?) -> String {
        // While a campaign runs, the page reloads itself: progress without a script.
        let head = o.header.state == .running ? "\n<meta http-equiv=\"refresh\" content=\"5\">" : ""
        var out = HTML.pageStart(title: "Campaign " + HTML.escape(o.header.name), style: HTMLReport.style + CampaignHTML.style + style,
                                 head: head)
        out += "<nav><a href=\"/\">Overview</a> · <a href=\"/api/campaign\">/api/campaign</a> · "
        out += "<a href=\"/api/results\(HTML.escape(query(filter.queryItems)))\">/api/results</a></nav>\n"
        out += CampaignHTML.header(o.header)
        if o.header.state == .running {
            out += "<p><progress max=\"\(o.header.total)\" value=\"\(o.header.measured)\"></progress> live: this page reloads every 5 s</p>\n"
        }
        out += "<h2 id=\"verdicts\">Results by verdict</h2>\n<figure>\n"
        out += VerdictChart.svg(o.totals, blocked: o.blockedVerdicts) { query([("verdict", $0)]) + "#results" } + "\n</figure>\n"
        out += CampaignHTML.devices(o)
        out += CampaignHTML.breakdowns(o)
        out += form(o, filter)
        if let problem { out += "<p class=\"problem\" role=\"alert\">\(HTML.escape(problem))</p>\n" }
        out += results(o, shown: shown, page: page, filter: filter, itemIDs: itemIDs)
        return out + "</body>\n</html>\n"
    }

    static func form(_ o: CampaignOverview, _ filter: ResultFilter) -> String {
        var s = "<h2 id=\"filters\">Filters</h2>\n<form class=\"filters\" method=\"get\" action=\"/#results\">\n"
        s += "<label>Verdict <select name=\"verdict\"><option value=\"\">any</option>"
        for total in o.totals {
            let selected = filter.verdict == total.verdict ? " selected" : ""
            s += "<option value=\"\(HTML.escape(total.verdict))\"\(selected)>\(HTML.escape(total.verdict)) (\(total.count))</option>"
        }
        s += "</select></label>\n"
        let fields: [(String, String, String?, String)] = [
            ("Port", "port", filter.port.map(String.init), "80"), ("Prefix", "prefix", filter.prefix?.description, "198.18.21.0/24"),
            ("AS", "as", filter.asn, "AS64500"), ("Vantage", "vantage", filter.vantage, o.header.vantages.first ?? ""),
        ]
        for (label, name, value, example) in fields {
            s += "<label>\(label) <input name=\"\(name)\" value=\"\(HTML.escape(value ?? ""))\" placeholder=\"\(HTML.escape(example))\" size=\"14\"></label>\n"
        }
        return s + "<button type=\"submit\">Filter</button> <a href=\"/#results\">clear</a>\n</form>\n"
    }

    static func results(_ o: CampaignOverview, shown: [Int], page: Int, filter: ResultFilter, itemIDs: [Int64]) -> String {
        let pages = max(1, (shown.count + pageSize - 1) / pageSize)
        let page = min(max(page, 1), pages)
        let slice = shown.dropFirst((page - 1) * pageSize).prefix(pageSize)
        var s = "<h2 id=\"results\">Results: \(shown.count) of \(o.records.count)"
        s += filter.isEmpty ? "" : " (filtered)"
        s += "</h2>\n<table class=\"targets results\">\n<thead><tr><th>#</th><th>Target</th><th>Verdict</th><th>Trigger</th>"
        s += "<th>Device</th><th>Summary</th></tr></thead>\n<tbody>\n"
        for i in slice {
            let inv = o.records[i]
            let cls = inv.blocked == true ? "b" : inv.verdict == "reachable" ? "r" : "o"
            let link = i < itemIDs.count ? "/target/\(itemIDs[i])" : "#"
            s += "<tr class=\"\(cls)\"><td>\(i + 1)</td><td><a href=\"\(link)\">\(HTML.escape(inv.endpoint))</a></td>"
            s += "<td>\(HTML.escape(inv.verdict))</td><td>\(HTML.escape(inv.trigger?.kind ?? ""))</td><td>"
            if let c = o.deviceOf[i] { s += "<a href=\"#device-\(c + 1)\">\(c + 1)</a>" }
            s += "</td><td>\(HTML.escape(inv.summary ?? ""))</td></tr>\n"
        }
        s += "</tbody></table>\n"
        if pages > 1 {
            s += "<p class=\"pages\">Page \(page) of \(pages)"
            if page > 1 { s += " · <a href=\"\(HTML.escape(query(filter.queryItems + [("page", String(page - 1))])))#results\">previous</a>" }
            if page < pages { s += " · <a href=\"\(HTML.escape(query(filter.queryItems + [("page", String(page + 1))])))#results\">next</a>" }
            s += "</p>\n"
        }
        return s
    }

    /// One target: its facts, path diagram, payload sweep, answers and evidence, as in the
    /// single-target report, and the evidence pcapng to download when the store names one.
    public static func target(_ inv: InvestigationRecord, itemID: Int64, campaign: String, hasEvidence: Bool) -> String {
        var out = HTML.pageStart(title: HTML.escape(inv.endpoint) + " — campaign " + HTML.escape(campaign), style: HTMLReport.style)
        out += "<nav><a href=\"/\">Overview</a> · <a href=\"/api/results/\(itemID)\">JSON</a>"
        if hasEvidence { out += " · <a href=\"/target/\(itemID)/evidence.pcapng\" download>evidence (pcapng)</a>" }
        out += "</nav>\n"
        return out + HTMLReport.section(inv, index: 1) + "</body>\n</html>\n"
    }

    /// A page for a refused request: the status and one sentence.
    public static func problem(_ status: Int, _ sentence: String) -> String {
        HTML.pageStart(title: "CensorScope: \(status)", style: HTMLReport.style)
            + "<p class=\"problem\">\(HTML.escape(sentence))</p>\n<p><a href=\"/\">Overview</a></p>\n</body>\n</html>\n"
    }

    /// "?a=1&b=x%20y" (percent-encoded), or "" for no items.
    public static func query(_ items: [(name: String, value: String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\($0.name)=\(percentEncoded($0.value))" }.joined(separator: "&")
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII, c.isLetter || c.isNumber || "-._~:".contains(c) { out.append(c) } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }

    static let style = """

        nav{font-size:.9em;margin-bottom:1em}.filters{display:flex;flex-wrap:wrap;gap:.5em 1.2em;align-items:center}
        .problem{background:#ffebee;border:1px solid #c62828;padding:.4em .8em}svg.chart a:hover rect{opacity:.75}
        """
}
