import Analysis
import Foundation
import Packets
import Probing

extension Engine {
    /// Rounds of retries for hops a trace missed, and the pause before each: Linux routers
    /// send ICMP errors in a burst of about 6 per destination, then one a second, so a hop
    /// lost to the limit answers again a second later.
    static let retryRounds = 3
    static let retryPause = 1.0

    /// Asks again, on the same flow, for the hops each trace missed below where it ends
    /// (silent TTLs with answers beyond them): what an ICMP rate limit erases. Only when the
    /// verdict is a block whose location lacks a router (or is missing), or whose trigger trace
    /// lost the answer next to it (`doubtfulHop`), and only the hops up to where the device
    /// acts: a clean target, or a path with a router that never sends ICMP, is not slowed.
    func retryMissedHops(state: inout EngineState, bundle: inout EvidenceBundle?) throws {
        for round in 1...Self.retryRounds {
            // What the campaign's other items have learned since.
            if let knowledge {
                for i in state.controlTraces.indices { knowledge.fill(&state.controlTraces[i]) }
                if state.triggerTrace != nil { knowledge.fill(&state.triggerTrace!) }
            }
            let judged = state.analyse()
            guard judged.verdict.isBlocking else { return }
            // With a location, only the control's routers at its TTL and the one before; without,
            // every hop either trace missed.
            var runs: [(key: String, trigger: Bool, holes: [Int])] = []
            let profile = judged.genuine
            let control = PathLocalisation.bestControl(state.controlTraces, target: state.item.address, profile: profile)
            if let l = judged.location {
                if let trigger = state.triggerTrace, let control,
                   let hop = Self.doubtfulHop(l.ttl, trigger: trigger, control: control, firstRound: round == 1) {
                    runs.append((EngineState.planKey(trigger: true, name: trigger.name), true, [hop]))
                }
                if l.address == nil || (l.before == nil && l.ttl > 1), let control {
                    let wanted = Set([l.ttl, l.ttl - 1].filter { $0 >= 1 })
                    runs.append((EngineState.planKey(trigger: false, name: control.name), false, Self.holes(control).filter(wanted.contains)))
                }
            } else {
                for t in state.controlTraces { runs.append((EngineState.planKey(trigger: false, name: t.name), false, Self.holes(t))) }
                if let t = state.triggerTrace { runs.append((EngineState.planKey(trigger: true, name: t.name), true, Self.holes(t))) }
            }
            runs = runs.filter { !$0.holes.isEmpty && state.tracePlans[$0.key] != nil }
            guard !runs.isEmpty else { return }
            try checkInterrupt()
            // A second per round, and more for later rounds, with jitter: parallel items
            // asking the same router must not meet in its next second again.
            Thread.sleep(forTimeInterval: Self.retryPause * Double(round) + Double.random(in: 0..<0.5))
            var probes: [Probe] = []
            var owner: [Int: String] = [:]
            for r in runs {
                guard let plan = state.tracePlans[r.key] else { continue }
                for ttl in r.holes {
                    let retry = try Self.retryPlan(plan, ttl: ttl, round: round, source: source)
                    let made = try retry.probes(startIndex: round * 1_000_000 + probes.count)
                    for p in made { owner[p.index] = r.key }
                    probes += made
                }
            }
            let indices = probes.map(\.index)
            let result = try measuredRun(probes, part: "retry-\(round)", state: &state, bundle: &bundle, waitsForLateUnreachable: false,
                                         settled: { c in indices.allSatisfy { !c.answers(for: $0).isEmpty } }, quiet: { _ in false })
            for p in probes {
                let answers = result.answers(for: p.index)
                for a in answers { state.answers.append((p, a)) }
                guard let key = owner[p.index] else { continue }
                if key == EngineState.planKey(trigger: true, name: state.triggerTrace?.name ?? "") {
                    state.triggerTrace?.add(p, answers: answers)
                } else if let i = state.controlTraces.firstIndex(where: { EngineState.planKey(trigger: false, name: $0.name) == key }) {
                    state.controlTraces[i].add(p, answers: answers)
                }
            }
            for t in state.controlTraces + [state.triggerTrace].compactMap({ $0 }) { knowledge?.learn(t) }
        }
    }

    /// The trigger trace's TTL whose lost answer would put the device one hop off, to ask
    /// again on the trigger's flow. Located by a forgery or refusal at `ttl`: the TTL before,
    /// when the trigger probed it and drew nothing while the control's router answered there
    /// (the device's own answer lost there reads as a lost time exceeded, and the device a hop
    /// too far). Located by silence at `ttl`: that TTL, in the first round only (a lost time
    /// exceeded there puts the device a hop too near; a real drop stays silent, and three
    /// rounds of it would only slow every drop).
    static func doubtfulHop(_ ttl: Int, trigger: TraceRun, control: TraceRun, firstRound: Bool) -> Int? {
        if trigger.responses(at: ttl).isEmpty {
            return firstRound && control.isAnswered(at: ttl) && trigger.probes.contains { Int($0.ttl) == ttl } ? ttl : nil
        }
        let before = ttl - 1
        guard before >= 1, trigger.probes.contains(where: { Int($0.ttl) == before }), trigger.responses(at: before).isEmpty,
              control.isAnswered(at: before) else { return nil }
        return before
    }

    /// TTLs of `trace` without any answer, below its last answered TTL (or the host's); those
    /// below a trace that started at a known hop too, when the router met there did not tell them.
    static func holes(_ trace: TraceRun) -> [Int] {
        guard let last = trace.trace.destinationTTL ?? trace.lastAnsweredTTL else { return [] }
        return (1..<max(1, last)).filter { !trace.isAnswered(at: $0) }
    }

    /// One probe at `ttl` on the flow of `plan` (same ports, shape, ICMP identifier and
    /// checksum), with identifiers no probe of the plan used.
    static func retryPlan(_ plan: TracePlan, ttl: Int, round: Int, source: IPAddress) throws -> TracePlan {
        let shift = UInt32(1000 * round + ttl)
        let seed: UInt32
        switch plan.method {
        case .icmp: seed = (plan.seed & 0xFFFF_0000) | ((plan.seed &+ shift) & 0xFFFF)
        case .tcp: seed = plan.seed &+ shift &* 0x9E37_79B9
        case .udp: seed = plan.seed &+ shift
        }
        return try TracePlan(method: plan.method, source: source, destination: plan.builder.destination,
                             destinationPort: plan.destinationPort, sourcePort: plan.sourcePort, shape: plan.shape,
                             firstTTL: ttl, maxTTL: ttl, queries: 1, seed: seed)
    }
}
