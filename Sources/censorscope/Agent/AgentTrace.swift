import Measurement
import Agent
import AgentService
import Analysis
import JSONSupport
import NIOHTTP1
import Packets
import Probing

/// `trace --agent URL`: the agent traces back towards us; with `--both`, our own trace to
/// HOST runs at the same time and the two are shown side by side.
enum AgentTrace {
    static func run(_ command: TraceCommand, into out: inout StandardOutput) throws {
        let options = command.agentOptions
        let asnDatabase = try command.enrichment.loadDatabase()
        let target = try options.both ? command.host.map { try ProbeTarget($0, options: command.common) } : nil
        if options.both, target == nil { throw UserError("give the target HOST to trace with --both") }
        let connection = try options.connection()
        let client = connection.client
        let request = AgentTraceRequest(method: command.method, port: command.method == "icmp" ? nil : command.port,
                                        variant: command.method == "tcp" ? command.variant : nil, maxTTL: min(command.maxTTL, 64))
        // The agent's trace runs while ours does: the two directions are measured together.
        let pending = client.send(method: .POST, path: "/v1/trace", body: request.json)
        let forward = try target.map { try command.job(target: $0).run() }
        let reply = try client.wait(pending)
        var reverse = try connection.takingEvidence(try AgentConnection.body(reply, agent: client.url))
        guard case .array? = reverse["hops"] else {
            throw UserError("the agent at \(client.url.endpoint) answered without a trace (no hops)")
        }
        var forwardJSON = forward.map { $0.json(hops: $0.trace.hopsJSON) }
        let enrichment = command.enrichment
        var annotations: [IPAddress: HopAnnotation] = [:]
        if enrichment.isActive {
            let addresses = (forward?.trace.hops.flatMap { $0.responses.map(\.address) } ?? [])
                + TraceTable.addresses(reverse).compactMap(IPAddress.init)
            annotations = enrichment.annotations(for: Array(Set(addresses)), database: asnDatabase)
            reverse = annotate(reverse, annotations, rdns: enrichment.rdns)
            forwardJSON = forwardJSON.map { annotate($0, annotations, rdns: enrichment.rdns) }
        }
        let name: (String) -> String = { text in
            guard enrichment.isActive, let a = IPAddress(text) else { return text }
            return enrichment.text(for: a, annotations)
        }
        if command.common.json {
            if let forwardJSON {
                out.json(.object([("forward", forwardJSON), ("reverse", reverse)]))
            } else {
                out.json(reverse)
            }
            return
        }
        let by = "by the agent at \(client.url.endpoint)"
        if let forward, let forwardJSON {
            out.line("forward: " + forward.header)
            out.line("reverse: " + header(reverse) + ", " + by)
            for line in TraceTable.sideBySide(forward: forwardJSON, reverse: reverse, name: name) { out.line(line) }
            out.line("forward: " + forward.footer)
            out.line("reverse: " + TraceTable.footer(reverse))
        } else {
            out.line(header(reverse) + ", " + by)
            for line in TraceTable.lines(reverse, name: name) { out.line(line) }
            out.line(TraceTable.footer(reverse))
        }
    }

    /// `trace to A from B, tcp port 80, 44-byte SYN (mss)` from a trace object.
    static func header(_ t: JSONValue) -> String {
        func s(_ key: String) -> String? { if case .string(let v)? = t[key] { return v }; return nil }
        func i(_ key: String) -> Int? { if case .int(let v)? = t[key] { return Int(exactly: v) }; return nil }
        var text = "trace to \(s("target") ?? "?") from \(s("source") ?? "?")"
        switch s("method") {
        case "tcp"?: text += ", tcp port \(i("port") ?? 0), \(i("probe_size") ?? 0)-byte SYN (\(s("variant") ?? "?"))"
        case "udp"?: text += ", udp port \(i("port") ?? 0), \(i("probe_size") ?? 0)-byte packets"
        case "icmp"?: text += ", icmp echo, \(i("probe_size") ?? 0)-byte packets"
        default: break
        }
        return text
    }

    static func annotate(_ trace: JSONValue, _ annotations: [IPAddress: HopAnnotation], rdns: Bool) -> JSONValue {
        guard case .object(let fields) = trace else { return trace }
        return .object(fields.map { f in
            f.key == "hops" ? (f.key, HopEnrichment.annotatingHops(f.value, with: annotations, includeHostname: rdns)) : f
        })
    }
}
