import Analysis
import Campaigns
import Packets
import ProbeSession
import Probing

/// A batch's probes and what each is for, before they are sent.
struct BatchPlan {
    var probes: [Probe] = []
    var echoes: [Int] = []
    var trials: [Int: SYNTrialShape] = [:]
    var datagrams: [Int] = []
    var traces: [(name: String, trigger: Bool, probes: [Probe], plan: TracePlan)] = []

    /// The full-TTL probes, each answered once the run can settle.
    var singles: [Int] { echoes + trials.keys.sorted() + datagrams }
}

extension Engine {
    /// One paced run of a batch's probes, its answers filed into `state`.
    func runBatch(_ steps: [ScriptStep], state: inout EngineState, bundle: inout EvidenceBundle?) throws {
        let plan = try planBatch(steps, state: &state)
        guard !plan.probes.isEmpty else { return }
        let singles = plan.singles
        let traceProbes = plan.traces.map(\.probes)
        let destination = state.item.address
        let allProbes = plan.probes
        // Full-TTL probes, or the item's first run, are what a late host unreachable answers;
        // a later batch of traces only (the location of a silence already judged) need not wait.
        let waitsForLateUnreachable = !singles.isEmpty || state.sent == 0
        let result = try measuredRun(plan.probes, singles: singles, part: "batch", state: &state, bundle: &bundle, waitsForLateUnreachable: waitsForLateUnreachable,
                                     settled: { c in
            singles.allSatisfy { !c.answers(for: $0).isEmpty }
                && traceProbes.allSatisfy { t in TraceAssembler.isSettled(probes: t, answers: { c.answers(for: $0) }, destination: destination) }
        }, quiet: { c in Self.quiet(allProbes, destination: destination, answers: { c.answers(for: $0) }) })
        fileBatch(plan, result: result, state: &state)
    }

    /// Nothing from the host, no router saying why, no loop: a run worth waiting on for a late unreachable.
    static func quiet(_ probes: [Probe], destination: IPAddress, answers: (Int) -> [Answer]) -> Bool {
        !probes.contains { p in answers(p.index).contains { a in decisive(a, probe: p, destination: destination) } }
    }

    /// Builds a batch's probes from the item's identifiers (the same state builds the same probes).
    func planBatch(_ steps: [ScriptStep], state: inout EngineState) throws -> BatchPlan {
        let item = state.item
        let builder: ProbeBuilder
        do { builder = try ProbeBuilder(source: source, destination: item.address) } catch { throw MeasurementError("\(error)") }
        var plan = BatchPlan()
        let repeats = script.repetitions
        do {
            for step in steps {
                switch step {
                case .echo(let count):
                    let id: UInt16 = state.ids.next()
                    for i in 0..<(count * repeats) {
                        plan.echoes.append(plan.probes.count)
                        plan.probes.append(try builder.icmpEcho(index: plan.probes.count, identifier: id, sequence: UInt16(i + 1), payloadSize: 56,
                                                                ttl: 64, ipID: state.ids.next(), label: "echo #\(i)"))
                    }
                case .syn(let s):
                    let shapes = SYNTrialShape.trials(variants: s.variants, padding: s.pad, ipv6: item.isIPv6)
                    var list = shapes.map { ($0, item.port.number) }
                    if let second = s.secondPort?.port(for: item.port.number), second != item.port.number {
                        list += shapes.filter { !$0.padded }.map { ($0, second) }
                    }
                    for _ in 0..<repeats {
                        for (shape, port) in list {
                            plan.trials[plan.probes.count] = shape
                            plan.probes.append(try builder.tcp(index: plan.probes.count, shape: shape.shape, sourcePort: state.ports.next(),
                                                               destinationPort: port, sequence: state.ids.next(), ttl: 64,
                                                               ipID: state.ids.next(), label: "syn \(shape.name) port \(port)"))
                        }
                    }
                case .datagram(let d):
                    guard let kind = ProbeKinds.datagramKind(named: d.kind), let arguments = try d.arguments(port: item.port.number) else {
                        throw MeasurementError("the probe kind '\(d.kind)' is not in this build's table")
                    }
                    for _ in 0..<(d.count * repeats) {
                        plan.datagrams.append(plan.probes.count)
                        plan.probes.append(try ProbeKinds.datagramProbe(kind, builder: builder, index: plan.probes.count, sourcePort: state.ports.next(),
                                                                        ipID: state.ids.next(), arguments: arguments, random: &state.ids))
                    }
                case .trace(let t):
                    guard let trace = try plannedTrace(t, state: &state, start: plan.probes.count) else { continue }
                    plan.probes += trace.probes
                    plan.traces.append(trace)
                case .payload, .fetch, .transfer:
                    break
                }
            }
        } catch let error as MeasurementError {
            throw error
        } catch {
            throw MeasurementError("\(error)")
        }
        return plan
    }

    /// Files a batch's answers into `state`.
    func fileBatch(_ plan: BatchPlan, result: CorrelatedRunResult, state: inout EngineState) {
        let probes = plan.probes
        for p in probes { for a in result.answers(for: p.index) { state.answers.append((p, a)) } }
        state.echoes += plan.echoes.flatMap { result.answers(for: $0) }
        state.echoProbes += plan.echoes.map { (probes[$0], result.answers(for: $0)) }
        state.trials += plan.trials.keys.sorted().compactMap { i in
            plan.trials[i].map { SYNTrial(shape: $0, probe: probes[i], answers: result.answers(for: i)) }
        }
        state.datagrams += plan.datagrams.map { DatagramTrial(probe: probes[$0], answers: result.answers(for: $0)) }
        for t in plan.traces {
            let run = TraceRun(name: t.name, probes: t.probes,
                               answers: Dictionary(uniqueKeysWithValues: t.probes.map { ($0.index, result.answers(for: $0.index)) }),
                               destination: state.item.address)
            if t.trigger { state.triggerTrace = run } else { state.controlTraces.append(run) }
            state.tracePlans[EngineState.planKey(trigger: t.trigger, name: t.name)] = t.plan
            // Shared at once: parallel items fill their missed hops from it sooner.
            knowledge?.learn(run)
        }
        state.orderControls()
    }

    /// An answer that settles whether the host is there: anything from it, a router's
    /// unreachable, or a time exceeded to a full-TTL probe (a loop).
    static func decisive(_ a: Answer, probe: Probe, destination: IPAddress) -> Bool {
        if a.kind == .unreachable || a.kind == .portUnreachable { return true }
        if a.kind == .timeExceeded { return probe.ttl >= 64 }
        return a.fingerprint.source == destination
    }

    /// A trace step's probes, or nil when it has nothing to trace or repeats a trace already run.
    private func plannedTrace(_ t: TraceStep, state: inout EngineState, start: Int) throws -> (name: String, trigger: Bool, probes: [Probe], plan: TracePlan)? {
        let item = state.item
        var shape: TCPProbeShape?
        var name = t.method.rawValue
        var port = item.port.number
        if t.method == .tcp {
            guard let chosen = state.traceShape(t) else { return nil }
            shape = chosen.shape
            name = "tcp \(chosen.name)"
            port = chosen.port
        }
        let trigger = t.method == .tcp && t.shape == .blocked
        let maxTTL = ttlLimit(t.maxTTL)
        guard state.traced.insert("\(trigger) \(name) \(maxTTL)").inserted else { return nil }
        // A control trace of a campaign starts at the last hop its other items' traces know
        // towards this prefix (Doubletree): the shared first routers are not asked again, and
        // their ICMP rate limits are left to the hops that matter. A trigger trace sends every
        // TTL: it looks for where the device acts.
        let known = trigger ? [] : (knowledge?.knownPath(to: item.address) ?? [])
        let firstTTL = known.count >= 2 ? min(known.count, maxTTL) : 1
        let plan = try TracePlan(method: t.method, source: source, destination: item.address,
                                 destinationPort: t.method == .icmp ? nil : port,
                                 sourcePort: state.ports.next(), shape: shape, firstTTL: firstTTL, maxTTL: maxTTL,
                                 queries: script.repetitions, seed: state.ids.next())
        return (name, trigger, try plan.probes(startIndex: start), plan)
    }
}
