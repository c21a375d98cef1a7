import Records

/// One self-contained HTML page for a `routes compare --json` object: the verdict, an
/// inline SVG with the forward path on top (client to server, left to right) and the
/// reverse path below (server to client, right to left), shared routers linked and the
/// censor boxed, then the side-by-side table. Same rules as `HTMLReport`: no scripts, no
/// external resources, every input string escaped.
public enum RoutesHTML {
    /// Rows beyond this are not drawn (a hostile file must not make a mile-wide picture).
    public static let maxRows = 64

    static let spacing = 104
    static let margin = 70
    static let forwardY = 104
    static let reverseY = 244
    static let censorColour = "#c62828"
    static let lineColour = "#9e9e9e"

    /// The page; `title` heads it (e.g. the two file names).
    public static func render(_ comparison: RouteComparisonRecord, title: String = "Route comparison") -> String {
        let record = Record(comparison)
        var out = HTML.pageStart(title: HTML.escape(title), style: HTMLReport.style + style)
        // The summary reads "verdict: sentence"; the verdict becomes the badge.
        let summary = record.summary ?? ""
        let parts = summary.split(separator: ":", maxSplits: 1).map { String($0.drop(while: { $0 == " " })) }
        let word = parts.count == 2 ? parts[0] : record.asymmetric == true ? "asymmetric" : "unknown"
        let verdictClass = word == "asymmetric" ? "blocked" : word == "symmetric" ? "open" : "unknown"
        out += "<p class=\"summary-text\"><span class=\"verdict \(verdictClass)\">\(HTML.escape(word))</span> "
        out += HTML.escape(parts.count == 2 ? parts[1] : summary) + "</p>\n<dl>\n"
        for (label, text) in facts(record) { out += "<dt>\(HTML.escape(label))</dt><dd>\(HTML.escape(text))</dd>\n" }
        out += "</dl>\n<figure>\n" + svg(comparison) + "\n<figcaption>Forward path on top (client to server), reverse "
        out += "path below (server to client); a solid link joins the same address seen both ways, a dashed one the same "
        out += "router through another interface (a point-to-point link seen at mirrored positions).</figcaption>\n</figure>\n"
        out += "<h2>Side by side</h2>\n" + HTMLReport.table(["TTL", "Forward hop", "AS", "Match", "TTL", "Reverse hop", "AS"],
                                                            tableRows(record))
        if !record.sharedSubnets.isEmpty {
            out += "<h2>Links both directions cross</h2>\n" + HTMLReport.table(["Link", "Forward", "Reverse", "Ends"],
                record.sharedSubnets.map { [$0.subnet, $0.forward.joined(separator: ", "), $0.reverse.joined(separator: ", "), $0.ends.joined(separator: ", ")] })
        }
        return out + "</body>\n</html>\n"
    }

    /// The SVG element alone; `id` makes marker ids unique within one page.
    public static func svg(_ comparison: RouteComparisonRecord, id: Int = 1) -> String {
        let record = Record(comparison)
        let rows = Array(record.aligned.prefix(maxRows))
        let serverColumn = rows.count + 1
        let width = max(margin * 2 + spacing * serverColumn, 560)
        let height = reverseY + 204
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"path routes\" width=\"\(width)\" height=\"\(height)\" "
        s += "viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"forward and reverse paths\">\n<defs>"
        s += "<marker id=\"route-arrow-\(id)\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
        s += "orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"\(lineColour)\"/></marker></defs>\n"
        // The two directions, each with an arrow showing which way the probes went.
        s += "<line x1=\"\(x(0) + 22)\" y1=\"\(forwardY)\" x2=\"\(x(serverColumn) - 24)\" y2=\"\(forwardY)\" stroke=\"\(lineColour)\" stroke-width=\"2\" marker-end=\"url(#route-arrow-\(id))\"/>\n"
        s += "<line x1=\"\(x(serverColumn) - 22)\" y1=\"\(reverseY)\" x2=\"\(x(0) + 24)\" y2=\"\(reverseY)\" stroke=\"\(lineColour)\" stroke-width=\"2\" marker-end=\"url(#route-arrow-\(id))\"/>\n"
        s += text(x(0), 20, "forward: client → server", cls: "label", anchor: "start")
        s += text(x(0), reverseY + 88, "reverse: server → client", cls: "label", anchor: "start")
        let censorForward = record.censor?.forwardTTL, censorReverse = record.censor?.reverseTTL
        for (i, row) in rows.enumerated() {
            let column = i + 1
            if let match = row.match {
                s += "<line class=\"link \(match)\" x1=\"\(x(column))\" y1=\"\(forwardY + 14)\" x2=\"\(x(column))\" y2=\"\(reverseY - 14)\" "
                s += "stroke=\"#1565c0\" stroke-width=\"2\"\(match == "link" ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            }
            if let ttl = row.forwardTTL {
                s += node(column, y: forwardY, hop: record.forward.first { $0.ttl == ttl }, ttl: ttl, above: true,
                          censor: ttl == censorForward)
            }
            if let ttl = row.reverseTTL {
                s += node(column, y: reverseY, hop: record.reverse.first { $0.ttl == ttl }, ttl: ttl, above: false,
                          censor: ttl == censorReverse)
            }
        }
        s += end(0, "client", record.client)
        s += end(serverColumn, "server", record.server)
        if record.aligned.count > maxRows {
            s += text(x(0), reverseY + 106, "… and \(record.aligned.count - maxRows) more rows (see the table)", anchor: "start")
        }
        s += legend(y: reverseY + 128)
        return s + "</svg>"
    }

    static func x(_ column: Int) -> Int { margin + column * spacing }

    static func node(_ column: Int, y: Int, hop: Record.Hop?, ttl: Int, above: Bool, censor: Bool) -> String {
        let silent = hop?.silent ?? true
        var s = "<g class=\"node\">"
        if censor {
            let top = above ? y - 58 : y - 16
            s += "<rect x=\"\(x(column) - 46)\" y=\"\(top)\" width=\"92\" height=\"74\" rx=\"6\" fill=\"#ffebee\" "
            s += "stroke=\"\(censorColour)\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>"
            s += text(x(column), above ? top - 5 : top + 87, "censor", cls: "censor")
        }
        let fill = silent ? "#ffffff" : hop?.match == nil ? "#90a4ae" : "#64b5f6"
        s += "<circle cx=\"\(x(column))\" cy=\"\(y)\" r=\"12\" fill=\"\(fill)\" stroke=\"#37474f\" stroke-width=\"1.5\"/>"
        if silent { s += text(x(column), y + 5, "*", cls: "star") }
        let stagger = column % 2 == 0 ? 0 : 12
        let address = hop?.address ?? "*"
        let asText = hop?.asn.map { "AS\($0)" }
        if above {
            s += text(x(column), y - 20 - stagger, address, cls: "addr")
            if let asText { s += text(x(column), y - 32 - stagger, asText, cls: "addr") }
            s += text(x(column) + 16, y + 4, "\(ttl)", cls: "ttl", anchor: "start")
        } else {
            s += text(x(column), y + 28 + stagger, address, cls: "addr")
            if let asText { s += text(x(column), y + 40 + stagger, asText, cls: "addr") }
            s += text(x(column) + 16, y + 4, "\(ttl)", cls: "ttl", anchor: "start")
        }
        return s + "</g>\n"
    }

    static func end(_ column: Int, _ role: String, _ address: String?) -> String {
        var s = "<g class=\"end\"><rect x=\"\(x(column) - 22)\" y=\"\(forwardY - 16)\" width=\"44\" height=\"\(reverseY - forwardY + 32)\" rx=\"10\" "
        s += "fill=\"\(role == "client" ? "#1565c0" : "#37474f")\" stroke=\"#263238\" stroke-width=\"1.5\"/>"
        s += text(x(column), (forwardY + reverseY) / 2 - 4, role, cls: "endlabel")
        if let address { s += text(x(column), reverseY + 34 + (column % 2 == 0 ? 0 : 12), address, cls: "addr") }
        return s + "</g>\n"
    }

    static func legend(y: Int) -> String {
        var s = "<g class=\"legend\">"
        s += "<line x1=\"\(margin)\" y1=\"\(y)\" x2=\"\(margin + 40)\" y2=\"\(y)\" stroke=\"#1565c0\" stroke-width=\"2\"/>"
        s += text(margin + 50, y + 4, "same address in both directions", anchor: "start")
        s += "<line x1=\"\(margin)\" y1=\"\(y + 20)\" x2=\"\(margin + 40)\" y2=\"\(y + 20)\" stroke=\"#1565c0\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>"
        s += text(margin + 50, y + 24, "the same router through another interface (a point-to-point link seen at mirrored positions)", anchor: "start")
        s += "<rect x=\"\(margin)\" y=\"\(y + 32)\" width=\"40\" height=\"16\" fill=\"#ffebee\" stroke=\"\(censorColour)\" stroke-dasharray=\"5 3\"/>"
        s += text(margin + 50, y + 44, "where the censor's address is met in that direction", anchor: "start")
        s += "<circle cx=\"\(margin + 10)\" cy=\"\(y + 60)\" r=\"7\" fill=\"#64b5f6\" stroke=\"#37474f\"/>"
        s += "<circle cx=\"\(margin + 30)\" cy=\"\(y + 60)\" r=\"7\" fill=\"#90a4ae\" stroke=\"#37474f\"/>"
        s += text(margin + 50, y + 64, "a router also on the other path (blue), or only on this one (grey); * did not answer", anchor: "start")
        return s + "</g>\n"
    }

    static func text(_ x: Int, _ y: Int, _ content: String, cls: String? = nil, anchor: String = "middle") -> String {
        PathDiagram.text(x, y, content, cls: cls, anchor: anchor)
    }

    static func facts(_ r: Record) -> [(String, String)] {
        var facts: [(String, String)] = []
        if let client = r.client { facts.append(("Client", client)) }
        if let server = r.server { facts.append(("Server", server)) }
        facts.append(("Forward AS path", asPath(r.forwardASPath, r.asNames)))
        facts.append(("Reverse AS path", asPath(r.reverseASPath, r.asNames)))
        if !r.forwardOnlyHops.isEmpty { facts.append(("Forward only", r.forwardOnlyHops.joined(separator: ", "))) }
        if !r.reverseOnlyHops.isEmpty { facts.append(("Reverse only", r.reverseOnlyHops.joined(separator: ", "))) }
        if let c = r.censor {
            func side(_ name: String, _ ttl: Int?, _ address: String?, _ match: String?) -> String {
                guard let ttl else { return "not on the \(name) path" }
                return "\(name) hop \(ttl)" + (match == "link" ? " (\(address ?? "?"), another interface)" : "")
            }
            let f = side("forward", c.forwardTTL, c.forwardAddress, c.forwardMatch)
            let b = side("reverse", c.reverseTTL, c.reverseAddress, c.reverseMatch)
            facts.append(("Censor", "\(c.address ?? "?"): \(f); \(b)"))
        }
        for note in r.notes { facts.append(("Note", note)) }
        return facts
    }

    static func asPath(_ path: [Int], _ names: [String: String]) -> String {
        guard !path.isEmpty else { return "unknown (no AS database given, or no hop in it)" }
        return path.map { asn in names["AS\(asn)"].map { "AS\(asn) \($0)" } ?? "AS\(asn)" }.joined(separator: " → ")
    }

    static func tableRows(_ r: Record) -> [[String]] {
        r.aligned.map { row in
            let f = row.forwardTTL.flatMap { ttl in r.forward.first { $0.ttl == ttl } }
            let b = row.reverseTTL.flatMap { ttl in r.reverse.first { $0.ttl == ttl } }
            return [row.forwardTTL.map(String.init) ?? "", f.map(cell) ?? "", f?.asn.map { "AS\($0)" } ?? "",
                    row.match ?? "", row.reverseTTL.map(String.init) ?? "", b.map(cell) ?? "", b?.asn.map { "AS\($0)" } ?? ""]
        }
    }

    static func cell(_ hop: Record.Hop) -> String {
        hop.silent ? "*" : hop.addresses.isEmpty ? (hop.address ?? "(name only)") : hop.addresses.joined(separator: ", ")
    }

    static let style = """
        svg.routes text.ttl{font-size:10px;fill:#757575}svg.routes text.endlabel{fill:#fff;font-size:11px;font-weight:600}
        svg.routes text.label{font-size:12px;font-weight:600}
        .verdict.unknown{background:#757575}
        """

    /// What the page draws of a comparison record.
    struct Record {
        struct Hop {
            var ttl: Int
            var address: String?
            var addresses: [String]
            var asn: Int?
            var silent: Bool
            var match: String?
        }
        struct Row {
            var forwardTTL: Int?
            var reverseTTL: Int?
            var match: String?
        }
        struct Censor {
            var address: String?
            var forwardTTL: Int?, reverseTTL: Int?
            var forwardAddress: String?, reverseAddress: String?
            var forwardMatch: String?, reverseMatch: String?
        }
        struct Subnet {
            var subnet: String
            var forward: [String], reverse: [String], ends: [String]
        }

        var asymmetric: Bool?
        var summary: String?
        var client: String?, server: String?
        var forward: [Hop], reverse: [Hop]
        var aligned: [Row]
        var forwardASPath: [Int], reverseASPath: [Int]
        var asNames: [String: String] = [:]
        var forwardOnlyHops: [String], reverseOnlyHops: [String]
        var sharedSubnets: [Subnet]
        var censor: Censor?
        var notes: [String]

        /// The drawable part of a comparison: hops without a TTL are left out, a hop without
        /// `silent` is silent when it has no address.
        init(_ c: RouteComparisonRecord) {
            asymmetric = c.asymmetric
            summary = c.summary
            client = c.client
            server = c.server
            func hops(_ list: [RouteComparisonRecord.Hop]) -> [Hop] {
                list.compactMap { h in
                    guard let ttl = h.ttl else { return nil }
                    return Hop(ttl: ttl, address: h.address, addresses: h.addresses, asn: h.asn,
                               silent: h.silent ?? (h.address == nil), match: h.match)
                }
            }
            forward = hops(c.forward)
            reverse = hops(c.reverse)
            aligned = c.aligned.map { Row(forwardTTL: $0.forwardTTL, reverseTTL: $0.reverseTTL, match: $0.match) }
            forwardASPath = c.forwardASPath
            reverseASPath = c.reverseASPath
            for (key, name) in c.asNames { asNames[key] = name }
            forwardOnlyHops = c.forwardOnlyHops
            reverseOnlyHops = c.reverseOnlyHops
            sharedSubnets = c.sharedSubnets.compactMap { s in
                s.subnet.map { Subnet(subnet: $0, forward: s.forward, reverse: s.reverse, ends: s.ends) }
            }
            censor = c.censor.map {
                Censor(address: $0.address, forwardTTL: $0.forwardTTL, reverseTTL: $0.reverseTTL, forwardAddress: $0.forwardAddress,
                       reverseAddress: $0.reverseAddress, forwardMatch: $0.forwardMatch, reverseMatch: $0.reverseMatch)
            }
            notes = c.notes
        }
    }
}
