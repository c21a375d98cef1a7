import AgentService
import Analysis
import ArgumentParser
import Campaigns
import Foundation
import JSONSupport
import Measurement
import Packets

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
            test name and a control name. Every packet is kept in a pcapng evidence file. \
            Verdicts are explained in Docs/verdicts.md, the script language in Docs/campaigns.md.
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
        if let port, ServicePort(port) == nil { throw ValidationError("--port must be a port from 1 to 65535, optionally followed by /udp") }
    }

    func run() throws {
        try runReportingUserErrors { try investigate(&$0) }
    }

    private func investigate(_ out: inout StandardOutput) throws {
        let script = try experiment.map(Experiments.load) ?? Experiments.standard()
        guard let port = port.flatMap(ServicePort.init) ?? script.ports.first else { throw UserError("the experiment names no port") }
        let asnDatabase = try enrichment.loadDatabase()
        let target = try ProbeTarget(host, options: common)
        let agent = agentOptions.both ? try InvestigateReverse(connection: try agentOptions.connection()) : nil
        var names: [PayloadSpec.Kind: String] = [:]
        if let httpHost { names[.http] = httpHost }
        if let sni { names[.tls] = sni }
        let item = MeasurementItem(address: target.address, name: IPAddress(host) == nil ? host : nil, port: port, testNames: names)
        if !common.json {
            out.line("investigating \(target.address) port \(port) from \(target.route.source) (\(target.route.interface))")
            out.flush()
        }
        var settings = common.settings
        settings.rate = common.rateOption.map { $0 > 0 ? $0 : nil } ?? script.pacing.rate
        settings.timeout = common.timeoutOption.map { .milliseconds(Int64($0 * 1000)) } ?? .milliseconds(script.pacing.timeoutMilliseconds)
        let engine = Engine(script: script, network: LiveNetwork(route: target.route, settings: settings), source: target.route.source,
                            maxTTL: maxTTL, control: control, evidence: true, evidencePath: common.pcap,
                            softwareVersion: CensorScope.version)
        let outcome = try engine.measure(item, ids: seed.map(IdentifierSource.init(seed:)) ?? .random())
        let result = outcome.result
        let reverse = try agent?.run(port: port.number, httpHost: httpHost, sni: sni, forwardBlocked: result.verdict.isBlocking,
                                     ipv6: target.isIPv6)
        var annotations: [IPAddress: HopAnnotation] = [:]
        if enrichment.isActive {
            let hops = [result.path, result.testPath].compactMap { $0 }.flatMap { $0.trace.hops.flatMap { $0.responses.map(\.address) } }
            annotations = enrichment.annotations(for: Array(Set(hops)), database: asnDatabase)
        }
        if common.json {
            var json = outcome.json
            if enrichment.isActive, case .object(let fields) = json {
                json = .object(fields.map { f in
                    f.key == "path" || f.key == "test_path"
                        ? (f.key, HopEnrichment.annotatingHops(f.value, with: annotations, includeHostname: enrichment.rdns)) : f
                })
            }
            if let reverse, case .object(let fields) = json {
                json = .object(fields + [("reverse", reverse.reverse), ("direction", reverse.direction)])
            }
            out.json(json)
        } else {
            InvestigationText.write(result, context: outcome.context, into: &out) { address in
                enrichment.isActive ? enrichment.text(for: address, annotations) : address.description
            }
            if let reverse { out.line(reverse.line) }
        }
    }
}
