/// The totals by verdict as an inline SVG bar chart: one horizontal bar per verdict, red for
/// verdicts that block, green for reachable, grey for the rest, each labelled with its count.
public enum VerdictChart {
    static let barHeight = 22
    static let gap = 8
    static let labelWidth = 150
    static let barWidth = 420

    /// `link` gives a bar's target (already a URL, escaped here), making it a link.
    public static func svg(_ totals: [(verdict: String, count: Int)], blocked: Set<String>,
                           link: ((String) -> String)? = nil) -> String {
        let all = totals.reduce(0) { $0 + $1.count }
        let biggest = max(totals.map(\.count).max() ?? 1, 1)
        let width = labelWidth + barWidth + 130
        let height = max(totals.count, 1) * (barHeight + gap) + gap
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(width)\" height=\"\(height)\" "
        s += "viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"results by verdict\">\n"
        for (i, total) in totals.enumerated() {
            let y = gap + i * (barHeight + gap)
            let length = max(1, total.count * barWidth / biggest)
            let colour = blocked.contains(total.verdict) ? "#c62828" : total.verdict == "reachable" ? "#2e7d32" : "#757575"
            let percent = all == 0 ? 0 : Double(total.count) * 100 / Double(all)
            if let href = link?(total.verdict) { s += "<a href=\"\(HTML.escape(href))\">" }
            s += "<g class=\"bar\" data-verdict=\"\(HTML.escape(total.verdict))\">"
            s += PathDiagram.text(labelWidth - 8, y + 15, total.verdict, anchor: "end")
            s += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(length)\" height=\"\(barHeight)\" fill=\"\(colour)\"/>"
            s += PathDiagram.text(labelWidth + length + 6, y + 15, "\(total.count) (\(formatNumber(percent, digits: 1)) %)", anchor: "start")
            s += link == nil ? "</g>\n" : "</g></a>\n"
        }
        return s + "</svg>"
    }
}
