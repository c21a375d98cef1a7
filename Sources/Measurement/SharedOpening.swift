import Analysis
import Capture
import Packets
import ProbeSession
import Probing

/// What a shared run heard for one item's opening: its probes (numbered as the item numbers
/// them), the packets that were its probes leaving or answers to them, in arrival order, and
/// the run's statistics as far as they concern it.
public struct OpeningRun: Sendable {
    public var probes: [Probe]
    var packets: [CapturedPacket]
    var sendTimes: [Int: CaptureTimestamp]
    public var statistics: RunStatistics
    /// The capture interface, which names the evidence's interface blocks.
    var interface: String

    /// The run as if the item had made it alone: a correlator of its probes fed its packets,
    /// each written to `evidence` with its comment.
    func result(evidence: EvidenceFile?) throws(ProbeSessionError) -> CorrelatedRunResult {
        var correlator = Correlator(probes: probes)
        for (index, time) in sendTimes { correlator.noteSent(index, at: time) }
        for packet in packets {
            let observation = correlator.observe(packet)
            try evidence?.write(packet, comment: CorrelatedRun.comment(observation, probes))
        }
        return CorrelatedRunResult(probes: probes, correlator: correlator, statistics: statistics)
    }
}

/// Many items' openings (`Opening`) as one run: one capture, one pass of the sender, the
/// probes of each item back to back. Each item's part is handed on (`publish`) as soon as it
/// is final, as its own run would have ended: when every probe has an answer; else when the
/// timeout after the last probe ends; else, for an item that heard nothing decisive and
/// waits for a router's late unreachable, when that wait ends. The run waits its whole
/// timeout (never the shorter wait an item's own round trips would allow). Capture drops
/// between an item's first probe and its hand-off count against it: it is measured again alone.
public enum SharedOpening {
    /// `sendingDone` is told once every probe has been handed to the socket (or the run ended).
    public static func run(_ openings: [Opening], configuration: RunConfiguration, sendingDone: (() -> Void)? = nil,
                           publish: @escaping (Int, OpeningRun) -> Void) throws(MeasurementError) {
        var global: [Probe] = []
        var owner: [(item: Int, local: Int)] = []
        var ranges: [Range<Int>] = []
        for (k, o) in openings.enumerated() {
            let start = global.count
            for p in o.probes {
                var q = p
                q.index = global.count
                owner.append((k, p.index))
                global.append(q)
            }
            ranges.append(start..<global.count)
        }
        var correlator = Correlator(probes: global)
        var packets = Array(repeating: [CapturedPacket](), count: openings.count)
        var sendTimes = Array(repeating: [Int: CaptureTimestamp](), count: openings.count)
        var sent = Array(repeating: 0, count: openings.count)
        var unanswered = openings.map(\.probes.count)
        var answered = Array(repeating: false, count: global.count)
        var published = Array(repeating: false, count: openings.count)
        var publishedCount = 0
        var drops: (() -> UInt32)?
        // What the capture had dropped when each item's first probe left: drops before it
        // cannot have been its answers.
        var dropsBefore = Array(repeating: UInt32?.none, count: openings.count)
        var told = false
        func sendingEnded() {
            guard !told else { return }
            told = true
            sendingDone?()
        }

        func hand(_ k: Int, settled: Bool, silence: Bool) {
            guard !published[k] else { return }
            published[k] = true
            publishedCount += 1
            let probes = openings[k].probes
            let total = drops?() ?? 0, before = dropsBefore[k] ?? 0
            let dropped = total >= before ? total - before : total
            var s = RunStatistics(sent: sent[k], captured: packets[k].count, captureDropped: dropped,
                                  sendErrors: settled ? 0 : probes.count - sent[k], endedEarly: settled)
            s.fullWait = !settled
            s.waitedForSilence = silence
            publish(k, OpeningRun(probes: probes, packets: packets[k], sendTimes: sendTimes[k], statistics: s,
                                  interface: configuration.interface))
            packets[k] = []
        }
        func keep(_ k: Int, _ packet: CapturedPacket) {
            guard !published[k] else { return }
            // The capture's buffer is reused after the callback: the item keeps its own copy.
            var copy = packet
            copy.data = Array(packet.data)[...]
            packets[k].append(copy)
        }
        func quiet(_ k: Int) -> Bool {
            let destination = openings[k].item.address
            return Engine.quiet(Array(global[ranges[k]]), destination: destination, answers: { correlator.answers(for: $0) })
        }

        let statistics: RunStatistics
        do {
            statistics = try ProbeSession.ProbeRun.run(
                packets: global.map(\.bytes), configuration: configuration,
                onSent: { index, time in
                    let (k, local) = owner[index]
                    if dropsBefore[k] == nil { dropsBefore[k] = drops?() ?? 0 }
                    correlator.noteSent(index, at: time)
                    sendTimes[k][local] = time
                    sent[k] += 1
                    if index == global.count - 1 { sendingEnded() }
                },
                onPacket: { captured in
                    switch correlator.observe(captured) {
                    case .sent(let i):
                        keep(owner[i].item, captured)
                    case .answer(let a):
                        let k = owner[a.probeIndex].item
                        keep(k, captured)
                        if !answered[a.probeIndex] {
                            answered[a.probeIndex] = true
                            unanswered[k] -= 1
                            if unanswered[k] == 0 { hand(k, settled: true, silence: false) }
                        }
                    case .duplicate(let i):
                        keep(owner[i].item, captured)
                    case .ambiguous(let candidates):
                        for k in Set(candidates.map { owner[$0].item }) { keep(k, captured) }
                    case .unrelated:
                        break
                    }
                    return publishedCount == openings.count
                },
                quiet: {
                    // The timeout has ended: the items that would not wait on are final now.
                    var waiting = false
                    for k in openings.indices where !published[k] {
                        if openings[k].waitsForSilence && quiet(k) { waiting = true } else { hand(k, settled: false, silence: false) }
                    }
                    return waiting
                },
                dropsSoFar: { drops = $0 })
        } catch {
            sendingEnded()
            throw MeasurementError("\(error)")
        }
        sendingEnded()
        drops = { statistics.captureDropped }
        for k in openings.indices { hand(k, settled: false, silence: statistics.waitedForSilence) }
    }
}

/// An item's network when its opening went out in a shared run: the engine's first run is
/// answered from that run's part (once, and only for exactly the probes sent), every other
/// run goes to the live network. A run measured again (capture drops, failed sends) goes
/// live too, as does an opening that did not wait for a late unreachable the engine now
/// wants waited for.
public final class OpeningNetwork: ProbeNetwork {
    let base: any ProbeNetwork
    private var opening: OpeningRun?

    public init(base: any ProbeNetwork, opening: OpeningRun?) {
        self.base = base
        self.opening = opening
    }

    public var interrupted: Bool { base.interrupted }
    public var remeasures: Bool { base.remeasures }
    public var maximumWait: Duration { base.maximumWait }

    public func run(_ probes: [Probe], destination: IPAddress, evidence: String?, timeout: Duration?,
                    settled: @escaping (Correlator) -> Bool, quiet: ((Correlator) -> Bool)?) throws(MeasurementError) -> CorrelatedRunResult {
        if let o = opening {
            opening = nil
            if o.probes.count == probes.count, zip(o.probes, probes).allSatisfy({ $0.bytes == $1.bytes && $0.index == $1.index }) {
                let result = try Self.replay(o, evidence: evidence)
                if let quiet, !o.statistics.waitedForSilence, !o.statistics.endedEarly, quiet(result.correlator) {
                    return try base.run(probes, destination: destination, evidence: evidence, timeout: timeout, settled: settled, quiet: quiet)
                }
                return result
            }
        }
        return try base.run(probes, destination: destination, evidence: evidence, timeout: timeout, settled: settled, quiet: quiet)
    }

    public func sweep(_ configuration: PayloadTrace.Configuration) throws(MeasurementError) -> [PayloadStep] {
        try base.sweep(configuration)
    }

    public func exchange(_ configuration: ConnectionExchange.Configuration) throws(MeasurementError) -> ExchangeObservation {
        try base.exchange(configuration)
    }

    private static func replay(_ o: OpeningRun, evidence: String?) throws(MeasurementError) -> CorrelatedRunResult {
        do {
            let file = try evidence.map { path throws(ProbeSessionError) in try EvidenceFile(path: path, interfaceName: o.interface) }
            do {
                let result = try o.result(evidence: file)
                try file?.close()
                return result
            } catch {
                try? file?.close()
                throw error
            }
        } catch {
            throw MeasurementError("\(error)")
        }
    }
}
