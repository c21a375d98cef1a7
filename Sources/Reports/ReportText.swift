import Records

/// Plain-text sentences and table cells shared by the Markdown and HTML reports; each
/// format escapes them its own way.
enum ReportText {
    static func blocked(_ inv: InvestigationRecord) -> String {
        inv.blocked.map { $0 ? "yes" : "no" } ?? "?"
    }

    static func trigger(_ trigger: InvestigationRecord.Trigger?) -> String? {
        guard let trigger else { return nil }
        var sentences: [String] = []
        switch (trigger.kind, trigger.detail) {
        case let (kind?, detail?): sentences.append(kind + ": " + detail)
        case let (kind?, nil): sentences.append(kind)
        case let (nil, detail?): sentences.append(detail)
        case (nil, nil): break
        }
        if !trigger.blocked.isEmpty { sentences.append("Blocked: " + trigger.blocked.joined(separator: ", ")) }
        if !trigger.passed.isEmpty { sentences.append("Passed: " + trigger.passed.joined(separator: ", ")) }
        // Sentences end with a full stop unless they already do.
        let text = sentences.map { $0.hasSuffix(".") ? $0 : $0 + "." }.joined(separator: " ")
        return text.isEmpty ? nil : text
    }

    static func location(_ location: InvestigationRecord.Location?) -> String? {
        guard let location else { return nil }
        var head = location.ttl.map { "hop \($0)" } ?? "hop ?"
        if let address = location.address { head += " (\(address))" }
        var parts = [head]
        if let before = location.before { parts.append("after \(before)") }
        if let onPath = location.onPath { parts.append(onPath ? "on-path (a copy of the traffic)" : "in-path") }
        if let confidence = location.confidence { parts.append("confidence \(confidence)") }
        var text = parts.joined(separator: ", ")
        if let reason = location.reason { text += ": " + reason }
        return text
    }

    /// The forged packets' fingerprint and the reasons that are about them: a reason the
    /// location already gives (the engine may list it under both) is said once, there.
    static func injector(_ injector: InvestigationRecord.Injector?, location: InvestigationRecord.Location? = nil) -> String? {
        guard var injector else { return nil }
        if let said = location?.reason { injector.reasons = injector.reasons.filter { !said.contains($0) } }
        var parts: [String] = []
        if let ttl = injector.ttl { parts.append("TTL \(ttl)") }
        if let id = injector.ipID { parts.append("IP ID \(id)") }
        if let df = injector.df { parts.append(df ? "DF" : "no DF") }
        if let window = injector.window { parts.append("window \(window)") }
        if let flags = injector.flags { parts.append("flags \(flags)") }
        if let copies = injector.copies { parts.append(copies == 1 ? "1 copy" : "\(copies) copies") }
        var text = parts.joined(separator: ", ")
        if !injector.reasons.isEmpty { text += (text.isEmpty ? "" : ": ") + injector.reasons.joined(separator: " ") }
        return text.isEmpty ? nil : text
    }

    static func genuine(_ inv: InvestigationRecord) -> String? {
        guard let genuine = inv.genuine, genuine.ttl != nil || genuine.source != nil else { return nil }
        var text = genuine.ttl.map { "TTL \($0)" } ?? "TTL ?"
        if let source = genuine.source { text += " (\(source))" }
        return text
    }

    static func request(_ request: PayloadRequestRecord?) -> String? {
        guard let request else { return nil }
        let text = [request.kind, request.name].compactMap { $0 }.joined(separator: " ")
        return text.isEmpty ? nil : text
    }

    /// The facts listed under each investigation, in order, absent ones left out.
    static func facts(_ inv: InvestigationRecord) -> [(label: String, text: String)] {
        let rows: [(String, String?)] = [
            ("Target", inv.endpoint),
            ("Verdict", inv.verdict),
            ("Blocked", blocked(inv)),
            ("Test", request(inv.test)),
            ("Control", request(inv.control)),
            ("Trigger", trigger(inv.trigger)),
            ("Location", location(inv.location)),
            ("Injector", injector(inv.injector, location: inv.location)),
            ("Genuine host", genuine(inv)),
            ("Measured", inv.measurementStartTime.map { $0 + " UTC" }),
            ("Runtime", inv.runtimeSeconds.map { formatNumber($0) + " s" }),
            ("Evidence file", inv.evidenceFile),
        ]
        return rows.compactMap { label, text in text.map { (label, $0) } }
    }

    static let synVariantHeader = ["Variant", "Size", "Result", "Injected", "Reply TTL", "Reply IP ID", "Flags", "RTT (ms)"]

    static func synVariantRow(_ v: InvestigationRecord.SYNVariant) -> [String] {
        [v.variant ?? "?", v.size.map { "\($0) bytes" } ?? "", v.result ?? "", v.injected.map { $0 ? "yes" : "no" } ?? "",
         v.response?.ttl.map(String.init) ?? "", v.response?.ipID.map(String.init) ?? "", v.response?.flags ?? "",
         v.rttMilliseconds.map { formatNumber($0) } ?? ""]
    }

    /// The payload sweep's columns: the TTL, then what the test and the control payloads drew.
    static func sweepHeader(_ inv: InvestigationRecord) -> [String] {
        ["TTL", "Test" + (request(inv.test).map { " (\($0))" } ?? ""),
         "Control" + (request(inv.control).map { " (\($0))" } ?? ""), "Differs"]
    }

    static func sweepRow(_ step: PayloadStepRecord) -> [String] {
        let test = observation(step.test), control = observation(step.control)
        return [step.ttl.map(String.init) ?? "?", test, control, test == control ? "" : "yes"]
    }

    /// "rst from 198.18.9.2 (TTL 58, IP ID 1, R)", "time-exceeded from 198.18.1.1", "data: HTTP/1.1 200 OK".
    static func observation(_ o: PayloadObservationRecord) -> String {
        var text = o.outcome ?? "?"
        if let from = o.from { text += " from \(from)" }
        if let f = o.fingerprint {
            let parts = [f.ttl.map { "TTL \($0)" }, f.ipID.map { "IP ID \($0)" }, f.flags].compactMap { $0 }
            if !parts.isEmpty, o.outcome != "time-exceeded" { text += " (" + parts.joined(separator: ", ") + ")" }
        }
        if let line = o.firstLine { text += ": " + line }
        return text
    }

    static let hopHeader = ["TTL", "Address", "RTT (ms)", "Kind", "AS"]

    static func hopRow(_ hop: HopRecord) -> [String] {
        let asText = [hop.asLabel, hop.asName].compactMap { $0 }.joined(separator: " ")
        return [hop.ttl.map(String.init) ?? "?", hop.address ?? "*", hop.rttMilliseconds.map { formatNumber($0) } ?? "",
                hop.kind ?? "", asText]
    }

    static let answerHeader = ["Probe", "From", "TTL", "Kind", "Forged"]

    static func answerRow(_ a: InvestigationRecord.ObservedAnswer) -> [String] {
        [a.probe ?? "", a.from ?? "", a.ttl.map(String.init) ?? "", a.kind ?? "", a.forged.map { $0 ? "yes" : "no" } ?? ""]
    }

    static func evidence(_ claim: InvestigationRecord.EvidenceClaim) -> String {
        guard !claim.packets.isEmpty else { return claim.claim }
        let word = claim.packets.count == 1 ? "packet" : "packets"
        return claim.claim + " (\(word) " + claim.packets.map(String.init).joined(separator: ", ") + ")"
    }
}

/// Markdown: a summary table over all investigations, then one section each.
public enum MarkdownReport {
    public static func render(_ investigations: [InvestigationRecord]) -> String {
        var out = "# CensorScope report\n\n"
        out += table(["#", "Target", "Verdict", "Blocked", "Trigger", "Censor hop", "Summary"],
                     investigations.enumerated().map { i, inv in
                         [String(i + 1), inv.endpoint, inv.verdict, ReportText.blocked(inv), inv.trigger?.kind ?? "",
                          inv.location.map { l in l.ttl.map(String.init) ?? "?" } ?? "", inv.summary ?? ""]
                     })
        for (i, inv) in investigations.enumerated() {
            out += "\n## \(i + 1). \(escape(inv.endpoint)): \(escape(inv.verdict))\n\n"
            if let summary = inv.summary { out += escape(summary) + "\n\n" }
            for fact in ReportText.facts(inv) { out += "- **\(fact.label):** \(escape(fact.text))\n" }
            if !inv.synVariants.isEmpty {
                out += "\n### SYN variants\n\n" + table(ReportText.synVariantHeader, inv.synVariants.map(ReportText.synVariantRow))
            }
            if let steps = inv.payloadSweep.steps, !steps.isEmpty {
                out += "\n### Payload sweep: test beside control, per TTL\n\n"
                    + table(ReportText.sweepHeader(inv), steps.map(ReportText.sweepRow))
            }
            if !inv.displayPath.isEmpty {
                out += "\n### Path\n\n" + table(ReportText.hopHeader, inv.displayPath.map(ReportText.hopRow))
            }
            if let testPath = inv.testPath, !testPath.isEmpty, !inv.controlPath.isEmpty {
                out += "\n### Path seen by the blocked probes\n\n" + table(ReportText.hopHeader, testPath.map(ReportText.hopRow))
            }
            if !inv.answers.isEmpty {
                out += "\n### Answers\n\n" + table(ReportText.answerHeader, inv.answers.map(ReportText.answerRow))
            }
            if !inv.evidence.isEmpty {
                out += "\n### Evidence\n\n"
                for claim in inv.evidence { out += "- " + escape(ReportText.evidence(claim)) + "\n" }
            }
        }
        return out
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var out = "| " + header.joined(separator: " | ") + " |\n"  // headers are ours, not input
        out += "|" + String(repeating: " --- |", count: header.count) + "\n"
        for row in rows { out += "| " + row.map(escape).joined(separator: " | ") + " |\n" }
        return out
    }

    /// Text that Markdown shows as written: markup characters backslash-escaped, `<` and
    /// `&` as entities (renderers pass raw HTML through), line breaks as spaces.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\n", "\r", "\t": out += " "
            case "\\", "`", "*", "_", "[", "]", "|", "~": out += "\\" + String(scalar)
            case "#" where out.isEmpty: out += "\\#"  // a heading only at the start of a line
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// A number for people: integers without a fraction, others with up to `digits` decimals.
func formatNumber(_ value: Double, digits: Int = 2) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    var scale = 1.0
    for _ in 0..<max(0, min(digits, 9)) { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int64(rounded)) : String(rounded)
}
