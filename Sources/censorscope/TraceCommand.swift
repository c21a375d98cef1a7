import AgentService
import ArgumentParser
import Lab
import Measurement
import Packets
import ProbeSession
import Probing
import Records
import SystemSupport
import TextViews

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
            (--variant, default mss: the 44-byte SYN of traceroute -T -O syn). A `*` stands for \
            each query that drew no answer; a note says when silence looks like a router's ICMP \
            rate limit rather than loss. --report runs the trace in rounds (--queries, default \
            10, one every --interval seconds) and prints per hop the loss and best/avg/worst/stdev \
            like `mtr --report`.
            Example: censorscope trace example.org --method tcp --port 443 --queries 3
            Example: censorscope trace example.org --report --json
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

    @Option(help: "Probes per TTL (default 1; with --report, rounds: default 10).")
    var queries: Int?

    @Flag(help: "Run the trace in rounds and print per-hop loss and best/avg/worst/stdev, like mtr --report.")
    var report = false

    @Option(help: "Seconds between the rounds of --report (default 1, what keeps routers' ICMP rate limits out of the loss).")
    var interval: Double = 1

    @Option(help: "Stop after this many silent hops in a row.")
    var gap: Int = 5

    @Option(help: "Source port of the flow (default random).")
    var sport: UInt16?

    @Option(help: ArgumentHelp("Where answers are read: sockets (raw sockets, as traceroute; the default without --pcap) or capture (libpcap on the route's interface: also sees answers the host's own firewall drops; the default with --pcap).",
                               valueName: "sockets|capture"))
    var receiver: String?

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
        if report {
            guard (1...1000).contains(queries ?? 10) else { throw ValidationError("--queries must be between 1 and 1000 with --report") }
            guard interval >= 0, interval <= 60 else { throw ValidationError("--interval must be between 0 and 60 seconds") }
            if agentOptions.isActive { throw ValidationError("--report traces from here only: leave out --agent") }
            if common.pcap != nil { throw ValidationError("--report runs many traces: leave out --pcap (trace --pcap keeps one)") }
        } else {
            guard (1...10).contains(queries ?? 1) else { throw ValidationError("--queries must be between 1 and 10") }
        }
        if let receiver, receiverChoice == nil { throw ValidationError("unknown receiver '\(receiver)'; use sockets or capture") }
        if receiverChoice == .sockets, common.pcap != nil {
            throw ValidationError("--pcap keeps the capture's evidence: leave out --receiver sockets")
        }
        guard (1...255).contains(gap) else { throw ValidationError("--gap must be between 1 and 255") }
        if host == nil, !agentOptions.isActive || agentOptions.both { throw ValidationError("give the target HOST to trace") }
        if host != nil, agentOptions.isActive, !agentOptions.both {
            throw ValidationError("with --agent alone the agent traces back to you: add --both to trace HOST as well, or leave HOST out")
        }
    }

    func run() throws {
        try runReportingFinding { out in
            if agentOptions.isActive { return try traceWithAgent(&out) }
            return try trace(&out)
        }
    }

    private func trace(_ out: inout StandardOutput) throws -> Finding {
        let naming = try enrichment.naming()   // a bad file stops us before any probe
        if report {
            let target = try common.target(host ?? "")
            let rounds = queries ?? 10
            // Ctrl-C ends the report after the round under way, with the rounds done.
            let progress = ProgressLine(subject: "trace \(target.address) --report", quiet: common.quiet, verbose: common.verbose)
            LabInterrupts.catchSignals()
            defer { LabInterrupts.release() }
            progress.start()
            let result: TraceReport
            do {
                defer { progress.finish() }
                result = try job(target: target).report(rounds: rounds, interval: interval, stopped: { LabInterrupts.pending != 0 }) {
                    progress.update(EngineProgress(phase: "round \($0) of \(rounds)", probesSent: $1))
                }
            }
            if LabInterrupts.pending != 0 { printToStandardError("interrupted: the report covers the \(result.rounds) rounds done") }
            let names = naming.lookUp(result.hops.flatMap(\.addresses))
            if common.json { out.json(result.record.json) } else { out.lines(TraceReportText.lines(result, address: names.text)) }
            return result.reached ? .measured : .inconclusive
        }
        let outcome = try job(target: try common.target(host ?? "")).run()
        let names = naming.lookUp(outcome.addresses)
        if common.json { out.json(names.annotating(outcome.record).json) } else { out.lines(TraceText.lines(outcome, address: names.text)) }
        return Finding(trace: outcome.record)
    }

    /// `--agent`: the agent traces back towards us; with `--both` our trace to HOST runs
    /// meanwhile and the two are shown side by side.
    private func traceWithAgent(_ out: inout StandardOutput) throws -> Finding {
        let naming = try enrichment.naming()
        let target = try agentOptions.both ? host.map { try common.target($0) } : nil
        if agentOptions.both, target == nil { throw UserError("give the target HOST to trace with --both") }
        let connection = try agentOptions.connection()
        let outcome = try AgentTraceRun(connection: connection, method: method, port: port, variant: variant, maxTTL: maxTTL,
                                        forward: target.map(job(target:))).run()
        let names = naming.lookUp(Array(Set((outcome.forward?.addresses ?? []) + outcome.reverse.addresses.compactMap(IPAddress.init))))
        let (forward, reverse) = (outcome.forward.map { names.annotating($0.record) }, names.annotating(outcome.reverse))
        if common.json {
            out.json(forward.map { TracePairRecord(forward: $0, reverse: reverse).json } ?? reverse.json)
        } else {
            out.lines(TraceText.lines(local: outcome.forward, forward: forward, reverse: reverse,
                                      agent: connection.client.url.endpoint, name: names.text))
        }
        // Both directions must reach their end for the measurement to be complete.
        return [forward, reverse].compactMap { $0 }.allSatisfy { $0.reached == true } ? .measured : .inconclusive
    }

    /// The trace these options describe, towards `target`.
    func job(target: ProbeTarget) -> TraceJob {
        TraceJob(target: target, method: TraceMethod(rawValue: method) ?? .tcp, port: port, variant: variant, size: size,
                 firstTTL: firstTTL, maxTTL: maxTTL, queries: queries ?? 1, gap: gap, sport: sport, settings: common.settings,
                 pcap: common.pcap, receiver: receiverChoice)
    }

    private var receiverChoice: RunConfiguration.Receiver? {
        switch receiver {
        case "sockets": .sockets
        case "capture": .capture
        default: nil
        }
    }
}
