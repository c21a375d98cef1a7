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

    /// A router at TTL t + 1 → the router at TTL t (towards the vantage: shared by every destination).
    private let before = Mutex<[Key: IPAddress]>([:])
    /// The router at TTL t − 1 and the destination's prefix → the router at TTL t (away from
    /// the vantage: shared by destinations in one prefix, as Doubletree's global stop set).
    private struct Forward: Hashable {
        var key: Key
        var prefix: IPAddress
    }
    private let after = Mutex<[Forward: IPAddress]>([:])

    public init() {}

    /// Learns every pair of routers a trace saw at consecutive TTLs.
    public func learn(_ trace: TraceRun) {
        var pairs: [(Key, IPAddress)] = []
        for ttl in trace.ttls {
            guard let previous = trace.hopAddress(at: ttl - 1), let here = trace.hopAddress(at: ttl) else { continue }
            pairs.append((Key(ttl: ttl, address: here), previous))
        }
        // The host itself stands for its prefix: hosts of one prefix sit behind one last router.
        if let d = trace.trace.destinationTTL, let last = trace.hopAddress(at: d - 1) {
            pairs.append((Key(ttl: d, address: Self.prefix(trace.trace.destination)), last))
        }
        guard !pairs.isEmpty else { return }
        before.withLock { map in
            for (key, previous) in pairs where map[key] == nil { map[key] = previous }
        }
        let prefix = Self.prefix(trace.trace.destination)
        after.withLock { map in
            for (key, previous) in pairs {
                let forward = Forward(key: Key(ttl: key.ttl, address: previous), prefix: prefix)
                if map[forward] == nil { map[forward] = key.address }
            }
        }
    }

    /// The destination's /24 (IPv4) or /64 (IPv6): routes beyond the shared path are per prefix.
    static func prefix(_ address: IPAddress) -> IPAddress {
        switch address {
        case .v4(let a): return .v4(IPv4Address(a.value & 0xFFFF_FF00))
        case .v6(let a): return .v6(IPv6Address(high: a.high, low: 0))
        }
    }

    /// Fills the TTLs `trace` missed: below a router it saw (from the highest down), then
    /// after one it saw towards the same prefix (from the lowest up).
    public func fill(_ trace: inout TraceRun) {
        let backward = before.withLock { $0 }
        if let d = trace.trace.destinationTTL, d > 1, !trace.isAnswered(at: d - 1),
           let last = backward[Key(ttl: d, address: Self.prefix(trace.trace.destination))] {
            trace.known[d - 1] = last
        }
        for ttl in trace.ttls.reversed() where ttl > 1 && ttl != trace.trace.destinationTTL {
            guard let here = trace.address(at: ttl), !trace.isAnswered(at: ttl - 1),
                  let previous = backward[Key(ttl: ttl, address: here)] else { continue }
            trace.known[ttl - 1] = previous
        }
        let forward = after.withLock { $0 }
        let prefix = Self.prefix(trace.trace.destination)
        let end = trace.trace.destinationTTL ?? trace.lastAnsweredTTL ?? 0
        for ttl in trace.ttls where ttl > 1 && ttl < end {
            guard !trace.isAnswered(at: ttl), let previous = trace.address(at: ttl - 1),
                  let next = forward[Forward(key: Key(ttl: ttl - 1, address: previous), prefix: prefix)] else { continue }
            trace.known[ttl] = next
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
