import ArgumentParser
import JSONSupport
import Measurement
import Packets
import ProbeSession
import Probing

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Paris traceroute over TCP SYN, ICMP echo or UDP, every TTL in flight at once.",
        discussion: """
            The flow identifier stays constant across TTLs (same ports; same ICMP checksum), so \
            load balancers keep the probes on one path; each TTL's probe is told apart by its \
            TCP sequence number, UDP checksum or ICMP sequence, and its IP ID. All TTLs are \
            sent at once under --rate, so a trace takes about one round trip plus --timeout \
            for silent hops. The trace ends at the destination, at an ICMP unreachable, after \
            --gap silent hops, or at --max-ttl. For TCP the SYN is shaped like `probe syn` \
            (--variant, default mss: the 44-byte SYN of traceroute -T -O syn).
            """
    )

    @Argument(help: "The target address or name (not needed with --agent alone: the agent traces back to you).")
    var host: String?

    @Option(help: "tcp, icmp or udp.")
    var method: String = "tcp"

    @Option(help: "Destination port (tcp: 80, udp: 33434).")
    var port: UInt16?

    @Option(help: "SYN variant for --method tcp: bare, mss, linux, windows, macos.")
    var variant: String = "mss"

    @Option(help: "Pad TCP probes to this many bytes.")
    var size: Int?

    @Option(help: "First TTL.")
    var firstTTL: Int = 1

    @Option(help: "Largest TTL.")
    var maxTTL: Int = 30

    @Option(help: "Probes per TTL.")
    var queries: Int = 1

    @Option(help: "Stop after this many silent hops in a row.")
    var gap: Int = 5

    @Option(help: "Source port of the flow (default random).")
    var sport: UInt16?

    @OptionGroup var common: RunOptions

    @OptionGroup var enrichment: HopEnrichmentOptions

    @OptionGroup var agentOptions: AgentClientOptions

    func validate() throws {
        guard let m = TraceMethod(rawValue: method) else { throw ValidationError("unknown method '\(method)'; use tcp, icmp or udp") }
        if m == .tcp, SYNVariant(rawValue: variant) == nil {
            throw ValidationError("unknown variant '\(variant)'; use bare, mss, linux, windows or macos")
        }
        guard (1...255).contains(firstTTL), (1...255).contains(maxTTL), firstTTL <= maxTTL else {
            throw ValidationError("TTLs must be between 1 and 255 with --first-ttl at most --max-ttl")
        }
        guard (1...10).contains(queries) else { throw ValidationError("--queries must be between 1 and 10") }
        guard (1...255).contains(gap) else { throw ValidationError("--gap must be between 1 and 255") }
        if host == nil, !agentOptions.isActive || agentOptions.both { throw ValidationError("give the target HOST to trace") }
        if host != nil, agentOptions.isActive, !agentOptions.both {
            throw ValidationError("with --agent alone the agent traces back to you: add --both to trace HOST as well, or leave HOST out")
        }
    }

    func run() throws {
        try runReportingUserErrors { out in
            if agentOptions.isActive { try AgentTrace.run(self, into: &out) } else { try trace(&out) }
        }
    }

    private func trace(_ out: inout StandardOutput) throws {
        let asnDatabase = try enrichment.loadDatabase()   // a bad file stops us before any probe
        let outcome = try job(target: try ProbeTarget(host ?? "", options: common)).run()
        let trace = outcome.trace
        let annotations = enrichment.isActive
            ? enrichment.annotations(for: trace.hops.flatMap { $0.responses.map(\.address) }, database: asnDatabase) : [:]
        if common.json {
            out.json(outcome.json(hops: enrichment.annotating(trace.hopsJSON, annotations)))
        } else {
            out.line(outcome.header)
            for hop in trace.hops { out.line(Self.line(hop) { enrichment.text(for: $0, annotations) }) }
            out.line(outcome.footer)
        }
    }

    /// The trace these options describe, towards `target`.
    func job(target: ProbeTarget) -> TraceJob {
        TraceJob(target: target, method: TraceMethod(rawValue: method) ?? .tcp, port: port, variant: variant, size: size,
                 firstTTL: firstTTL, maxTTL: maxTTL, queries: queries, gap: gap, sport: sport, settings: common.settings,
                 pcap: common.pcap)
    }

    /// One hop as traceroute prints it: ` 3  198.18.3.2  0.438 ms`, `*` when silent, a
    /// new address printed whenever it changes, and the answer kind at the end of the path.
    static func line(_ hop: TraceHop, address: (IPAddress) -> String = { $0.description }) -> String {
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
            case .unreachable:
                text += " " + unreachableMark(response.fingerprint)
            default: text += " [\(response.kind.rawValue)]"
            }
        }
        return text
    }

    /// traceroute's marks for unreachable codes.
    static func unreachableMark(_ f: Fingerprint) -> String {
        let code = f.icmpCode ?? 0
        let v6: Bool
        if case .v6 = f.source { v6 = true } else { v6 = false }
        if v6 {
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
