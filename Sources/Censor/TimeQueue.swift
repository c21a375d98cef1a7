/// Items due at given times, kept in time order (equal times keep insertion order): the
/// packets whose verdicts wait (throttle, disturb) and the copies waiting to be sent.
struct TimeQueue<Item> {
    private var items: [(at: Double, item: Item)] = []

    /// The earliest time an item is due, nil when empty.
    var next: Double? { items.first?.at }
    var count: Int { items.count }

    mutating func insert(_ item: Item, at time: Double) {
        var lo = 0, hi = items.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if items[mid].at <= time { lo = mid + 1 } else { hi = mid }
        }
        items.insert((time, item), at: lo)
    }

    /// Takes out the items due at or before `now`, in order.
    mutating func due(upTo now: Double) -> [Item] {
        let n = items.prefix { $0.at <= now }.count
        guard n > 0 else { return [] }
        defer { items.removeFirst(n) }
        return items.prefix(n).map(\.item)
    }

    mutating func removeAll() -> [Item] {
        defer { items = [] }
        return items.map(\.item)
    }
}
