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

    /// `reached: 12 probes, 11 answers`.
    public static func footer(_ outcome: TraceJob.Outcome) -> String {
        "\(outcome.trace.stopReason): \(outcome.result.statistics.sent) probes, \(outcome.result.correlator.counts.answers) answers"
    }

    /// The header, every hop, the footer; `address` renders a hop address (enrichment).
    public static func lines(_ outcome: TraceJob.Outcome, address: (IPAddress) -> String = { $0.description }) -> [String] {
        [header(outcome)] + outcome.trace.hops.map { line($0, address: address) } + [footer(outcome)]
    }

    /// One hop as traceroute prints it: ` 3  198.18.3.2  0.438 ms`, `*` when silent, a
    /// new address printed whenever it changes, and the answer kind at the end of the path.
    public static func line(_ hop: TraceHop, address: (IPAddress) -> String = { $0.description }) -> String {
        var text = (hop.ttl < 10 ? " " : "") + "\(hop.ttl) "
        if hop.responses.isEmpty { return text + " *" }
        var last: IPAddress?
        var shown = Set<Int>()
        // One answer per probe, like traceroute; the rest (e.g. a server's challenge ACK to a
        // later SYN of the same flow) are in the JSON.
        for response in hop.responses where shown.insert(response.probeIndex).inserted {
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
