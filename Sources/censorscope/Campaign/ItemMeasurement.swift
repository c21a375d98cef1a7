import Analysis
import Campaigns
import Foundation
import JSONSupport
import Packets
import ProbeSession
import Probing

/// One target and port of a campaign, ready to measure.
struct CampaignItem: Sendable {
    var id: Int64
    var address: IPAddress
    var name: String?
    var port: ServicePort
}

/// Measures one item by its script's steps: builds each batch of probes, runs it under the
/// campaign's shared pacer, and hands everything to the analysis. The imperative half of a
/// campaign; the judging is `Investigation.analyse` / `DatagramAnalysis.analyse`.
struct ItemMeasurement {
    let script: ExperimentScript
    let item: CampaignItem
    let route: RouteInfo
    let pacer: SharedPacer
    /// Where to write this item's evidence pcapng; nil keeps only the answers in the store.
    let evidencePath: String?
    /// Checked between batches: an interrupted campaign leaves the item unfinished.
    let interrupted: @Sendable () -> Bool

    struct Outcome {
        var result: Investigation
        var json: JSONValue
        var answers: [(probe: Probe, answer: Answer)]
        var probesSent: Int
    }

    struct Interrupted: Error {}

    private var ipv6: Bool { if case .v6 = item.address { return true }; return false }
    private var isTCP: Bool { item.port.transport == .tcp }

    /// What the batches have gathered so far.
    private struct Gathered {
        var echoes: [Answer] = []
        var trials: [SYNTrial] = []
        var datagrams: [DatagramTrial] = []
        var controlTraces: [TraceRun] = []
        var triggerTrace: TraceRun?
        var payloadSteps: [PayloadStep]?
        var payloadName = "test"
        var payloadJSON: (test: JSONValue, control: JSONValue)?
        var answers: [(probe: Probe, answer: Answer)] = []
        var sent = 0
    }

    func run() throws -> Outcome {
        let started = Date()
        let clock = ContinuousClock.now
        var gathered = Gathered()
        // Parts live in a temporary directory until merged into the item's pcapng.
        var bundle = try evidencePath.map { try EvidenceBundle(path: $0, target: item.address, port: item.port.number, started: started) }
        defer { bundle?.discard() }
        var batch: [ScriptStep] = []
        var batchCondition: StepCondition = .always
        var sourcePorts = SourcePortCounter(first: randomIdentifier())
        var measured = false
        func flush() throws {
            guard !batch.isEmpty else { return }
            defer { batch = [] }
            if interrupted() { throw Interrupted() }
            guard holds(batchCondition, gathered) else { return }
            // The gap separates a target's runs; none before the first.
            if measured && script.pacing.targetGapMilliseconds > 0 {
                Thread.sleep(forTimeInterval: Double(script.pacing.targetGapMilliseconds) / 1000)
            }
            try measure(batch, into: &gathered, ports: &sourcePorts, bundle: &bundle)
            measured = true
            if interrupted() { throw Interrupted() }
        }
        for step in script.steps where applies(step) {
            if case .payload(let spec) = step {
                try flush()
                if interrupted() { throw Interrupted() }
                if holds(spec.when, gathered) {
                    try sweep(spec, into: &gathered, bundle: &bundle)
                    if interrupted() { throw Interrupted() }
                }
                continue
            }
            if step.condition != batchCondition { try flush() }
            batchCondition = step.condition
            batch.append(step)
        }
        try flush()

        let result = analyse(gathered)
        let frames = try bundle?.merge() ?? FrameIndex()
        var context = Investigation.ReportContext()
        context.evidenceFile = evidencePath
        context.frames = { frames.frames($0) }
        context.measurementStartTime = utcText(started, format: "yyyy-MM-dd HH:mm:ss")
        let elapsed = (ContinuousClock.now - clock).components
        context.runtimeSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        context.vantage = route.source
        context.softwareVersion = CensorScope.version
        if let p = gathered.payloadJSON {
            context.test = p.test
            context.control = p.control
        }
        context.extra = [("transport", .string(item.port.transport.rawValue)), ("name", .optional(item.name)),
                         ("script", .string(script.name))]
        if let steps = gathered.payloadSteps {
            context.extra.append(("payload_sweep", .array(steps.map { step in
                .object([("ttl", .number(step.ttl)), ("test", ProbePayloadCommand.observation(step.test)),
                         ("control", ProbePayloadCommand.observation(step.control))])
            })))
        }
        return Outcome(result: result, json: result.json(context), answers: gathered.answers, probesSent: gathered.sent)
    }

    private func analyse(_ g: Gathered) -> Investigation {
        if isTCP {
            var input = InvestigationInput(target: item.address, port: item.port.number, echoReplies: g.echoes, trials: g.trials,
                                           controlTraces: g.controlTraces, triggerTrace: g.triggerTrace)
            input.payloadSteps = g.payloadSteps
            input.payloadName = g.payloadName
            return Investigation.analyse(input)
        }
        return DatagramAnalysis.analyse(DatagramInput(target: item.address, port: item.port.number, echoReplies: g.echoes,
                                                      trials: g.datagrams, traces: g.controlTraces))
    }

    /// Whether a step belongs to this item's transport.
    private func applies(_ step: ScriptStep) -> Bool {
        switch step {
        case .echo: return true
        case .syn, .payload: return isTCP
        case .stun, .dns: return !isTCP
        case .trace(let t): return t.method == .icmp || (t.method == .tcp) == isTCP
        }
    }

    private func holds(_ condition: StepCondition, _ g: Gathered) -> Bool {
        switch condition {
        case .always: return true
        case .blocked: return analyse(g).verdict.isBlocking
        case .passed:
            let results = SYNAnalysis.classify(g.trials, profile: GenuineProfile(target: item.address, echoReplies: g.echoes, trials: g.trials))
            let main = results.filter { $0.trial.port == item.port.number }
            if let linux = main.first(where: { $0.trial.shape.name == "linux" }) { return !linux.blocked }
            return analyse(g).verdict == .reachable
        }
    }

    /// One paced run of the batch's probes.
    private func measure(_ steps: [ScriptStep], into g: inout Gathered, ports: inout SourcePortCounter,
                         bundle: inout EvidenceBundle?) throws {
        let builder: ProbeBuilder
        do { builder = try ProbeBuilder(source: route.source, destination: item.address) } catch { throw UserError("\(error)") }
        var probes: [Probe] = []
        var echoes: [Int] = []
        var trials: [Int: SYNTrialShape] = [:]
        var datagrams: [Int] = []
        var traces: [(name: String, trigger: Bool, probes: [Probe])] = []
        let repeats = script.repetitions
        do {
            for step in steps {
                switch step {
                case .echo(let count):
                    let id: UInt16 = randomIdentifier()
                    for i in 0..<(count * repeats) {
                        echoes.append(probes.count)
                        probes.append(try builder.icmpEcho(index: probes.count, identifier: id, sequence: UInt16(i + 1), payloadSize: 56,
                                                           ttl: 64, ipID: randomIdentifier(), label: "echo #\(i)"))
                    }
                case .syn(let s):
                    let shapes = SYNTrialShape.trials(variants: s.variants, padding: s.pad, ipv6: ipv6)
                    var list = shapes.map { ($0, item.port.number) }
                    if let second = s.secondPort { list += shapes.filter { !$0.padded }.map { ($0, second) } }
                    for _ in 0..<repeats {
                        for (shape, port) in list {
                            trials[probes.count] = shape
                            probes.append(try builder.tcp(index: probes.count, shape: shape.shape, sourcePort: ports.next(),
                                                          destinationPort: port, sequence: randomIdentifier(), ttl: 64,
                                                          ipID: randomIdentifier(), label: "syn \(shape.name) port \(port)"))
                        }
                    }
                case .stun(let count):
                    for _ in 0..<(count * repeats) {
                        datagrams.append(probes.count)
                        let id = (0..<12).map { _ in UInt8.random(in: 0...255) }
                        probes.append(try builder.stunBinding(index: probes.count, sourcePort: ports.next(), destinationPort: item.port.number,
                                                              transactionID: id, ttl: 64, ipID: randomIdentifier(),
                                                              label: "stun binding port \(item.port.number)"))
                    }
                case .dns(let name):
                    for _ in 0..<repeats {
                        datagrams.append(probes.count)
                        probes.append(try builder.dnsQuery(index: probes.count, sourcePort: ports.next(), destinationPort: item.port.number,
                                                           id: randomIdentifier(), name: name, type: 1, ttl: 64, ipID: randomIdentifier(),
                                                           label: "dns A \(name) port \(item.port.number)"))
                    }
                case .trace(let t):
                    var shape: TCPProbeShape?
                    var name = t.method.rawValue
                    if t.method == .tcp {
                        let chosen = traceShape(t, g)
                        shape = chosen.shape
                        name = "tcp \(chosen.name)"
                    }
                    let plan = try TracePlan(method: t.method, source: route.source, destination: item.address,
                                             destinationPort: t.method == .icmp ? nil : item.port.number,
                                             sourcePort: ports.next(), shape: shape, firstTTL: 1, maxTTL: t.maxTTL,
                                             queries: repeats, seed: randomIdentifier())
                    let list = try plan.probes(startIndex: probes.count)
                    probes += list
                    traces.append((name, t.when == .blocked && t.method == .tcp && t.shape == .blocked, list))
                case .payload:
                    break
                }
            }
        } catch let error as UserError {
            throw error
        } catch {
            throw UserError("\(error)")
        }
        let partNumber = bundle?.parts.count ?? 0
        let result = try run(probes, evidence: bundle?.part("batch-\(partNumber)"),
                             singles: echoes + trials.keys.sorted() + datagrams, traces: traces.map(\.probes))
        g.sent += result.statistics.sent
        for p in probes { for a in result.answers(for: p.index) { g.answers.append((p, a)) } }
        g.echoes += echoes.flatMap { result.answers(for: $0) }
        g.trials += trials.keys.sorted().compactMap { i in
            trials[i].map { SYNTrial(shape: $0, probe: probes[i], answers: result.answers(for: i)) }
        }
        g.datagrams += datagrams.map { DatagramTrial(probe: probes[$0], answers: result.answers(for: $0)) }
        for t in traces {
            let run = TraceRun(name: t.name, probes: t.probes,
                               answers: Dictionary(uniqueKeysWithValues: t.probes.map { ($0.index, result.answers(for: $0.index)) }),
                               destination: item.address)
            if t.trigger { g.triggerTrace = run } else { g.controlTraces.append(run) }
        }
        // A TCP control trace first: the location is read against it.
        g.controlTraces.sort { ($0.name.hasPrefix("tcp") ? 0 : 1) < ($1.name.hasPrefix("tcp") ? 0 : 1) }
    }

    /// The shape of a TCP trace: fixed, or the smallest blocked shape found so far (else the
    /// first trial's, when nothing at all answered).
    private func traceShape(_ t: TraceStep, _ g: Gathered) -> (shape: TCPProbeShape, name: String) {
        switch t.shape {
        case .variant(let v)?: return (.variant(v, ipv6: ipv6), v.rawValue)
        case .blocked?:
            let results = SYNAnalysis.classify(g.trials, profile: GenuineProfile(target: item.address, echoReplies: g.echoes, trials: g.trials))
            if let blocked = Investigation.shapesToTrace(results, port: item.port.number).blocked { return (blocked.shape, blocked.name) }
            if let first = g.trials.first { return (first.shape.shape, first.shape.name) }
            return (.variant(.mss, ipv6: ipv6), "mss")
        case nil: return (.variant(.mss, ipv6: ipv6), "mss")
        }
    }

    private func run(_ probes: [Probe], evidence path: String?, singles: [Int], traces: [[Probe]]) throws -> CorrelatedRunResult {
        var configuration = RunConfiguration(route: route, destinations: [item.address], rate: nil,
                                             timeout: .milliseconds(script.pacing.timeoutMilliseconds))
        configuration.sharedPacer = pacer
        configuration.shouldStop = interrupted
        // One ring per item in flight: 4 MiB each keeps 256 parallel items at 1 GiB.
        configuration.captureBufferBytes = 4 << 20
        let evidence: EvidenceFile?
        if let path {
            do { evidence = try EvidenceFile(path: path, interfaceName: route.interface) } catch { throw UserError(error.description) }
        } else {
            evidence = nil
        }
        let destination = item.address
        return try runProbes(probes, configuration, evidence) { c in
            singles.allSatisfy { !c.answers(for: $0).isEmpty }
                && traces.allSatisfy { t in TraceAssembler.isSettled(probes: t, answers: { c.answers(for: $0) }, destination: destination) }
        }
    }

    /// The handshake + TTL-limited payload sweep (kernel connections, so paced by its pauses).
    private func sweep(_ spec: PayloadSpec, into g: inout Gathered, bundle: inout EvidenceBundle?) throws {
        let name: String
        switch spec.name {
        case .fixed(let n): name = n
        case .target:
            guard let n = item.name else { return }   // an address target has no name to test
            name = n
        }
        let test: PayloadTrace.Payload = spec.kind == .tls ? .tls(sni: name) : .http(host: name)
        let control: PayloadTrace.Payload = spec.kind == .tls ? .tls(sni: spec.control) : .http(host: spec.control)
        guard test.bytes(seed: 1) != nil, control.bytes(seed: 2) != nil else {
            throw UserError("a TLS server name must be 1 to \(TLSClientHello.maximumServerNameLength) bytes long, not '\(name)'")
        }
        var config = PayloadTrace.Configuration(target: item.address, port: item.port.number, test: test, control: control,
                                                ttls: 1...spec.maxTTL)
        let rtt = g.echoes.compactMap(\.rttMilliseconds).min() ?? 50
        config.settle = .milliseconds(Int64(min(500, max(100, 4 * rtt + 50))))
        config.wait = .milliseconds(Int64(min(1500, max(700, 8 * rtt + 500))))
        config.pause = .milliseconds(Int64(spec.pauseMilliseconds))
        config.interface = route.interface
        config.pcapPath = bundle?.part("payload")
        config.sharedPacer = pacer
        do { g.payloadSteps = try PayloadTrace.run(config) } catch { throw UserError(error.description) }
        g.payloadName = spec.kind == .tls ? "TLS SNI \(name)" : "HTTP Host \(name)"
        g.payloadJSON = (ProbePayloadCommand.payload(test), ProbePayloadCommand.payload(control))
        g.sent += (g.payloadSteps?.count ?? 0) * 2
    }
}

/// Source ports for one item's probes, from above the kernel's ephemeral range.
struct SourcePortCounter {
    let first: UInt16
    var offset = 0

    init(first: UInt16) { self.first = first }

    mutating func next() -> UInt16 {
        defer { offset += 1 }
        return SourcePorts.port(first, offset)
    }
}
