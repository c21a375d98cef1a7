import Packets
import Probing

/// A trial's outcome with the assessments behind it.
public struct SYNTrialResult: Hashable, Sendable {
    public var trial: SYNTrial
    public var outcome: SYNTrialOutcome
    /// The answers judged forged, with the reasons of the first.
    public var forged: [Answer]
    public var forgeryReasons: [String]
    /// The deciding answer: the first forged one, else the first.
    public var response: Answer? { forged.first ?? trial.answers.first }
    /// Blocked: forged, refused by a router, or silent while other SYNs drew the host's answer.
    public var blocked: Bool

    /// "linux (60 bytes)" or "linux (60 bytes, port 443)".
    public func label(mainPort: UInt16) -> String {
        trial.shape.name + " (\(trial.size) bytes" + (trial.port == mainPort ? ")" : ", port \(trial.port))")
    }
}

/// Classifies SYN trials and isolates what triggers the blocking.
public enum SYNAnalysis {
    /// Each trial's outcome. A trial is blocked when forged answers came, when a router
    /// refused it, or when it drew nothing while another trial drew the host's answer.
    public static func classify(_ trials: [SYNTrial], profile: GenuineProfile) -> [SYNTrialResult] {
        var results = trials.map { trial -> SYNTrialResult in
            var forged: [Answer] = [], reasons: [String] = [], genuine: [Answer] = []
            var unreachable: Answer?
            for a in trial.answers {
                switch a.kind {
                case .synAck, .rst, .tcp:
                    let check = InjectionCheck.assess(a, probe: trial.probe, siblings: trial.answers, reference: profile.fingerprints)
                    if check.injected {
                        if forged.isEmpty { reasons = check.reasons }
                        forged.append(a)
                    } else {
                        genuine.append(a)
                    }
                case .unreachable, .portUnreachable:
                    if unreachable == nil { unreachable = a }
                default:
                    break
                }
            }
            let outcome: SYNTrialOutcome
            if !forged.isEmpty {
                outcome = .forged(alsoGenuine: !genuine.isEmpty)
            } else if let g = genuine.first {
                outcome = .genuine(g.kind)
            } else if let u = unreachable {
                outcome = .unreachable(code: u.fingerprint.icmpCode ?? 0, from: u.fingerprint.source)
            } else {
                outcome = .silent
            }
            return SYNTrialResult(trial: trial, outcome: outcome, forged: forged, forgeryReasons: reasons, blocked: false)
        }
        let anyGenuine = results.contains { if case .genuine = $0.outcome { return true }; return false }
        for i in results.indices {
            switch results[i].outcome {
            case .forged: results[i].blocked = true
            case .unreachable: results[i].blocked = true
            case .silent: results[i].blocked = anyGenuine
            case .genuine: results[i].blocked = false
            }
        }
        return results
    }

    /// Which dimension explains the blocked trials on `port`: size alone (same options,
    /// other outcome at another size), options alone, or both; the other port as a
    /// further dimension.
    public static func trigger(_ results: [SYNTrialResult], port: UInt16) -> Trigger {
        let main = results.filter { $0.trial.port == port }
        let other = results.filter { $0.trial.port != port }
        let blocked = main.filter(\.blocked), passed = main.filter { !$0.blocked }
        let blockedLabels = blocked.map { $0.label(mainPort: port) }, passedLabels = passed.map { $0.label(mainPort: port) }
        guard !blocked.isEmpty else {
            return Trigger(kind: "none", detail: "Every SYN shape drew the host's own answer on port \(port).",
                           passed: passedLabels)
        }
        var dimensions: [String] = []
        let otherPort = other.first?.trial.port
        let otherBlocked = other.filter(\.blocked), otherPassed = other.filter { !$0.blocked }
        if let otherPort, !other.isEmpty {
            let blockedNames = Set(blocked.map(\.trial.shape.name))
            let sameShapes = other.filter { blockedNames.contains($0.trial.shape.name) }
            if !sameShapes.isEmpty, sameShapes.allSatisfy({ !$0.blocked }) {
                dimensions.append("port: the same SYNs to port \(otherPort) pass, so the rule names port \(port)")
            } else if !otherBlocked.isEmpty {
                dimensions.append("port: SYNs to port \(otherPort) are blocked too")
            }
        }
        if passed.isEmpty {
            if let otherPort, !otherPassed.isEmpty {
                return Trigger(kind: "port", detail: "Every SYN to port \(port) is blocked, while SYNs to port \(otherPort) draw the host's answer.",
                               blocked: blockedLabels, passed: otherPassed.map { $0.label(mainPort: port) }, dimensions: dimensions)
            }
            return Trigger(kind: "address", detail: "Every SYN to this address is blocked, whatever its size, options or port.",
                           blocked: blockedLabels + otherBlocked.map { $0.label(mainPort: port) }, passed: [], dimensions: dimensions)
        }
        let bySize = consistent(main) { $0.trial.size }
        let byOptions = consistent(main) { $0.trial.optionNames.joined(separator: ",") }
        var trigger: Trigger
        if bySize, !byOptions {
            trigger = Trigger(kind: "syn-size", detail: sizeDetail(main), blocked: blockedLabels, passed: passedLabels)
        } else if byOptions, !bySize {
            trigger = Trigger(kind: "syn-options", detail: optionsDetail(main), blocked: blockedLabels, passed: passedLabels)
        } else if bySize {
            trigger = Trigger(kind: "syn-shape",
                              detail: "The SYN's shape decides, but these trials cannot tell its size from its options.",
                              blocked: blockedLabels, passed: passedLabels)
        } else {
            trigger = Trigger(kind: "syn-shape",
                              detail: "Neither size nor options alone explain which SYNs are blocked; both matter.",
                              blocked: blockedLabels, passed: passedLabels)
        }
        trigger.dimensions = dimensions
        return trigger
    }

    /// Whether trials with equal `key` always share an outcome.
    static func consistent<K: Hashable>(_ results: [SYNTrialResult], key: (SYNTrialResult) -> K) -> Bool {
        var seen: [K: Bool] = [:]
        for r in results {
            let k = key(r)
            if let b = seen[k], b != r.blocked { return false }
            seen[k] = r.blocked
        }
        return true
    }

    static func sizeDetail(_ results: [SYNTrialResult]) -> String {
        let blockedSizes = Set(results.filter(\.blocked).map(\.trial.size)).sorted()
        let passedSizes = Set(results.filter { !$0.blocked }.map(\.trial.size)).sorted()
        let list = { (s: [Int]) in s.map(String.init).joined(separator: ", ") }
        if let minBlocked = blockedSizes.first, let maxPassed = passedSizes.last, maxPassed < minBlocked {
            return "SYNs of \(minBlocked) bytes or more are blocked whatever their options; SYNs of \(maxPassed) bytes or less pass (blocked sizes: \(list(blockedSizes)); passing: \(list(passedSizes)))."
        }
        return "The SYN's size decides, whatever its options: blocked at \(list(blockedSizes)) bytes, passing at \(list(passedSizes))."
    }

    static func optionsDetail(_ results: [SYNTrialResult]) -> String {
        let blockedSets = results.filter(\.blocked).map { Set($0.trial.optionNames) }
        let passedSets = results.filter { !$0.blocked }.map { Set($0.trial.optionNames) }
        let common = blockedSets.dropFirst().reduce(blockedSets.first ?? []) { $0.intersection($1) }
        let telling = common.filter { name in passedSets.allSatisfy { !$0.contains(name) } }.sorted()
        if !telling.isEmpty {
            return "SYNs carrying \(telling.joined(separator: " and ")) are blocked whatever their size; SYNs without pass."
        }
        return "The SYN's options decide, whatever its size."
    }
}
