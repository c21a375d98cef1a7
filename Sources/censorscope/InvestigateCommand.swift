import AgentService
import ArgumentParser
import Campaigns
import Lab
import Measurement
import TextViews

struct InvestigateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "investigate",
        abstract: "Say whether a target is blocked, how, on what trigger and where, with the packets that prove it.",
        discussion: """
            Runs an experiment script (default: Probes/experiments/investigate.yaml, embedded in \
            the binary; any campaign script runs too): ICMP echoes for the host's own TTL; SYNs \
            shaped like bare, mss, linux, windows and macOS stacks, plus the same options padded \
            to other sizes (size vs options), to the port and to a second one; Paris traceroutes \
            over ICMP and TCP; a traceroute with a blocked SYN shape to find the hop where the \
            device acts; and with --host or --sni, a handshake plus a TTL-limited request for the \
            test name and a control name, with the control also made at full TTL before and after \
            it (residual blocking), then bulk downloads for both (throttling); when the handshake is \
            answered by a device that is not the host, the page it serves. Every packet is kept in \
            a pcapng evidence file. \
            Verdicts are explained in Docs/verdicts.md, the script language in Docs/campaigns.md.
            Example: censorscope investigate example.org --port 443 --sni example.org --pcap evidence.pcapng
            """
    )

    @Argument(help: "The target address or name.")
    var host: String

    @Option(help: ArgumentHelp("The port: 443, or 3478/udp (default: the experiment's first, 80).", valueName: "port"))
    var port: String?

    @Option(name: .customLong("host"), help: "Test an HTTP request with this Host (a handshake, then the request TTL-limited).")
    var httpHost: String?

    @Option(help: "Test a TLS ClientHello with this SNI.")
    var sni: String?

    @Option(help: "The control name for --host/--sni (default: the experiment's, example.com).")
    var control: String?

    @Option(help: ArgumentHelp("The object the throttling check downloads for --host/--sni (default: the experiment's).", valueName: "path"))
    var object: String?

    @Option(name: .customLong("max-ttl"), help: "Largest TTL for traces and sweeps (default: the experiment's, 30).")
    var maxTTL: Int?

    @Option(help: "Run this experiment script instead of the default (Probes/experiments/investigate.yaml).")
    var experiment: String?

    @Option(help: "Seed of the probes' identifiers (default random; printed in the JSON): the same seed sends the same packets.")
    var seed: UInt64?

    @OptionGroup var enrichment: HopEnrichmentOptions

    @OptionGroup var common: RunOptions

    @OptionGroup var agentOptions: AgentClientOptions

    func validate() throws {
        if let maxTTL, !(2...64).contains(maxTTL) { throw ValidationError("--max-ttl must be between 2 and 64") }
        if agentOptions.isActive, !agentOptions.both {
            throw ValidationError("investigate asks the agent for the reverse direction alongside its own run: add --both")
        }
        if httpHost != nil, sni != nil { throw ValidationError("give at most one of --host and --sni") }
        if let seed, seed >= 1 << 53 { throw ValidationError("--seed must be below 2^53 (9007199254740992), so JSON keeps it exact") }
        if let object, !object.hasPrefix("/") || object.utf8.count > 1024 || !object.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            throw ValidationError("--object must be a path starting with / (printable ASCII, no spaces, at most 1024 bytes), like /bytes/1048576")
        }
        if let port, ServicePort(port) == nil { throw ValidationError("--port must be a port from 1 to 65535, optionally followed by /udp") }
    }

    func run() throws {
        try runReportingFinding { out in
            let plan = try InvestigationPlan(experiment: experiment, port: port.flatMap(ServicePort.init))
            let naming = try enrichment.naming()
            let target = try common.target(host)
            let agent = agentOptions.both ? try InvestigateReverse(connection: try agentOptions.connection()) : nil
            if !common.json {
                out.line(InvestigationText.start(target, port: plan.port))
                out.flush()
            }
            // Ctrl-C stops between phases: said on stderr, the evidence so far kept, exit 130.
            let progress = ProgressLine(subject: "investigate \(target.address) port \(plan.port)", quiet: common.quiet, verbose: common.verbose)
            LabInterrupts.catchSignals()
            defer { LabInterrupts.release() }
            progress.start()
            let outcome: Engine.Outcome
            do {
                defer { progress.finish() }
                outcome = try plan.run(target: target, host: host, httpHost: httpHost, sni: sni,
                                       settings: plan.settings(rate: common.rateOption, timeout: common.timeoutOption, interface: common.interface),
                                       maxTTL: maxTTL, control: control, object: object, pcap: common.pcap, seed: seed,
                                       softwareVersion: CensorScope.version, controls: [agent?.control(for: target.address)].compactMap { $0 },
                                       shouldStop: { LabInterrupts.pending != 0 }, progress: { progress.update($0) })
            } catch let stop as Engine.Interrupted {
                out.flush()
                printToStandardError("interrupted: stopped after \(stop.probesSent) probes, before a verdict; "
                    + (stop.evidenceFile.map { "the evidence gathered so far is in \($0)" } ?? "no evidence was gathered"))
                throw ExitCode(130)
            }
            let reverse = try agent?.run(port: plan.port.number, httpHost: httpHost, sni: sni, forwardBlocked: outcome.result.verdict.isBlocking,
                                         ipv6: target.isIPv6)
            let hops = naming.lookUp(outcome.result.pathAddresses)
            if common.json {
                let record = hops.annotating(outcome.record)
                out.json((reverse?.adding(to: record) ?? record).json)
            } else {
                out.lines(common.colouring.lines(InvestigationText.lines(outcome.result, context: outcome.context, hopText: hops.text)))
                if let reverse { out.line(reverse.line) }
            }
            return Finding(outcome.result.verdict)
        }
    }
}
