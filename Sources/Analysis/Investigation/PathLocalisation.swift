import Packets
import Probing

/// Finds where on the path trigger probes stop behaving like control probes.
public enum PathLocalisation {
    /// What a trigger trace shows at the TTL where it is first interfered with.
    public struct Finding: Sendable {
        public var location: Location
        /// Forged answers in the trigger trace, by probe TTL.
        public var forged: [(ttl: Int, answer: Answer)]
    }

    /// The trace to read a trigger trace against: the best control available. A trace that
    /// reached the host's own answer first (a TCP trace whose shape passed, on this port or on
    /// the other one for a port-wide block, then ICMP, then UDP, in the order given); else the
    /// one whose routers answer furthest. A trace "reached" only when the answer in the host's
    /// name is genuine: a forged RST to a blocked trace is no control.
    public static func bestControl(_ traces: [TraceRun], target: IPAddress, profile: GenuineProfile) -> TraceRun? {
        func reachedGenuinely(_ t: TraceRun) -> Bool { reachesHost(t, target: target, profile: profile) }
        func furthestRouter(_ t: TraceRun) -> Int {
            t.probes.filter { (t.answers[$0.index] ?? []).contains { $0.kind == .timeExceeded } }.map { Int($0.ttl) }.max() ?? 0
        }
        if let reached = traces.first(where: reachedGenuinely) { return reached }
        return traces.enumerated().max { (furthestRouter($0.element), -$0.offset) < (furthestRouter($1.element), -$1.offset) }?.element
    }

    /// Whether the trace drew the host's own answer (in its name, and not forged).
    public static func reachesHost(_ t: TraceRun, target: IPAddress, profile: GenuineProfile) -> Bool {
        t.probes.contains { p in
            let answers = t.answers[p.index] ?? []
            return answers.contains { a in
                a.fingerprint.source == target && a.kind != .timeExceeded
                    && !InjectionCheck.assess(a, probe: p, siblings: answers, reference: profile.fingerprints).injected
            }
        }
    }

    /// The first TTL at which the trigger trace draws a forged answer, or silence where the
    /// control trace still draws an answer (and nothing but forgeries later). Nil when the
    /// trigger trace reaches the host unharmed or nothing tells.
    public static func locate(trigger: TraceRun, control: TraceRun?, profile: GenuineProfile, target: IPAddress,
                              onPathAtFullTTL: Bool) -> Finding? {
        var forged: [(ttl: Int, answer: Answer)] = []
        var first: (ttl: Int, silent: Bool, alsoTimeExceeded: Bool)?
        var refusal: Answer?
        // A trace that draws forgeries or refusals anywhere is located by the first of them:
        // silent TTLs before it are hops lost (an ICMP rate limit), not the device.
        let answersActively = trigger.probes.contains { probe in
            let answers = trigger.answers[probe.index] ?? []
            return answers.contains { a in
                (a.fingerprint.source != target && (a.kind == .unreachable || a.kind == .portUnreachable))
                    || (a.fingerprint.source == target && a.kind != .timeExceeded
                        && InjectionCheck.assess(a, probe: probe, siblings: answers, reference: profile.fingerprints).injected)
            }
        }
        for probe in trigger.probes.sorted(by: { ($0.ttl, $0.index) < ($1.ttl, $1.index) }) {
            let ttl = Int(probe.ttl)
            let answers = trigger.answers[probe.index] ?? []
            let mine = answers.filter { $0.fingerprint.source == target && $0.kind != .timeExceeded }
            let fakes = mine.filter {
                InjectionCheck.assess($0, probe: probe, siblings: answers, reference: profile.fingerprints).injected
            }
            forged += fakes.map { (ttl, $0) }
            guard first == nil else { continue }
            let refused = answers.first { ($0.kind == .unreachable || $0.kind == .portUnreachable) && $0.fingerprint.source != target }
            if !fakes.isEmpty {
                first = (ttl, false, answers.contains { $0.kind == .timeExceeded })
            } else if let refused {
                // A router refuses what it would forward (iptables REJECT with an ICMP error).
                first = (ttl, false, false)
                refusal = refused
            } else if !mine.isEmpty {
                return nil   // the host itself answered before any interference
            } else if !answersActively, trigger.responses(at: ttl).isEmpty, let control, control.isAnswered(at: ttl),
                      !laterGenuine(trigger, after: ttl, target: target, profile: profile) {
                first = (ttl, true, false)
            }
        }
        guard let first else { return nil }
        let k = first.ttl
        let address = control?.address(at: k)
        let before = k > 1 ? (control?.address(at: k - 1) ?? trigger.address(at: k - 1)) : nil
        let onPath = (!first.silent && first.alsoTimeExceeded) || onPathAtFullTTL
        var confidence: Confidence
        var reason: String
        if let refusal {
            let code = refusal.fingerprint.icmpCode ?? 0
            confidence = .high
            reason = "The trigger probe limited to TTL \(k) drew ICMP destination unreachable code \(code) from \(refusal.fingerprint.source)"
                + (address.map { ", where control probes reach \($0)" } ?? "")
                + (before.map { "; at TTL \(k - 1) it still draws time exceeded from \($0): the device acts on what that router forwards" } ?? "") + "."
        } else if first.silent {
            confidence = .medium
            reason = "From TTL \(k) on, the trigger probes vanish while control probes still draw time exceeded"
                + (address.map { " from \($0)" } ?? "") + "."
        } else {
            confidence = address != nil ? .high : .medium
            reason = "The trigger probe limited to TTL \(k) drew a forged answer in the host's name"
                + (address.map { "; at that TTL control probes reach \($0)" } ?? "; no control probe answered at that TTL") + "."
        }
        if onPath {
            reason += first.alsoTimeExceeded
                ? " The same probe also drew time exceeded from the next router: the device copies the packet and lets it go on (on-path)."
                : " The host's own answer also arrived: the device races it rather than dropping the packet (on-path)."
        } else if !first.silent, refusal == nil {
            reason += " No time exceeded came for that probe: the device takes the packet off the path (in-path)."
        }
        // The trigger probed the TTL before and drew nothing where the control's router
        // answered: its time exceeded lost, or the device's own answer there (a hop nearer).
        if !first.silent, k > 1, trigger.probes.contains(where: { Int($0.ttl) == k - 1 }), trigger.responses(at: k - 1).isEmpty,
           control?.isAnswered(at: k - 1) == true {
            confidence = min(confidence, .medium)
            reason += " The trigger probe limited to TTL \(k - 1) drew nothing while control probes drew time exceeded there: the device may sit one hop nearer, its answer to that probe lost."
        }
        let location = Location(ttl: k, address: address, before: before, onPath: onPath, confidence: confidence, reason: reason)
        return Finding(location: location, forged: forged)
    }

    private static func laterGenuine(_ trace: TraceRun, after ttl: Int, target: IPAddress, profile: GenuineProfile) -> Bool {
        trace.probes.contains { p in
            guard Int(p.ttl) > ttl else { return false }
            let answers = trace.answers[p.index] ?? []
            return answers.contains { a in
                a.kind == .timeExceeded
                    || (a.fingerprint.source == target
                        && !InjectionCheck.assess(a, probe: p, siblings: answers, reference: profile.fingerprints).injected)
            }
        }
    }

    /// Where silence begins when nothing from the host ever answers: one past the last TTL
    /// any trace drew an answer at.
    public static func silence(_ traces: [TraceRun]) -> Location? {
        guard let last = traces.compactMap(\.lastAnsweredTTL).max() else { return nil }
        let before = traces.lazy.compactMap { $0.address(at: last) }.first
        return Location(ttl: last + 1, address: nil, before: before, onPath: false, confidence: .low,
                        reason: "Every trace goes silent after TTL \(last)" + (before.map { " (\($0))" } ?? "")
                            + ", ICMP included, and no router reports the host unreachable. Silence alone cannot exclude a host that is down behind a silent gateway: a control address beyond it, or the far-end agent, would settle it.")
    }

    /// Forged packets per probe, the most any one probe drew: identical copies (counted on
    /// their first) and distinct ones alike (three RSTs with other TTLs or sequence numbers
    /// are three copies of the injection, not one). Indices are one run's: count runs apart.
    static func copies(_ forged: [Answer]) -> Int {
        var perProbe: [Int: Int] = [:]
        for a in forged { perProbe[a.probeIndex, default: 0] += a.duplicates + 1 }
        return max(1, perProbe.values.max() ?? 1)
    }

    /// The forgers' fingerprint, from every forged answer seen.
    public static func injector(_ forged: [Answer], traceForged: [(ttl: Int, answer: Answer)], reasons: [String]) -> InjectorProfile? {
        let all = forged + traceForged.map(\.answer)
        guard let first = all.first else { return nil }
        let ttl = GenuineProfile.mode(all.map(\.fingerprint.ttl)) ?? first.fingerprint.ttl
        let ids = Set(all.compactMap(\.fingerprint.ipID))
        var copiesTTL = false
        var why = reasons
        let byProbeTTL = Dictionary(grouping: traceForged, by: \.ttl)
        if byProbeTTL.count >= 2 {
            let offsets = Set(traceForged.map { Int($0.answer.fingerprint.ttl) - $0.ttl })
            let arrival = Set(traceForged.map(\.answer.fingerprint.ttl))
            if offsets.count == 1, arrival.count > 1 {
                copiesTTL = true
                why.append("The forged packets' TTL rises with the probe's TTL (arrival TTL = probe TTL \(offsets.first! >= 0 ? "+" : "−") \(abs(offsets.first!))): the injector copies the probe's TTL.")
            }
        }
        if ids.count == 1, let id = ids.first, all.count >= 2 {
            why.append("Every forged packet carries IP ID \(id).")
        }
        return InjectorProfile(ttl: ttl, ipID: ids.count == 1 ? ids.first : nil, dontFragment: first.fingerprint.dontFragment,
                               window: first.fingerprint.window, flags: first.fingerprint.flags?.letters,
                               copies: max(copies(forged), copies(traceForged.map(\.answer))), ttlCopiesProbe: copiesTTL, reasons: why)
    }
}
