import Analysis

/// `analyze` as text: the sweeps side by side TTL by TTL, then the conclusion.
public enum SweepText {
    public static func lines(_ pair: SweepPair) -> [String] {
        let (r, test, control) = (pair.comparison, pair.test, pair.control)
        var lines = ["test:    " + header(test)]
        if let control { lines.append("control: " + header(control)) }
        let ttls = Array(Set(test.ttls + (control?.ttls ?? []))).sorted()
        lines.append(" ttl  " + (control == nil ? "test" : pad("test", 66) + "control"))
        for ttl in ttls {
            let row = control.map { pad(cell(test, ttl, limit: 64), 66) + cell($0, ttl, limit: 64) } ?? cell(test, ttl, limit: nil)
            lines.append(String(ttl).leftPadded(4) + "  " + row)
        }
        var verdict = "outcome: \(r.outcome.rawValue)"
        if let m = r.mechanism { verdict += " (\(m))" }
        lines.append(verdict + ", confidence \(r.confidence.rawValue)")
        lines.append("terminating TTL: test \(r.terminatingTTL.test.map(String.init) ?? "none")"
                     + (control == nil ? "" : ", control \(r.terminatingTTL.control.map(String.init) ?? "none")"))
        if let m = r.middlebox {
            // As investigate's location line reads: the device sits after the router one TTL
            // before it (`before` in the JSON) and before the one after it.
            lines.append("middlebox: \(m.address?.description ?? "unknown") (after \(m.before?.description ?? "unknown"), before \(m.after?.description ?? "unknown"))")
        }
        if let onPath = r.onPath { lines.append("on-path: \(onPath ? "yes" : "no")") }
        if r.injectorCopiesTTL { lines.append("injector copies the probe's TTL: yes") }
        lines += r.reasons.map { "- " + $0 }
        lines += pair.notes.map { "note: " + $0 }
        return lines
    }

    /// `198.18.9.2 port 80, domain blocked.example, TTLs 1-8, 16 probes`.
    static func header(_ s: PayloadSweep) -> String {
        let ttls = s.ttls
        let range = ttls.first.map { f in ttls.last.map { $0 == f ? "TTL \(f)" : "TTLs \(f)-\($0)" } ?? "" } ?? "no TTLs"
        return "\(s.target) port \(s.port), domain \(s.domain ?? "unknown"), \(range), \(s.probes.count) probe\(s.probes.count == 1 ? "" : "s")"
    }

    /// The TTL's folded answer, and how many probes there were; cut to `limit` characters.
    static func cell(_ s: PayloadSweep, _ ttl: Int, limit: Int?) -> String {
        let probes = s.probes(at: ttl)
        guard let first = probes.first else { return "-" }
        var text = PayloadText.summary(s.answer(at: ttl) ?? first.observation)
        if probes.count > 1 { text += " [\(probes.count) probes]" }
        if let limit, text.count > limit { text = String(text.prefix(limit - 3)) + "..." }
        return text
    }

    /// At least two spaces after `s`, at least `width` columns in all.
    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + "  " : s.padded(width) }
}
