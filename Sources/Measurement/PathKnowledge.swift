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

    /// Learns every pair of routers a trace saw at consecutive TTLs; with `hostReached` (the
    /// host's own answer, judged genuine), also the last router before the host's prefix. A
    /// forged answer in the host's name (a RST from a device at TTL 2) must not teach that the
    /// prefix sits at TTL 2.
    public func learn(_ trace: TraceRun, hostReached: Bool = false) {
        var pairs: [(Key, IPAddress)] = []
        for ttl in trace.ttls {
            guard let previous = trace.hopAddress(at: ttl - 1), let here = trace.hopAddress(at: ttl) else { continue }
            pairs.append((Key(ttl: ttl, address: here), previous))
        }
        // The host itself stands for its prefix: hosts of one prefix sit behind one last router.
        if hostReached, let d = trace.trace.destinationTTL, let last = trace.hopAddress(at: d - 1) {
            pairs.append((Key(ttl: d, address: Self.prefix(trace.trace.destination)), last))
        }
        guard !pairs.isEmpty else { return }
        before.withLock { map in
            for (key, previous) in pairs where map[key] == nil { map[key] = previous }
        }
        let prefix = Self.prefix(trace.trace.destination)
        after.withLock { map in
            for (key, previous) in pairs {
                let forward = Forward(key: Key(ttl: key.ttl - 1, address: previous), prefix: prefix)
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
        // A trace that started past TTL 1 (at a known hop): the TTLs below, from the router met.
        if let first = trace.ttls.first, first > 1 {
            for ttl in stride(from: first, to: 1, by: -1) {
                if trace.isAnswered(at: ttl - 1) { continue }
                guard let here = trace.address(at: ttl), let previous = backward[Key(ttl: ttl, address: here)] else { break }
                trace.known[ttl - 1] = previous
            }
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

    /// The routers from TTL 1 on towards `destination`'s prefix, as far as other traces saw
    /// them without a gap (empty when they saw more than one first router): a control trace
    /// may start at the last of them, as Doubletree's forward probing stops at known hops;
    /// `fill` then gives the TTLs below from the router it meets there.
    public func knownPath(to destination: IPAddress) -> [IPAddress] {
        let prefix = Self.prefix(destination)
        let forward = after.withLock { $0 }
        let firsts = Set(forward.keys.filter { $0.prefix == prefix && $0.key.ttl == 1 }.map(\.key.address))
        guard firsts.count == 1, let first = firsts.first else { return [] }
        var path = [first]
        while path.count < 64, let next = forward[Forward(key: Key(ttl: path.count, address: path[path.count - 1]), prefix: prefix)],
              next != prefix {
            path.append(next)
        }
        return path
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
