import Campaigns
import Foundation
import Packets
import ProbeSession
import Sockets

/// The sending side: walks a permutation of every (target, probe) pair, writes each probe
/// from its template into a batch slot, stamps its slot's send time and sends the batch
/// with one sendmmsg, paced to the configured rate.
struct SweepSender {
    let socket: BatchSocket
    let space: TargetSpace
    let probe: SweepProbe
    let slots: SweepSlots
    let configuration: SweepConfiguration
    let receiver: SweepReceiver

    /// The longest one packet is retried while the queue is full; then it counts as an error.
    static let maximumBackoff = 1.0

    func send(total: Int, stats: inout SweepStatistics) {
        guard total > 0 else { return }
        let c = configuration
        let batchLimit: Int
        if let rate = c.rate {
            // Batches of about a millisecond's worth, so pauses stay short.
            batchLimit = max(1, min(c.batchSize, Int(rate / 1000)))
        } else {
            batchLimit = max(1, min(c.batchSize, 1024))
        }
        let batch = socket.makeBatch(capacity: batchLimit, maximumPacket: probe.maximumPacketLength)
        let link = socket.linkHeaderLength
        // The link header never changes: written once into every slot, not per probe.
        if link > 0, let header = c.linkHeader {
            header.withUnsafeBytes { h in for j in 0..<batchLimit { batch.slot(j).copyMemory(from: h.baseAddress!, byteCount: 14) } }
        }
        var slotOf = [Int](repeating: 0, count: batchLimit)
        var order = Permutation(count: total, seed: c.seed)
        let count = space.count
        let ipv4 = probe.isIPv4
        let start = RunClock.monotonic()
        var lastProgress = start
        var produced = 0
        var done = false
        while !done {
            if c.shouldStop?() == true { stats.interrupted = true; break }
            if let rate = c.rate {
                let due = start + Double(produced) / rate
                let wait = due - RunClock.monotonic()
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
            var n = 0
            while n < batchLimit, let q = order.next() {
                let target = q % count, p = q / count
                let key = space.key(at: target)
                let slot = batch.slot(n)
                let length = probe.write(target: key, probe: p, into: slot + link)
                batch.setLength(n, link + length)
                if ipv4 {
                    batch.setDestination(n, ipv4: UInt32(truncatingIfNeeded: key).bigEndian)
                } else {
                    batch.setDestination(n, ipv6: UnsafeRawPointer(slot + link + 24))
                }
                slotOf[n] = target * probe.probesPerTarget + p
                n += 1
            }
            if n < batchLimit { done = true }
            guard n > 0 else { break }
            produced += n
            // Stamped before the send: on veth the answer may be captured inside sendmmsg.
            let now = RunClock.realtimeMicros()
            for j in 0..<n { slots.markSent(slotOf[j], micros: now) }
            var next = 0
            var backoff = 0.000_05, waited = 0.0
            while next < n {
                let (sent, error) = socket.send(batch, from: next, count: n - next)
                if sent > 0 {
                    next += sent
                    stats.sent += sent
                    backoff = 0.000_05
                    waited = 0
                    continue
                }
                if error == EINTR { continue }
                if (error == ENOBUFS || error == EAGAIN), waited < Self.maximumBackoff {
                    stats.sendRetries += 1
                    Thread.sleep(forTimeInterval: backoff)
                    waited += backoff
                    backoff = min(backoff * 2, 0.002)
                    continue
                }
                // This one packet is refused (EPERM from a firewall, ENETUNREACH, ...): skip it.
                stats.sendErrors += 1
                if stats.firstSendError == nil {
                    stats.firstSendError = "probe to \(space.address(at: slotOf[next] / probe.probesPerTarget)): \(String(cString: strerror(error)))"
                }
                slots.markUnsent(slotOf[next])
                next += 1
                backoff = 0.000_05
                waited = 0
            }
            if let progress = c.progress {
                let t = RunClock.monotonic()
                if t - lastProgress >= 0.5 {
                    lastProgress = t
                    progress(SweepProgress(sent: stats.sent, total: total, answered: receiver.answered))
                }
            }
        }
    }
}

/// A pseudo-random order of 0 ..< count without a table: a bijection on the next power of
/// two (odd multiplies, xor-shifts and an offset, modulo 2^k), values past `count` skipped.
struct Permutation {
    let count: Int
    let bits: Int
    let mask: UInt64
    let multipliers: (UInt64, UInt64)
    let offset: UInt64
    var i: UInt64 = 0

    init(count: Int, seed: UInt64) {
        self.count = count
        var b = 1
        while (1 << b) < count { b += 1 }
        bits = b
        mask = b >= 64 ? .max : (1 << UInt64(b)) - 1
        var g = SplitMix64(seed: seed)
        multipliers = (g.next() | 1, g.next() | 1)
        offset = g.next()
    }

    @inline(__always)
    func map(_ x: UInt64) -> UInt64 {
        let shift = UInt64(max(1, bits / 2))
        var x = (x &* multipliers.0) & mask
        x ^= x >> shift
        x = (x &+ offset) & mask
        x = (x &* multipliers.1) & mask
        x ^= x >> shift
        return x
    }

    mutating func next() -> Int? {
        while i <= mask {
            let x = map(i)
            i += 1
            if x < UInt64(count) { return Int(x) }
        }
        return nil
    }
}
