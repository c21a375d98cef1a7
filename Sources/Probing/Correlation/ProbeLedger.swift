import Capture
import Packets

/// What makes a later answer a copy of an earlier one: kind, source, TTL, TCP flags / ICMP type and code.
struct DuplicateKey: Equatable {
    var kind: AnswerKind
    var source: IPAddress
    var ttl: UInt8
    /// TCP flags, or ICMP type << 8 | code, or 0.
    var detail: UInt16

    init(_ packet: IPPacket, kind: AnswerKind) {
        self.kind = kind
        source = packet.source
        ttl = packet.header.ttl
        switch packet.transport {
        case .tcp(let t): detail = t.flags.rawValue
        case .icmp(let m): detail = UInt16(m.type) << 8 | UInt16(m.code)
        default: detail = 0
        }
    }
}

/// The mutable state of a run, laid out for a capture of millions of packets: per probe
/// one small slot (its index, send times, the ends of its answer chain), and every answer in
/// one flat array, each probe's chained in arrival order. Recording an answer allocates
/// nothing per probe, and finding a copy compares small keys only.
struct ProbeLedger {
    private struct Slot {
        var index: Int
        var firstAnswer = -1
        var lastAnswer = -1
        var capturedSend = Time.none
        var clockSend = Time.none
    }

    /// A `CaptureTimestamp` without the optional's padding; `nanoseconds == .max` is "none".
    private struct Time {
        var seconds: Int64
        var nanoseconds: UInt32

        static let none = Time(seconds: 0, nanoseconds: .max)
        init(seconds: Int64, nanoseconds: UInt32) { self.seconds = seconds; self.nanoseconds = nanoseconds }
        init(_ t: CaptureTimestamp) { seconds = t.seconds; nanoseconds = t.nanoseconds }
        var timestamp: CaptureTimestamp? {
            nanoseconds == .max ? nil : CaptureTimestamp(seconds: seconds, nanoseconds: nanoseconds)
        }
    }

    private struct Entry {
        var answer: Answer
        var key: DuplicateKey
        var next: Int
    }

    private var slots: [Slot]
    private var entries: [Entry] = []

    init(indices: [Int]) {
        slots = indices.map { Slot(index: $0) }
        // Room for one answer per probe without regrowing; a large reservation is only
        // address space until answers fill it.
        entries.reserveCapacity(min(indices.count, 1 << 22))
    }

    func index(_ position: Int) -> Int { slots[position].index }

    // MARK: Send times

    /// Records the capture time of a probe seen leaving; false if it was seen before.
    mutating func noteCaptured(_ position: Int, at time: CaptureTimestamp) -> Bool {
        guard slots[position].capturedSend.nanoseconds == .max else { return false }
        slots[position].capturedSend = Time(time)
        return true
    }

    mutating func noteClock(_ position: Int, at time: CaptureTimestamp) { slots[position].clockSend = Time(time) }

    /// The capture time if the probe was seen leaving, else the clock's.
    func sendTime(_ position: Int) -> CaptureTimestamp? {
        slots[position].capturedSend.timestamp ?? slots[position].clockSend.timestamp
    }

    /// Answer time − send time in nanoseconds; nil without a send time or when negative.
    func rtt(_ position: Int, answeredAt time: CaptureTimestamp) -> Int64? {
        let slot = slots[position]
        let sent = slot.capturedSend.nanoseconds != .max ? slot.capturedSend : slot.clockSend
        guard sent.nanoseconds != .max else { return nil }
        let (ds, o1) = time.seconds.subtractingReportingOverflow(sent.seconds)
        let (scaled, o2) = ds.multipliedReportingOverflow(by: 1_000_000_000)
        let (d, o3) = scaled.addingReportingOverflow(Int64(time.nanoseconds) - Int64(sent.nanoseconds))
        guard !o1, !o2, !o3, d >= 0 else { return nil }
        return d
    }

    // MARK: Answers

    func hasAnswers(_ position: Int) -> Bool { slots[position].firstAnswer >= 0 }

    /// The entry of an earlier answer to `position` with the same key.
    func earlier(_ key: DuplicateKey, position: Int) -> Int? {
        var i = slots[position].firstAnswer
        while i >= 0 {
            if entries[i].key == key { return i }
            i = entries[i].next
        }
        return nil
    }

    mutating func countCopy(of entry: Int) { entries[entry].answer.duplicates += 1 }

    mutating func append(_ answer: Answer, key: DuplicateKey, position: Int) {
        let i = entries.count
        entries.append(Entry(answer: answer, key: key, next: -1))
        let last = slots[position].lastAnswer
        if last >= 0 { entries[last].next = i } else { slots[position].firstAnswer = i }
        slots[position].lastAnswer = i
    }

    func answers(_ position: Int) -> [Answer] {
        var out: [Answer] = []
        var i = slots[position].firstAnswer
        while i >= 0 {
            out.append(entries[i].answer)
            i = entries[i].next
        }
        return out
    }
}

/// Our own addresses: a short list (one or two in a run) searched without hashing.
struct LocalAddresses {
    private var list: [IPAddress] = []
    private var set: Set<IPAddress> = []

    mutating func insert(_ a: IPAddress) {
        guard set.insert(a).inserted else { return }
        list.append(a)
    }

    func contains(_ a: IPAddress) -> Bool {
        if list.count > 8 { return set.contains(a) }
        for l in list where l == a { return true }
        return false
    }
}
