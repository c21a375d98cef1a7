import NIOCore
import Packets
import Synchronization

/// Connections the agent holds: at most 256 in all and 8 per client (IPv6: per /64), each
/// closed after `lifetime` whatever it is doing, and each client's new connections paced by
/// a handshake budget. At capacity, a new connection is still admitted: the connection that
/// has waited longest for a request it has not finished sending, from the client holding the
/// most, is closed to make room, so slow clients cannot shut out a quick one.
final class ConnectionLimits: Sendable {
    static let total = 256
    static let perClient = 8
    static let lifetime = TimeAmount.seconds(120)
    /// From the connection to the last byte of its request, TLS handshake included.
    static let requestDeadline = TimeAmount.seconds(5)
    /// New connections (TLS handshakes) per client: a burst, then this many per second.
    static let handshakeBurst = 32.0
    static let handshakesPerSecond = 8.0
    /// Clients whose handshake budget is remembered; beyond it the fullest buckets are forgotten.
    static let rememberedClients = 4096

    struct Entry {
        var client: IPAddress?
        var opened: NIODeadline
        var channel: Channel
        /// The whole request arrived: it is being answered, not slow.
        var complete = false
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var byClient: [IPAddress: Int] = [:]
        var budgets: [IPAddress: (tokens: Double, at: NIODeadline)] = [:]
    }
    private let state = Mutex(State())

    /// Counts a new connection and returns the connections to close to make room; nil (and
    /// nothing counted) when this client is over its own limit or its handshake budget.
    func open(_ id: ObjectIdentifier, client: IPAddress?, channel: Channel, now: NIODeadline) -> [Channel]? {
        state.withLock { s in
            if let client {
                guard s.byClient[client, default: 0] < Self.perClient else { return nil }
                guard Self.spend(&s, client, now: now) else { return nil }
            }
            var evicted: [Channel] = []
            if s.entries.count >= Self.total {
                guard let victim = Self.slowest(s) else { return nil }
                evicted.append(s.entries[victim]!.channel)
                Self.remove(&s, victim)
            }
            s.entries[id] = Entry(client: client, opened: now, channel: channel)
            if let client { s.byClient[client, default: 0] += 1 }
            return evicted
        }
    }

    func complete(_ id: ObjectIdentifier) {
        state.withLock { s in s.entries[id]?.complete = true }
    }

    func close(_ id: ObjectIdentifier) {
        state.withLock { s in Self.remove(&s, id) }
    }

    var count: Int { state.withLock { $0.entries.count } }

    private static func remove(_ s: inout State, _ id: ObjectIdentifier) {
        guard let e = s.entries.removeValue(forKey: id) else { return }
        if let client = e.client {
            let left = s.byClient[client, default: 1] - 1
            s.byClient[client] = left > 0 ? left : nil
        }
    }

    /// The oldest unfinished request of the client with the most connections.
    private static func slowest(_ s: State) -> ObjectIdentifier? {
        s.entries.filter { !$0.value.complete }.max { a, b in
            let (ca, cb) = (a.value.client.map { s.byClient[$0, default: 0] } ?? 0, b.value.client.map { s.byClient[$0, default: 0] } ?? 0)
            return ca != cb ? ca < cb : a.value.opened > b.value.opened
        }?.key
    }

    /// A token bucket per client: false when the client has spent its handshakes.
    private static func spend(_ s: inout State, _ client: IPAddress, now: NIODeadline) -> Bool {
        var bucket = s.budgets[client] ?? (handshakeBurst, now)
        let elapsed = Double((now - bucket.at).nanoseconds) / 1e9
        bucket = (min(handshakeBurst, bucket.tokens + elapsed * handshakesPerSecond), now)
        guard bucket.tokens >= 1 else { s.budgets[client] = bucket; return false }
        bucket.tokens -= 1
        if s.budgets[client] == nil, s.budgets.count >= rememberedClients {
            // Forget half: a forgotten client starts with a full budget again, no worse than new.
            for key in s.budgets.keys.prefix(rememberedClients / 2) { s.budgets[key] = nil }
        }
        s.budgets[client] = bucket
        return true
    }
}

/// Probes waiting for or on the probe thread: bounded, so a flood queues no hours of work.
final class ProbeQueue: Sendable {
    static let limit = 8
    static let shared = ProbeQueue()
    private let count = Mutex(0)

    func enter() -> Bool {
        count.withLock { n in
            guard n < Self.limit else { return false }
            n += 1
            return true
        }
    }

    func leave() { count.withLock { $0 -= 1 } }
}
