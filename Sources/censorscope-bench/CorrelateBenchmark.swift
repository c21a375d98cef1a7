import Capture
import Foundation
import Packets
import Probing

/// `--correlate`: observations per second of the correlator on one core. N SYN probes to
/// 256 targets (a quarter of them Paris flows of 8 TTLs sharing a 5-tuple); the capture shows
/// each probe leaving, then, shuffled: SYN-ACKs from the targets, ICMP time-exceeded quoting
/// 28 bytes from routers, bare RSTs, copies of answers, and strays (wrong ack, wrong port).
enum CorrelateBenchmark {
    struct Workload {
        var probes: [Probe] = []
        var packets: [IPPacket] = []
        var frames: [CapturedPacket] = []
        var expectedAnswers = 0, expectedDuplicates = 0, expectedStrays = 0
    }

    static func workload(probes count: Int) -> Workload {
        var w = Workload()
        var rng = SyntheticRNG(seed: 2018)
        let local = IPv4Address(198, 18, 0, 2)
        var i = 0
        while i < count {
            let target = IPv4Address(198, 18, 200, UInt8(truncatingIfNeeded: i))
            let sport = UInt16(truncatingIfNeeded: 1024 + i % 60000)
            let paris = i % 4 == 0
            let seqBase = UInt32(truncatingIfNeeded: rng.next()) & ~0xFF
            for t in 0..<(paris ? 8 : 1) where i < count {
                let ttl: UInt8 = paris ? UInt8(t + 1) : 64
                let packet = IPPacket(
                    IPv4Header(identification: UInt16(truncatingIfNeeded: i), ttl: ttl, proto: 6, source: local, destination: target),
                    .tcp(TCPSegment(sourcePort: sport, destinationPort: 443, sequenceNumber: seqBase &+ UInt32(t) * 4, flags: .syn,
                                    window: 64240, options: [.maximumSegmentSize(1460), .sackPermitted, .timestamps(value: UInt32(i), echoReply: 0),
                                                             .noOperation, .windowScale(7)])))
                let bytes = packet.serialized()
                w.probes.append(Probe(index: i, module: "syn", label: "syn #\(i)", packet: (try? IPPacket.parse(bytes)) ?? packet, bytes: bytes))
                i += 1
            }
        }
        var answers: [IPPacket] = []
        for p in w.probes {
            guard let t = p.packet.transport.tcp else { continue }
            let target = p.destination, ttl = p.ttl
            func fromTarget(_ seg: TCPSegment, ttl: UInt8) -> IPPacket {
                guard case .v4(let d) = target else { return p.packet }
                return parsed(IPPacket(IPv4Header(flags: .dontFragment, ttl: ttl, proto: 6, source: d, destination: local), .tcp(seg)))
            }
            let reply: IPPacket
            if ttl < 6 {
                var arrived = p.packet.serialized()
                arrived[8] = 1
                let router = IPv4Address(198, 18, 1, ttl)
                reply = parsed(IPPacket(IPv4Header(ttl: 250, proto: 1, source: router, destination: local),
                                        .icmp(ICMPMessage(family: .v4, type: 11, code: 0, body: arrived.prefix(28)))))
            } else if rng.next() % 5 == 0 {
                reply = fromTarget(TCPSegment(sourcePort: 443, destinationPort: t.sourcePort, acknowledgmentNumber: t.sequenceNumber,
                                              flags: .rst, window: 5840), ttl: 8)
            } else {
                reply = fromTarget(TCPSegment(sourcePort: 443, destinationPort: t.sourcePort, sequenceNumber: UInt32(truncatingIfNeeded: rng.next()),
                                              acknowledgmentNumber: t.sequenceNumber &+ 1, flags: [.syn, .ack], window: 65160,
                                              options: [.maximumSegmentSize(1460), .sackPermitted, .timestamps(value: 9, echoReply: UInt32(p.index)),
                                                        .noOperation, .windowScale(7)]), ttl: 52)
            }
            answers.append(reply)
            w.expectedAnswers += 1
            if rng.next() % 5 == 0 {
                answers.append(reply)
                w.expectedDuplicates += 1
            }
            if rng.next() % 20 == 0 {
                answers.append(fromTarget(TCPSegment(sourcePort: 443, destinationPort: t.sourcePort, acknowledgmentNumber: t.sequenceNumber &+ 2,
                                                     flags: [.syn, .ack], window: 65160), ttl: 52))
                answers.append(fromTarget(TCPSegment(sourcePort: 8443, destinationPort: t.sourcePort, acknowledgmentNumber: t.sequenceNumber &+ 1,
                                                     flags: [.syn, .ack], window: 65160), ttl: 52))
                w.expectedStrays += 2
            }
        }
        rng.shuffle(&answers)
        // The capture shows the probes leaving first.
        w.packets = w.probes.map(\.packet) + answers
        var us = 0
        w.frames = w.packets.map { p in
            us += 1
            return CapturedPacket(timestamp: CaptureTimestamp(seconds: 1_700_000_000 + Int64(us / 1_000_000), nanoseconds: UInt32(us % 1_000_000) * 1000),
                                  linkType: .ethernet, data: Frame.encapsulate(p.serialized(), linkType: .ethernet)[...])
        }
        return w
    }

    private static func parsed(_ p: IPPacket) -> IPPacket { (try? IPPacket.parse(p.serialized())) ?? p }

    static func run(probes count: Int, runs: Int) {
        let w = workload(probes: count)
        say("correlate: \(w.probes.count) probes, \(w.packets.count) observations (\(w.probes.count) sent, \(w.expectedAnswers) answers, "
            + "\(w.expectedDuplicates) copies, \(w.expectedStrays) strays), best of \(runs) runs, one core, thread CPU time")
        var bestInit = Double.infinity, bestParsed = Double.infinity, bestFrames = Double.infinity
        for _ in 0..<max(1, runs) {
            var start = threadCPUSeconds()
            var correlator = Correlator(probes: w.probes)
            bestInit = min(bestInit, threadCPUSeconds() - start)
            var n = 0
            start = threadCPUSeconds()
            for i in w.packets.indices {
                if case .answer = correlator.observe(w.packets[i], at: w.frames[i].timestamp) { n += 1 }
            }
            bestParsed = min(bestParsed, threadCPUSeconds() - start)
            check(correlator.counts, w, label: "observe(IPPacket)")
            correlator = Correlator(probes: w.probes)
            start = threadCPUSeconds()
            for f in w.frames {
                if case .answer = correlator.observe(f) { n += 1 }
            }
            bestFrames = min(bestFrames, threadCPUSeconds() - start)
            check(correlator.counts, w, label: "observe(CapturedPacket)")
            precondition(n == 2 * w.expectedAnswers)
        }
        let total = Double(w.packets.count)
        say(String(format: "Correlator.init: %.3f s for %d probes (%.2f M probes/s)", bestInit, w.probes.count, Double(w.probes.count) / bestInit / 1e6))
        say(String(format: "observe(IPPacket, parsed): %.3f s, %.2f M observations/s", bestParsed, total / bestParsed / 1e6))
        say(String(format: "observe(CapturedPacket, with link/IP decode): %.3f s, %.2f M observations/s", bestFrames, total / bestFrames / 1e6))
        say(String(format: "peak RSS of the benchmark process: %.0f MiB", peakRSSMiB()))
    }

    /// CPU time of this thread: on a shared machine, time spent descheduled is not the correlator's.
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private static func check(_ c: CorrelationCounts, _ w: Workload, label: String) {
        guard c.sentSeen == w.probes.count, c.answers == w.expectedAnswers, c.duplicates == w.expectedDuplicates,
              c.unrelated == w.expectedStrays, c.ambiguous == 0 else {
            say("error: \(label) counted \(c), expected \(w.probes.count) sent, \(w.expectedAnswers) answers, "
                + "\(w.expectedDuplicates) duplicates, \(w.expectedStrays) unrelated")
            exit(1)
        }
    }
}

/// SplitMix64, as in SyntheticTraffic: deterministic workloads.
struct SyntheticRNG {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, Int(next() % UInt64(i + 1)))
        }
    }
}
