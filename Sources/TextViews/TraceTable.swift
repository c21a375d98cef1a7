import Records

/// Traces in text: one hop per line, or two traces side by side by TTL (`trace --both`).
public enum TraceTable {
    /// A hop's cell: each responding address once with the first RTT, an answer kind that
    /// is not time exceeded in brackets, `*` when silent. `name` renders an address.
    public static func cell(_ hop: HopRecord, name: (String) -> String = { $0 }) -> String {
        var parts: [String] = []
        var seen: [String] = []
        for r in hop.responses ?? [] {
            guard let address = r.address, !seen.contains(address) else { continue }
            seen.append(address)
            var text = name(address)
            if let rtt = r.rttMilliseconds { text += "  " + milliseconds(rtt) + " ms" }
            if let kind = r.kind, kind != "time-exceeded" { text += " [\(kind)]" }
            parts.append(text)
        }
        if parts.isEmpty, let address = hop.address { parts.append(name(address)) }
        return parts.isEmpty ? "*" : parts.joined(separator: ", ")
    }

    /// ` 3  198.18.3.2  0.438 ms` for each hop of `trace`.
    public static func lines(_ trace: TraceRecord, name: (String) -> String = { $0 }) -> [String] {
        trace.hops.map { hop in
            let ttl = hop.ttl.map(String.init) ?? "?"
            return String(repeating: " ", count: max(0, 2 - ttl.count)) + ttl + "  " + cell(hop, name: name)
        }
    }

    /// The two traces by TTL: `ttl  forward hop  reverse hop`, the forward column padded
    /// to its widest cell.
    public static func sideBySide(forward: TraceRecord, reverse: TraceRecord, name: (String) -> String = { $0 }) -> [String] {
        func byTTL(_ trace: TraceRecord) -> [Int: String] {
            var out: [Int: String] = [:]
            for hop in trace.hops { if let ttl = hop.ttl { out[ttl] = cell(hop, name: name) } }
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

    /// `trace to A from B, tcp port 80, 44-byte SYN (mss)`: a trace record's first line.
    public static func header(_ t: TraceRecord) -> String {
        var text = "trace to \(t.target ?? "?") from \(t.source ?? "?")"
        let port = t.port ?? 0, size = t.probeSize ?? 0
        switch t.method {
        case "tcp"?: text += ", tcp port \(port), \(size)-byte SYN (\(t.variant ?? "?"))"
        case "udp"?: text += ", udp port \(port), \(size)-byte packets"
        case "icmp"?: text += ", icmp echo, \(size)-byte packets"
        default: break
        }
        return text
    }

    /// `how the trace ended: N probes, M answers`, as `trace` prints it.
    public static func footer(_ trace: TraceRecord) -> String {
        "\(trace.stopReason ?? "?"): \(count(trace.probesSent ?? 0, "probe")), \(count(trace.answers ?? 0, "answer"))"
    }
}
