import JSONSupport

/// Trace objects (as `trace --json` prints them) in text: one hop per line, or two traces
/// side by side by TTL (`trace --both`).
public enum TraceTable {
    /// A hop's cell: each responding address once with the first RTT, an answer kind that
    /// is not time exceeded in brackets, `*` when silent. `name` renders an address.
    public static func cell(_ hop: JSONValue, name: (String) -> String = { $0 }) -> String {
        let responses = array(hop["responses"]) ?? []
        var parts: [String] = []
        var seen: [String] = []
        for r in responses {
            guard let address = string(r["address"]), !seen.contains(address) else { continue }
            seen.append(address)
            var text = name(address)
            if let rtt = double(r["rtt_ms"]) { text += "  " + milliseconds(rtt) + " ms" }
            if let kind = string(r["kind"]), kind != "time-exceeded" { text += " [\(kind)]" }
            parts.append(text)
        }
        if parts.isEmpty, let address = string(hop["address"]) { parts.append(name(address)) }
        return parts.isEmpty ? "*" : parts.joined(separator: ", ")
    }

    /// ` 3  198.18.3.2  0.438 ms` for each hop of `trace`.
    public static func lines(_ trace: JSONValue, name: (String) -> String = { $0 }) -> [String] {
        (array(trace["hops"]) ?? []).map { hop in
            let ttl = int(hop["ttl"]).map(String.init) ?? "?"
            return String(repeating: " ", count: max(0, 2 - ttl.count)) + ttl + "  " + cell(hop, name: name)
        }
    }

    /// The two traces by TTL: `ttl  forward hop  reverse hop`, the forward column padded
    /// to its widest cell.
    public static func sideBySide(forward: JSONValue, reverse: JSONValue, name: (String) -> String = { $0 }) -> [String] {
        func byTTL(_ trace: JSONValue) -> [Int: String] {
            var out: [Int: String] = [:]
            for hop in array(trace["hops"]) ?? [] { if let ttl = int(hop["ttl"]) { out[ttl] = cell(hop, name: name) } }
            return out
        }
        let f = byTTL(forward), r = byTTL(reverse)
        let ttls = Set(f.keys).union(r.keys).sorted()
        let width = max("forward".count, f.values.map(\.count).max() ?? 0) + 3
        func pad(_ s: String) -> String { s + String(repeating: " ", count: max(1, width - s.count)) }
        var lines = ["ttl  " + pad("forward") + "reverse"]
        for ttl in ttls {
            let t = String(ttl)
            lines.append(String(repeating: " ", count: max(0, 3 - t.count)) + t + "  " + pad(f[ttl] ?? "") + (r[ttl] ?? ""))
        }
        return lines
    }

    /// Every address a trace's hops name, for enrichment.
    public static func addresses(_ trace: JSONValue) -> [String] {
        (array(trace["hops"]) ?? []).flatMap { hop in
            (array(hop["responses"]) ?? []).compactMap { string($0["address"]) } + [string(hop["address"])].compactMap { $0 }
        }
    }

    /// `how the trace ended: N probes, M answers`, as `trace` prints it.
    public static func footer(_ trace: JSONValue) -> String {
        "\(string(trace["stop_reason"]) ?? "?"): \(int(trace["probes_sent"]) ?? 0) probes, \(int(trace["answers"]) ?? 0) answers"
    }

    static func milliseconds(_ value: Double) -> String {
        guard value.isFinite, value >= 0, value < 1e9 else { return "?" }
        let scaled = Int((value * 1000).rounded())
        let fraction = String(scaled % 1000)
        return "\(scaled / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    static func array(_ v: JSONValue?) -> [JSONValue]? { if case .array(let a)? = v { return a }; return nil }
    static func string(_ v: JSONValue?) -> String? { if case .string(let s)? = v { return s }; return nil }
    static func int(_ v: JSONValue?) -> Int? {
        switch v {
        case .int(let i)?: return Int(exactly: i)
        case .double(let d)? where d.isFinite && d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: return nil
        }
    }
    static func double(_ v: JSONValue?) -> Double? {
        switch v {
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default: return nil
        }
    }
}
