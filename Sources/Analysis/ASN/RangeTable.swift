import Packets

/// An address used as a range bound: ordered, with neighbours, and a width between two bounds.
protocol RangeKey: Comparable, Sendable {
    /// The next address; nil at the top of the family's space.
    var successor: Self? { get }
    /// The previous address; nil at zero.
    var predecessor: Self? { get }
    /// `end - start` as a 128-bit count, so v4 and v6 widths compare alike.
    static func width(from start: Self, to end: Self) -> RangeWidth
}

/// A 128-bit unsigned width, ordered.
struct RangeWidth: Comparable, Sendable {
    var high: UInt64
    var low: UInt64
    static func < (a: Self, b: Self) -> Bool { (a.high, a.low) < (b.high, b.low) }
}

extension UInt32: RangeKey {
    var successor: UInt32? { self == .max ? nil : self + 1 }
    var predecessor: UInt32? { self == 0 ? nil : self - 1 }
    static func width(from start: UInt32, to end: UInt32) -> RangeWidth {
        RangeWidth(high: 0, low: UInt64(end &- start))
    }
}

extension IPv6Address: RangeKey {
    var successor: IPv6Address? {
        if low != .max { return IPv6Address(high: high, low: low + 1) }
        return high == .max ? nil : IPv6Address(high: high + 1, low: 0)
    }
    var predecessor: IPv6Address? {
        if low != 0 { return IPv6Address(high: high, low: low - 1) }
        return high == 0 ? nil : IPv6Address(high: high - 1, low: .max)
    }
    static func width(from start: IPv6Address, to end: IPv6Address) -> RangeWidth {
        let (low, borrow) = end.low.subtractingReportingOverflow(start.low)
        return RangeWidth(high: end.high &- start.high &- (borrow ? 1 : 0), low: low)
    }
}

/// One inclusive range of addresses and the entry it maps to.
struct KeyedRange<Key: RangeKey>: Sendable {
    var start: Key
    var end: Key
    var entry: Int32
}

/// Disjoint, sorted segments covering the union of possibly overlapping ranges, each
/// mapped to the narrowest range that covers it (ties: the earliest entry). Built once, so
/// a lookup is one binary search whatever the overlaps — and a longest-prefix match is the
/// same question, since a longer prefix is a narrower range.
struct RangeTable<Key: RangeKey>: Sendable {
    private(set) var starts: [Key] = []
    private(set) var ends: [Key] = []
    private(set) var entries: [Int32] = []

    init(_ ranges: [KeyedRange<Key>]) {
        let sorted = ranges.filter { $0.start <= $0.end }.sorted {
            $0.start != $1.start ? $0.start < $1.start : $0.entry < $1.entry
        }
        starts.reserveCapacity(sorted.count)
        ends.reserveCapacity(sorted.count)
        entries.reserveCapacity(sorted.count)
        var heap = NarrowestFirstHeap<Key>()
        var next = 0
        var point: Key? = sorted.first?.start
        // Each pass emits one segment [point, segmentEnd] for the narrowest active range;
        // the winner can change only where it ends or where another range starts.
        while let p = point {
            while next < sorted.count, sorted[next].start <= p {
                heap.push(sorted[next])
                next += 1
            }
            while let top = heap.top, top.end < p { heap.pop() }
            guard let top = heap.top else {
                point = next < sorted.count ? sorted[next].start : nil
                continue
            }
            var segmentEnd = top.end
            if next < sorted.count, let beforeNext = sorted[next].start.predecessor, beforeNext < segmentEnd {
                segmentEnd = beforeNext
            }
            append(start: p, end: segmentEnd, entry: top.entry)
            point = segmentEnd.successor
        }
    }

    private mutating func append(start: Key, end: Key, entry: Int32) {
        if let lastEnd = ends.last, let lastEntry = entries.last, lastEntry == entry, lastEnd.successor == start {
            ends[ends.count - 1] = end
            return
        }
        starts.append(start)
        ends.append(end)
        entries.append(entry)
    }

    /// The entry of the segment holding `key`, if any.
    func entry(for key: Key) -> Int32? {
        starts.withUnsafeBufferPointer { s -> Int32? in
            // The last segment whose start is <= key.
            var low = 0, high = s.count
            while low < high {
                let mid = (low + high) >> 1
                if s[mid] <= key { low = mid + 1 } else { high = mid }
            }
            guard low > 0 else { return nil }
            let i = low - 1
            return key <= ends[i] ? entries[i] : nil
        }
    }

    var segmentCount: Int { starts.count }
}

/// A binary min-heap of ranges by width, then entry: the narrowest active range on top.
private struct NarrowestFirstHeap<Key: RangeKey> {
    private var items: [(width: RangeWidth, range: KeyedRange<Key>)] = []

    var top: KeyedRange<Key>? { items.first?.range }

    private func before(_ a: Int, _ b: Int) -> Bool {
        let x = items[a], y = items[b]
        return x.width != y.width ? x.width < y.width : x.range.entry < y.range.entry
    }

    mutating func push(_ range: KeyedRange<Key>) {
        items.append((RangeWidth(high: 0, low: 0), range))
        items[items.count - 1].width = Key.width(from: range.start, to: range.end)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard before(i, parent) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let left = 2 * i + 1, right = left + 1
            var smallest = i
            if left < items.count, before(left, smallest) { smallest = left }
            if right < items.count, before(right, smallest) { smallest = right }
            if smallest == i { return }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}
