/// Which item a campaign worker takes next: the first in run order whose address and port
/// has no item in flight and is not held off. After an item ends blocked (or with residual
/// blocking), its address and port are held off for `holdoff`: residual blocking (the GFW
/// resets every new connection from the client to that address and port for about 90 s)
/// would otherwise make the next item there look blocked. Pure: the clock is passed in.
struct ItemSpacing {
    enum Pick: Equatable {
        case item(Int)
        /// Nothing can start yet: wait (at most) this long and ask again.
        case wait(Duration)
        case finished
    }

    /// "address port" of each item, by index.
    let keys: [String]
    let holdoff: Duration
    /// Indices not started, in run order.
    private(set) var pending: [Int]
    private(set) var busy: Set<String> = []
    private(set) var heldUntil: [String: ContinuousClock.Instant] = [:]

    /// `pending`: the indices to hand out, in run order (default: all).
    init(keys: [String], holdoff: Duration, pending: [Int]? = nil) {
        self.keys = keys
        self.holdoff = holdoff
        self.pending = pending ?? Array(keys.indices)
    }

    mutating func take(at now: ContinuousClock.Instant) -> Pick {
        guard !pending.isEmpty else { return .finished }
        if let i = pending.firstIndex(where: { available(keys[$0], at: now) }) {
            let index = pending.remove(at: i)
            busy.insert(keys[index])
            return .item(index)
        }
        // Every pending item waits for one in flight or for a hold-off to end.
        let holds = pending.compactMap { heldUntil[keys[$0]] }.filter { $0 > now }.map { now.duration(to: $0) }
        return .wait(holds.min().map { min($0, .milliseconds(200)) } ?? .milliseconds(200))
    }

    mutating func finish(_ index: Int, holdOff: Bool, at now: ContinuousClock.Instant) {
        let key = keys[index]
        busy.remove(key)
        if holdOff, holdoff > .zero { heldUntil[key] = now.advanced(by: holdoff) }
    }

    private func available(_ key: String, at now: ContinuousClock.Instant) -> Bool {
        !busy.contains(key) && (heldUntil[key].map { $0 <= now } ?? true)
    }
}
