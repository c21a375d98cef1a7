import Analysis
import ArgumentParser
import Foundation
import JSONSupport
import Packets
import ProbeSession
import Probing

struct InvestigateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "investigate",
        abstract: "Say whether a target is blocked, how, on what trigger and where, with the packets that prove it.",
        discussion: """
            Runs the default experiment (Probes/experiments/investigate.yaml): ICMP echoes for \
            the host's own TTL; SYNs shaped like bare, mss, linux, windows and macOS stacks, plus \
            the same options padded to other sizes (size vs options), to the port and to a second \
            one; Paris traceroutes over ICMP and TCP; a traceroute with a blocked SYN shape to \
            find the hop where the device acts; and with --host or --sni, a handshake plus a \
            TTL-limited request for the test name and a control name. Every packet is kept in a \
            pcapng evidence file. Verdicts are explained in Docs/verdicts.md.
            """
    )

    @Argument(help: "The target address or name.")
    var host: String

    @Option(help: "TCP port.")
    var port: UInt16 = 80

    @Option(name: .customLong("host"), help: "Test an HTTP request with this Host (a handshake, then the request TTL-limited).")
    var httpHost: String?

    @Option(help: "Test a TLS ClientHello with this SNI.")
    var sni: String?

    @Option(help: "The control name for --host/--sni (default: the experiment's, example.com).")
    var control: String?

    @Option(name: .customLong("max-ttl"), help: "Largest TTL for traces and sweeps (default: the experiment's, 30).")
    var maxTTL: Int?

    @Option(help: "Run this experiment file instead of the default (Probes/experiments/investigate.yaml).")
    var experiment: String?

    @OptionGroup var enrichment: HopEnrichmentOptions

    @OptionGroup var common: RunOptions

    @OptionGroup var agentOptions: AgentClientOptions

    func validate() throws {
        if let maxTTL, !(2...64).contains(maxTTL) { throw ValidationError("--max-ttl must be between 2 and 64") }
        if agentOptions.isActive, !agentOptions.both {
            throw ValidationError("investigate asks the agent for the reverse direction alongside its own run: add --both")
        }
        if httpHost != nil, sni != nil { throw ValidationError("give at most one of --host and --sni") }
        guard port > 0 else { throw ValidationError("--port must be between 1 and 65535") }
    }

    func run() throws {
        try runReportingUserErrors { try investigate(&$0) }
    }

    private func investigate(_ out: inout StandardOutput) throws {
        let started = Date()
        let clock = ContinuousClock.now
        var plan = InvestigationExperiment.standard
        if let experiment {
            guard let text = try? String(contentsOfFile: experiment, encoding: .utf8) else {
                throw UserError("cannot read the experiment file \(experiment)")
            }
            plan = try InvestigationExperiment(yaml: text, source: experiment)
        }
        if let maxTTL { plan.maxTTL = maxTTL }
        let asnDatabase = try enrichment.loadDatabase()
        let control = self.control ?? plan.payloadControl
        let target = try ProbeTarget(host, options: common)
        let address = target.address
        let agent = agentOptions.both ? try InvestigateReverse(options: agentOptions) : nil
        var bundle = try EvidenceBundle(path: common.pcap, target: address, port: port, started: started)
        if !common.json {
            out.line("investigating \(address) port \(port) from \(target.route.source) (\(target.route.interface))")
            out.flush()
        }
        var runner = InvestigationRunner(target: target, port: port, experiment: plan, options: common)
        if let httpHost {
            runner.payload = (.http(host: httpHost), .http(host: control), "HTTP Host \(httpHost)")
        } else if let sni {
            runner.payload = (.tls(sni: sni), .tls(sni: control), "TLS SNI \(sni)")
        }
        if let p = runner.payload, p.test.bytes(seed: 1) == nil || p.control.bytes(seed: 2) == nil {
            throw UserError("a TLS server name must be 1 to \(TLSClientHello.maximumServerNameLength) bytes long")
        }
        let input: InvestigationInput
        do { input = try runner.measure(bundle: &bundle) } catch {
            bundle.discard()
            throw error
        }
        let result = Investigation.analyse(input)
        let frames = try bundle.merge()
        let reverse = try agent?.run(port: port, httpHost: httpHost, sni: sni, forwardBlocked: result.verdict.isBlocking, ipv6: runner.ipv6)

        var context = Investigation.ReportContext()
        context.evidenceFile = bundle.path
        context.frames = { frames.frames($0) }
        context.measurementStartTime = utcText(started, format: "yyyy-MM-dd HH:mm:ss")   // OONI's format
        context.runtimeSeconds = Double((ContinuousClock.now - clock).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - clock).components.seconds)
        context.vantage = target.route.source
        context.softwareVersion = CensorScope.version
        if let p = runner.payload {
            context.test = ProbePayloadCommand.payload(p.test)
            context.control = ProbePayloadCommand.payload(p.control)
            context.extra.append(("payload_sweep", result.payloadSteps.map { steps in
                .array(steps.map { step in
                    .object([("ttl", .number(step.ttl)), ("test", ProbePayloadCommand.observation(step.test)),
                             ("control", ProbePayloadCommand.observation(step.control))])
                })
            } ?? .null))
        }
        var annotations: [IPAddress: HopAnnotation] = [:]
        if enrichment.isActive {
            let hops = [result.path, result.testPath].compactMap { $0 }.flatMap { $0.trace.hops.flatMap { $0.responses.map(\.address) } }
            annotations = enrichment.annotations(for: Array(Set(hops)), database: asnDatabase)
        }
        if common.json {
            var json = result.json(context)
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
            InvestigationText.write(result, context: context, into: &out) { address in
                enrichment.isActive ? enrichment.text(for: address, annotations) : address.description
            }
            if let reverse { out.line(reverse.line) }
        }
    }

}

/// The imperative half of an investigation: builds the probes of each phase, runs them,
/// and hands the answers to the analysis.
struct InvestigationRunner {
    let target: ProbeTarget
    let port: UInt16
    let experiment: InvestigationExperiment
    let options: RunOptions
    var maxTTL: Int { experiment.maxTTL }
    /// The test and control payloads and how to name the test, with --host or --sni.
    var payload: (test: PayloadTrace.Payload, control: PayloadTrace.Payload, name: String)?

    var ipv6: Bool { if case .v6 = target.address { return true }; return false }
    var otherPort: UInt16 { port == 443 ? 80 : 443 }

    func measure(bundle: inout EvidenceBundle) throws -> InvestigationInput {
        let builder: ProbeBuilder
        do { builder = try ProbeBuilder(source: target.route.source, destination: target.address) } catch {
            throw UserError("\(error)")
        }
        // Phase 1: echoes, SYN trials on both ports, an ICMP and a TCP (mss) trace, all at once.
        var probes: [Probing.Probe] = []
        var trialShapes: [Int: SYNTrialShape] = [:]
        let firstPort = randomSourcePort()
        var portOffset = 0
        func nextPort() -> UInt16 { defer { portOffset += 1 }; return SourcePorts.port(firstPort, portOffset) }
        do {
            let echoID: UInt16 = randomIdentifier()
            for i in 0..<experiment.referenceEchoes {
                probes.append(try builder.icmpEcho(index: probes.count, identifier: echoID, sequence: UInt16(i + 1), payloadSize: 56,
                                                   ttl: 64, ipID: randomIdentifier(), label: "reference echo #\(i)"))
            }
            let standard = SYNTrialShape.trials(variants: experiment.synVariants.compactMap(SYNVariant.init(rawValue:)),
                                                padding: experiment.padVariants.compactMap(SYNVariant.init(rawValue:)), ipv6: ipv6)
            let trials = standard.map { ($0, port) } + (experiment.secondPort ? standard.filter { !$0.padded }.map { ($0, otherPort) } : [])
            for (shape, dport) in trials {
                trialShapes[probes.count] = shape
                probes.append(try builder.tcp(index: probes.count, shape: shape.shape, sourcePort: nextPort(), destinationPort: dport,
                                              sequence: randomIdentifier(), ttl: 64, ipID: randomIdentifier(),
                                              label: "syn \(shape.name) port \(dport)"))
            }
        } catch { throw UserError("\(error)") }
        let icmpTrace = experiment.controlTraces.contains("icmp")
            ? try plan(.icmp, shape: nil, sourcePort: randomIdentifier(), start: probes.count) : []
        probes += icmpTrace
        let mssTrace = experiment.controlTraces.contains("tcp-mss")
            ? try plan(.tcp, shape: .variant(.mss, ipv6: ipv6), sourcePort: nextPort(), start: probes.count) : []
        probes += mssTrace
        let phase1 = try run(probes, evidence: bundle.part("baseline"), traces: [icmpTrace, mssTrace])

        let trials = trialShapes.keys.sorted().compactMap { i -> SYNTrial? in
            guard let shape = trialShapes[i] else { return nil }
            return SYNTrial(shape: shape, probe: probes[i], answers: phase1.answers(for: i))
        }
        let echoes = (0..<experiment.referenceEchoes).flatMap { phase1.answers(for: $0) }
        let answersOf = { (list: [Probing.Probe], result: CorrelatedRunResult) in
            Dictionary(uniqueKeysWithValues: list.map { ($0.index, result.answers(for: $0.index)) })
        }
        var controls = [TraceRun(name: "tcp mss", probes: mssTrace, answers: answersOf(mssTrace, phase1), destination: target.address),
                        TraceRun(name: "icmp", probes: icmpTrace, answers: answersOf(icmpTrace, phase1), destination: target.address)]
            .filter { !$0.probes.isEmpty }
        var input = InvestigationInput(target: target.address, port: port, echoReplies: echoes, trials: trials, controlTraces: controls)

        // Phase 2: a trace with the smallest blocked shape (and a passing one if mss is blocked).
        let profile = GenuineProfile(target: target.address, echoReplies: echoes, trials: trials)
        let results = SYNAnalysis.classify(trials, profile: profile)
        let chosen = Investigation.shapesToTrace(results, port: port)
        if experiment.triggerTrace, let blocked = chosen.blocked, results.contains(where: { !$0.blocked && $0.trial.port == port }) {
            var second: [Probing.Probe] = []
            let triggerProbes = try plan(.tcp, shape: blocked.shape, sourcePort: nextPort(), start: 0)
            second += triggerProbes
            var passingProbes: [Probing.Probe] = []
            if let passing = chosen.passing, passing.name != "mss" || mssTrace.isEmpty {
                passingProbes = try plan(.tcp, shape: passing.shape, sourcePort: nextPort(), start: second.count)
                second += passingProbes
            }
            let phase2 = try run(second, evidence: bundle.part("trigger-trace"), traces: [passingProbes].filter { !$0.isEmpty },
                                 trigger: triggerProbes)
            input.triggerTrace = TraceRun(name: "tcp \(blocked.name)", probes: triggerProbes, answers: answersOf(triggerProbes, phase2),
                                          destination: target.address)
            if !passingProbes.isEmpty, let passing = chosen.passing {
                controls.insert(TraceRun(name: "tcp \(passing.name)", probes: passingProbes, answers: answersOf(passingProbes, phase2),
                                         destination: target.address), at: 0)
                input.controlTraces = controls
            }
        }
        if let payload {
            input.payloadName = payload.name
            // The kernel's own SYN (Linux-shaped) makes these connections: pointless when it is blocked.
            let kernelSYN = results.first { $0.trial.port == port && $0.trial.shape.name == "linux" }
            if kernelSYN?.blocked != true {
                input.payloadSteps = try sweep(payload.test, payload.control, evidence: bundle.part("payload"), echoes: echoes)
            }
        }
        return input
    }

    /// The handshake + TTL-limited payload sweep, test and control alternating per TTL.
    private func sweep(_ test: PayloadTrace.Payload, _ control: PayloadTrace.Payload, evidence: String,
                       echoes: [Answer]) throws -> [PayloadStep] {
        var config = PayloadTrace.Configuration(target: target.address, port: port, test: test, control: control, ttls: 1...maxTTL)
        // Wait in proportion to the path's round trip: a few RTTs settle a step.
        let rtt = echoes.compactMap(\.rttMilliseconds).min() ?? 50
        config.settle = .milliseconds(Int64(min(500, max(100, 4 * rtt + 50))))
        config.wait = .milliseconds(Int64(min(1500, max(700, 8 * rtt + 500))))
        config.pause = .milliseconds(Int64(experiment.payloadPauseMilliseconds))
        config.pcapPath = evidence
        do {
            return try PayloadTrace.run(config)
        } catch {
            throw UserError(error.description)
        }
    }

    private func plan(_ method: TraceMethod, shape: TCPProbeShape?, sourcePort: UInt16, start: Int) throws -> [Probing.Probe] {
        do {
            let plan = try TracePlan(method: method, source: target.route.source, destination: target.address,
                                     destinationPort: method == .tcp ? port : nil, sourcePort: sourcePort, shape: shape,
                                     firstTTL: 1, maxTTL: maxTTL, queries: 1, seed: randomIdentifier())
            return try plan.probes(startIndex: start)
        } catch { throw UserError("\(error)") }
    }

    /// One paced run; waiting ends once every non-trace probe has an answer and every trace
    /// has settled (or a trigger trace has met its first forged or final answer).
    private func run(_ probes: [Probing.Probe], evidence path: String, traces: [[Probing.Probe]],
                     trigger: [Probing.Probe] = []) throws -> CorrelatedRunResult {
        let evidence: EvidenceFile
        do { evidence = try EvidenceFile(path: path, interfaceName: target.route.interface) } catch { throw UserError(error.description) }
        let configuration = options.configuration(source: target.route.source, interface: target.route.interface,
                                                  destinations: [target.address])
        let traced = Set((traces.flatMap { $0 } + trigger).map(\.index))
        let singles = probes.map(\.index).filter { !traced.contains($0) }
        let destination = target.address
        return try runProbes(probes, configuration, evidence) { c in
            singles.allSatisfy { !c.answers(for: $0).isEmpty }
                && traces.allSatisfy { t in TraceAssembler.isSettled(probes: t, answers: { c.answers(for: $0) }, destination: destination) }
                && (trigger.isEmpty || TraceAssembler.isSettled(probes: trigger, answers: { c.answers(for: $0) }, destination: destination))
        }
    }
}
