import Packets
import Probing
import Synchronization

/// How long a run waits for answers after its last probe, from the round-trip time of the
/// path (`Docs/verdicts.md`, "How long a run waits"): 4 × RTT + 50 ms, at least `floor`, at
/// most the script's `timeout_ms` (the cap). Without any RTT known the cap is the wait.
public enum WaitRule {
    public static let floor: Duration = .milliseconds(150)
    static let slack: Duration = .milliseconds(50)
    static let factor = 4.0

    /// The wait for a path whose slowest recent answer took `rttMilliseconds`.
    public static func timeout(rttMilliseconds: Double?, cap: Duration) -> Duration {
        guard let rtt = rttMilliseconds, rtt.isFinite, rtt >= 0 else { return cap }
        let wanted = Duration.microseconds(Int64(min(rtt * factor, 3_600_000) * 1000)) + slack
        return min(cap, max(floor, wanted))
    }
}

/// What a campaign's vantage has measured of its paths' round trips, shared by every item's
/// engine: the slowest of the recent answers per destination prefix (/24, /64), and over
/// every path of the vantage. A run whose item has no answer of its own yet waits by these;
/// a target that stays silent where other targets of the vantage answer is given up after
/// that wait instead of the late-unreachable wait, unless its prefix has shown late
/// unreachables (a router that reports hosts down only after its ARP or ND gives up).
public final class PathTiming: Sendable {
    /// Samples kept per key: the estimate is their maximum, so one slow answer counts for a while.
    static let samples = 16
    /// An unreachable slower than this is a late one (ARP/ND failure, about 3 s).
    static let lateUnreachableMilliseconds = 500.0

    private struct State {
        var byPrefix: [IPAddress: [Double]] = [:]
        var vantage: [Double] = []
        var lateUnreachablePrefixes: Set<IPAddress> = []
    }
    private let state = Mutex(State())

    public init() {}

    /// Learns the RTTs of a run's answers towards `destination` (the host's and the routers').
    public func learn(_ answers: [Answer], destination: IPAddress) {
        let rtts = answers.filter { !Self.isLate($0) }.compactMap(\.rttMilliseconds).filter { $0.isFinite && $0 >= 0 }
        let late = answers.contains(where: Self.isLate)
        guard !rtts.isEmpty || late else { return }
        let prefix = PathKnowledge.prefix(destination)
        state.withLock { s in
            if !rtts.isEmpty {
                Self.append(rtts, to: &s.byPrefix[prefix, default: []])
                Self.append(rtts, to: &s.vantage)
            }
            if late { s.lateUnreachablePrefixes.insert(prefix) }
        }
    }

    /// The slowest recent RTT towards `destination`'s prefix, else over the vantage's paths.
    public func estimate(for destination: IPAddress) -> (milliseconds: Double, samePrefix: Bool)? {
        let prefix = PathKnowledge.prefix(destination)
        return state.withLock { s in
            if let p = s.byPrefix[prefix]?.max() { return (p, true) }
            return s.vantage.max().map { ($0, false) }
        }
    }

    /// Whether some target of `destination`'s prefix was reported down only late.
    public func lateUnreachables(near destination: IPAddress) -> Bool {
        let prefix = PathKnowledge.prefix(destination)
        return state.withLock { $0.lateUnreachablePrefixes.contains(prefix) }
    }

    /// An unreachable that came late is not a path RTT: the router waited for ARP or ND, the path did not.
    static func isLate(_ a: Answer) -> Bool {
        (a.kind == .unreachable || a.kind == .portUnreachable) && (a.rttMilliseconds ?? 0) >= lateUnreachableMilliseconds
    }

    /// The slowest round trip among `answers`, late unreachables left out.
    public static func slowest(_ answers: [Answer]) -> Double? {
        answers.filter { !isLate($0) }.compactMap(\.rttMilliseconds).filter { $0.isFinite && $0 >= 0 }.max()
    }

    private static func append(_ values: [Double], to list: inout [Double]) {
        list += values
        if list.count > samples { list.removeFirst(list.count - samples) }
    }
}
