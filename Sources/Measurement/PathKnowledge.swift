import Analysis
import Packets
import Synchronization

/// What a campaign has learned of the routers between its vantage and its targets: for a
/// router seen at TTL t + 1, the router seen at TTL t before it. Paths from one vantage
/// converge towards it (Doubletree's backward stop set, Donnet et al. 2005), so a trace that
/// meets a known router needs no answer below it: a hop an ICMP rate limit erased is filled
/// from what other items' traces saw, instead of asking the same routers again. Shared by
/// every item's engine; one vantage's only.
public final class PathKnowledge: Sendable {
    private struct Key: Hashable {
        var ttl: Int
        var address: IPAddress
    }

    private let before = Mutex<[Key: IPAddress]>([:])

    public init() {}

    /// Learns every pair of routers a trace saw at consecutive TTLs.
    public func learn(_ trace: TraceRun) {
        var pairs: [(Key, IPAddress)] = []
        for ttl in trace.ttls {
            guard let previous = trace.hopAddress(at: ttl - 1), let here = trace.hopAddress(at: ttl) else { continue }
            pairs.append((Key(ttl: ttl, address: here), previous))
        }
        guard !pairs.isEmpty else { return }
        before.withLock { map in
            for (key, previous) in pairs where map[key] == nil { map[key] = previous }
        }
    }

    /// Fills the TTLs `trace` missed below a router it saw, from the highest down.
    public func fill(_ trace: inout TraceRun) {
        let map = before.withLock { $0 }
        for ttl in trace.ttls.reversed() where ttl > 1 {
            guard let here = trace.address(at: ttl), !trace.isAnswered(at: ttl - 1),
                  let previous = map[Key(ttl: ttl, address: here)] else { continue }
            trace.known[ttl - 1] = previous
        }
    }

    /// Routers known, for tests and reports.
    public var count: Int { before.withLock { $0.count } }
}

extension TraceRun {
    /// The router that sent a time exceeded at `ttl` (not the host's answers, nor forgeries).
    func hopAddress(at ttl: Int) -> IPAddress? {
        guard ttl >= 1 else { return nil }
        return responses(at: ttl).first { $0.kind == .timeExceeded }?.fingerprint.source
    }
}
