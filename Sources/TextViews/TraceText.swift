import Measurement
import Packets
import Probing
import Records

/// `trace` as traceroute prints it: a header, one line per hop, how the trace ended.
public enum TraceText {
    /// `trace to A from B, 30 hops max, tcp port 80, 44-byte SYN (mss)`.
    public static func header(_ outcome: TraceJob.Outcome) -> String {
        let job = outcome.job
        let size = outcome.probes.first?.bytes.count ?? 0, port = outcome.flowPorts?.1 ?? 0
        let what: String
        switch job.method {
        case .tcp: what = "tcp port \(port), \(size)-byte SYN (\(job.variant))"
        case .udp: what = "udp port \(port), \(size)-byte packets"
        case .icmp: what = "icmp echo, \(size)-byte packets"
        }
        return "trace to \(job.target.address) from \(job.target.route.source), \(job.maxTTL) hops max, \(what)"
    }

    /// `reached: 4 hops, 4 of 4 queries answered; 30 probes sent at once (26 beyond the last hop)`.
    public static func footer(_ outcome: TraceJob.Outcome) -> String {
        let hops = outcome.trace.hops
        let queries = hops.reduce(0) { $0 + $1.queries.count }
        let answered = queries - hops.reduce(0) { $0 + $1.lostQueries }
        let sent = outcome.result.statistics.sent
        let beyond = outcome.probes.filter { Int($0.ttl) > (hops.last?.ttl ?? 0) }.count
        var text = "\(outcome.trace.stopReason): \(count(hops.count, "hop")), \(answered) of \(count(queries, "query", "queries")) answered; "
            + "\(count(sent, "probe")) sent at once"
        if beyond > 0 { text += " (\(beyond) beyond the last hop)" }
        return text
    }

    /// The header, every hop, the footer, then notes; `address` renders a hop address (enrichment).
    public static func lines(_ outcome: TraceJob.Outcome, address: (IPAddress) -> String = { $0.description }) -> [String] {
        [header(outcome)] + outcome.trace.hops.map { line($0, address: address) } + [footer(outcome)] + notes(outcome.trace)
    }

    /// A note when silence looks like ICMP rate limiting rather than loss: a router that
    /// dropped some queries (or all) while a router further on answered.
    public static func notes(_ trace: Trace) -> [String] {
        guard let lastAnswered = trace.hops.last(where: { !$0.responses.isEmpty })?.ttl else { return [] }
        let partial = trace.hops.filter { $0.ttl < lastAnswered && !$0.responses.isEmpty && $0.lostQueries > 0 }.map(\.ttl)
        let silent = trace.hops.filter { $0.ttl < lastAnswered && $0.responses.isEmpty }.map(\.ttl)
        var notes: [String] = []
        if !partial.isEmpty {
            notes.append("note: \(hopList(partial)) lost queries while later hops answered: routers limit the rate of their ICMP "
                + "errors (Linux: a burst of 6, then 1 a second), so this loss need not be on the path; --report spreads the queries over time")
        }
        if !silent.isEmpty {
            notes.append("note: \(hopList(silent)) stayed silent while later hops answered: the probes went through; that router "
                + "sends no time-exceeded or limits their rate")
        }
        return notes
    }

    static func hopList(_ ttls: [Int]) -> String {
        (ttls.count == 1 ? "hop " : "hops ") + ttls.map(String.init).joined(separator: ", ")
    }

    /// One hop as traceroute prints it: ` 3  198.18.3.2  0.438 ms`, a `*` for every query
    /// that drew no answer, a new address printed whenever it changes, and the answer
    /// kind at the end of the path.
    public static func line(_ hop: TraceHop, address: (IPAddress) -> String = { $0.description }) -> String {
        var text = (hop.ttl < 10 ? " " : "") + "\(hop.ttl) "
        if hop.responses.isEmpty { return text + String(repeating: " *", count: max(1, hop.queries.count)) }
        var last: IPAddress?
        // One answer per probe, like traceroute; the rest (e.g. a server's challenge ACK to a
        // later SYN of the same flow) are in the JSON.
        let order = hop.queries.isEmpty ? orderedUnique(hop.responses.map(\.probeIndex)) : hop.queries
        for query in order {
            guard let response = hop.responses.first(where: { $0.probeIndex == query }) else {
                text += " *"
                continue
            }
            if response.address != last {
                text += " " + address(response.address)
                last = response.address
            }
            text += "  \(milliseconds(response.rttMilliseconds)) ms"
            switch response.kind {
            case .timeExceeded: break
            case .unreachable: text += " " + unreachableMark(response.fingerprint)
            default: text += " [\(response.kind.rawValue)]"
            }
        }
        return text
    }

    static func orderedUnique(_ values: [Int]) -> [Int] {
        var seen = Set<Int>()
        return values.filter { seen.insert($0).inserted }
    }

    /// traceroute's marks for unreachable codes.
    public static func unreachableMark(_ f: Fingerprint) -> String {
        let code = f.icmpCode ?? 0
        if case .v6 = f.source {
            switch code { case 0: return "!N"; case 1: return "!X"; case 3: return "!H"; default: return "!<\(code)>" }
        }
        switch code {
        case 0: return "!N"
        case 1: return "!H"
        case 2: return "!P"
        case 4: return "!F"
        case 9, 10, 13: return "!X"
        default: return "!<\(code)>"
        }
    }
}

extension TraceText {
    /// `trace --agent`: the agent's trace back to us (`reverse`), after ours (`local`, its
    /// record `forward`) side by side with `--both`. `agent` is the agent's endpoint.
    public static func lines(local: TraceJob.Outcome?, forward: TraceRecord?, reverse: TraceRecord, agent: String,
                             name: (String) -> String) -> [String] {
        let by = "by the agent at \(agent)"
        guard let local, let forward else {
            return [TraceTable.header(reverse) + ", " + by] + TraceTable.lines(reverse, name: name) + [TraceTable.footer(reverse)]
        }
        return ["forward: " + header(local), "reverse: " + TraceTable.header(reverse) + ", " + by]
            + TraceTable.sideBySide(forward: forward, reverse: reverse, name: name)
            + ["forward: " + footer(local), "reverse: " + TraceTable.footer(reverse)]
    }
}
