import Records

/// An inline SVG of one investigation's path: the client, hop 1 … the target left to
/// right, silent hops as "*", the censor's hop boxed, and each answer an arrow back to
/// the client, red when forged and green when genuine.
public enum PathDiagram {
    /// Hops beyond this are not drawn (a hostile TTL must not make a mile-wide picture).
    public static let maxHops = 40
    /// Answers beyond this are counted in a note rather than drawn.
    public static let maxAnswers = 16

    static let spacing = 96
    static let margin = 60
    static let nodeY = 70
    static let firstArrowY = 140
    static let arrowGap = 26
    static let forgedColour = "#c62828"
    static let genuineColour = "#2e7d32"
    static let unknownColour = "#757575"

    /// The SVG element; `id` makes its marker ids unique within one HTML page.
    public static func svg(for inv: InvestigationRecord, id: Int) -> String {
        let layout = Layout(inv)
        let distinct = DistinctAnswer.group(inv.answers)
        let answers = Array(distinct.prefix(maxAnswers))
        let width = margin * 2 + spacing * layout.targetColumn
        let legendY = firstArrowY + answers.count * arrowGap + (distinct.count > maxAnswers ? 24 : 0) + 10
        let height = legendY + 80
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"path\" width=\"\(max(width, 560))\" height=\"\(height)\" "
        s += "viewBox=\"0 0 \(max(width, 560)) \(height)\" role=\"img\" aria-label=\"path to \(HTML.escape(inv.endpoint))\">\n"
        s += "<defs>"
        for (name, colour) in [("forged", forgedColour), ("genuine", genuineColour), ("unknown", unknownColour)] {
            s += "<marker id=\"arrow-\(name)-\(id)\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
            s += "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"\(colour)\"/></marker>"
        }
        s += "</defs>\n"
        s += "<line x1=\"\(x(0))\" y1=\"\(nodeY)\" x2=\"\(x(layout.targetColumn))\" y2=\"\(nodeY)\" stroke=\"#9e9e9e\" stroke-width=\"2\"/>\n"
        if let censor = layout.censorColumn {
            s += "<rect x=\"\(x(censor) - 30)\" y=\"\(nodeY - 48)\" width=\"60\" height=\"112\" rx=\"6\" fill=\"#ffebee\" "
            s += "stroke=\"\(forgedColour)\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\n"
            let kind = inv.location?.onPath == true ? "censor (on-path)" : "censor"
            s += text(x(censor), nodeY - 54, kind, cls: "censor")
        }
        for column in 0...layout.targetColumn { s += node(column, layout) }
        for (i, answer) in answers.enumerated() {
            s += arrow(answer, y: firstArrowY + i * arrowGap, layout: layout, id: id)
        }
        if distinct.count > maxAnswers {
            let y = firstArrowY + answers.count * arrowGap + 8
            s += text(x(0), y, "… and \(distinct.count - maxAnswers) more distinct answers (see the table)", anchor: "start")
        }
        s += legend(y: legendY, id: id)
        return s + "</svg>"
    }

    /// Which column each thing sits in: 0 is the client, column n is TTL n.
    struct Layout {
        var hops: [Int: HopRecord] = [:]
        var targetColumn: Int
        var censorColumn: Int?
        var target: String
        var targetTTL: Int?
        /// TTLs drawn as "*".
        var silent: Set<Int> = []

        init(_ inv: InvestigationRecord) {
            target = inv.target
            for hop in inv.displayPath {
                guard let ttl = hop.ttl, ttl >= 1, ttl <= PathDiagram.maxHops, hops[ttl] == nil else { continue }
                hops[ttl] = hop
            }
            // The target is the first hop of the drawn path (the control path when there is one:
            // a forged answer on the test path carries the target's address) that answered from
            // the target's address, else one past the last hop.
            targetTTL = hops.filter { $0.value.address == inv.target }.map(\.key).min()
            if let t = targetTTL { hops = hops.filter { $0.key <= t } }
            var last = hops.keys.max() ?? 0
            if let censor = inv.location?.ttl, censor >= 1, censor <= PathDiagram.maxHops {
                censorColumn = censor
                last = max(last, censor)
            }
            targetColumn = targetTTL ?? (last + 1)
            if let c = censorColumn, c > targetColumn { censorColumn = nil }
            // A hop is silent when it did not answer the control probes, or the blocked probes.
            let testSilent = (inv.controlPath.isEmpty ? [] : inv.testPath ?? []).filter { $0.address == nil }.compactMap(\.ttl)
            silent = Set((1..<max(targetColumn, 1)).filter { hops[$0]?.address == nil }).union(
                testSilent.filter { $0 >= 1 && $0 < targetColumn })
        }

        /// The column of the node that has `address`, if any.
        func column(of address: String?) -> Int? {
            guard let address else { return nil }
            if address == target { return targetColumn }
            return hops.filter { $0.value.address == address }.map(\.key).min()
        }
    }

    static func x(_ column: Int) -> Int { margin + column * spacing }

    static func node(_ column: Int, _ layout: Layout) -> String {
        let isClient = column == 0, isTarget = column == layout.targetColumn
        let hop = layout.hops[column]
        let silent = !isClient && !isTarget && layout.silent.contains(column)
        let fill = isClient ? "#1565c0" : isTarget ? "#37474f" : silent ? "#ffffff" : "#90a4ae"
        var s = "<g class=\"node\"><circle cx=\"\(x(column))\" cy=\"\(nodeY)\" r=\"13\" fill=\"\(fill)\" stroke=\"#37474f\" stroke-width=\"1.5\"/>"
        if silent { s += text(x(column), nodeY + 5, "*", cls: "star") }
        let label = isClient ? "client" : isTarget ? "target" : "hop \(column)"
        s += text(x(column), nodeY - 20, label, cls: "label")
        let address = isTarget ? layout.target : isClient ? "" : (hop?.address ?? "*")
        // Alternate heights so long neighbouring addresses do not overlap.
        if !address.isEmpty { s += text(x(column), nodeY + (column % 2 == 0 ? 30 : 44), address, cls: "addr") }
        return s + "</g>\n"
    }

    static func arrow(_ distinct: DistinctAnswer, y: Int, layout: Layout, id: Int) -> String {
        let answer = distinct.answer
        let name = answer.forged == true ? "forged" : answer.forged == false ? "genuine" : "unknown"
        let colour = answer.forged == true ? forgedColour : answer.forged == false ? genuineColour : unknownColour
        // A forged answer comes from the censor, whatever source address it claims.
        let start = (answer.forged == true ? layout.censorColumn : nil)
            ?? layout.column(of: answer.from) ?? layout.targetColumn
        let startX = x(max(start, 1)), endX = x(0) + 16
        var s = "<g class=\"answer \(name)\"><path d=\"M\(startX),\(nodeY + 14) L\(startX),\(y) L\(endX),\(y)\" fill=\"none\" "
        s += "stroke=\"\(colour)\" stroke-width=\"2\" marker-end=\"url(#arrow-\(name)-\(id))\"/>"
        var label = [answer.kind, answer.ttl.map { "TTL \($0)" }].compactMap { $0 }.joined(separator: ", ")
        if let from = answer.from { label += " from \(from)" }
        label += " ← " + distinct.probesText
        s += text(endX + 8, y - 5, label, cls: "alabel", anchor: "start", fill: colour)
        return s + "</g>\n"
    }

    static func legend(y: Int, id: Int) -> String {
        var s = "<g class=\"legend\">"
        let items: [(String, String)] = [("forged", forgedColour), ("genuine", genuineColour)]
        let words = ["forged answer (from the censor)", "genuine answer (from the host or a router)"]
        for (i, item) in items.enumerated() {
            let ly = y + i * 20
            s += "<line x1=\"\(margin + 40)\" y1=\"\(ly)\" x2=\"\(margin)\" y2=\"\(ly)\" stroke=\"\(item.1)\" stroke-width=\"2\" "
            s += "marker-end=\"url(#arrow-\(item.0)-\(id))\"/>"
            s += text(margin + 50, ly + 4, words[i], anchor: "start")
        }
        let ly = y + 40
        s += "<rect x=\"\(margin)\" y=\"\(ly - 8)\" width=\"40\" height=\"16\" fill=\"#ffebee\" stroke=\"\(forgedColour)\" stroke-dasharray=\"5 3\"/>"
        s += text(margin + 50, ly + 4, "the censor's hop", anchor: "start")
        s += "<circle cx=\"\(margin + 20)\" cy=\"\(ly + 20)\" r=\"8\" fill=\"#ffffff\" stroke=\"#37474f\"/>"
        s += text(margin + 20, ly + 25, "*", cls: "star")
        s += text(margin + 50, ly + 24, "a hop that did not answer (the control or the blocked probes)", anchor: "start")
        return s + "</g>\n"
    }

    static func text(_ x: Int, _ y: Int, _ content: String, cls: String? = nil, anchor: String = "middle",
                     fill: String? = nil) -> String {
        var s = "<text x=\"\(x)\" y=\"\(y)\" text-anchor=\"\(anchor)\""
        if let cls { s += " class=\"\(cls)\"" }
        if let fill { s += " style=\"fill:\(fill)\"" }
        return s + ">" + HTML.escape(content) + "</text>"
    }
}

/// Answers that look alike (same source, kind, TTL and forgery), drawn as one arrow
/// labelled with the probes that drew them.
struct DistinctAnswer {
    var answer: InvestigationRecord.ObservedAnswer
    var probes: [String]
    var count: Int

    /// In order of first appearance.
    static func group(_ answers: [InvestigationRecord.ObservedAnswer]) -> [DistinctAnswer] {
        var out: [DistinctAnswer] = []
        var index: [String: Int] = [:]
        for a in answers {
            let key = [a.from ?? "", a.kind ?? "", a.ttl.map(String.init) ?? "", a.forged.map { $0 ? "f" : "g" } ?? ""]
                .joined(separator: "|")
            if let i = index[key] {
                out[i].count += 1
                if let p = a.probe { out[i].probes.append(p) }
            } else {
                index[key] = out.count
                out.append(DistinctAnswer(answer: a, probes: a.probe.map { [$0] } ?? [], count: 1))
            }
        }
        return out
    }

    /// "syn linux ttl 64", "syn linux ttl 2, syn linux ttl 3", "12 probes (syn mss ttl 64, …)".
    var probesText: String {
        if probes.isEmpty { return count == 1 ? "1 probe" : "\(count) probes" }
        if probes.count <= 2 { return probes.joined(separator: ", ") }
        return "\(count) probes (\(probes[0]), …)"
    }
}

/// HTML escaping for text and attribute values, and the pages' common head.
public enum HTML {
    /// A self-contained page up to its heading: the doctype, the Content-Security-Policy
    /// that forbids scripts and external resources, `title` (as given: already escaped)
    /// and the inline `style`; `head` goes in the head as it is (already markup).
    static func pageStart(title: String, style: String, head: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">\(head)
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title)</title>
        <style>\(style)</style>
        </head>
        <body>
        <h1>\(title)</h1>

        """
    }

    /// Escapes `& < > " '` and drops control characters that are not allowed in HTML.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
