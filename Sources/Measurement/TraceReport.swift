import Foundation
import Packets
import Probing
import Records

/// `trace --report`: the trace run in rounds like mtr's, one query per TTL per round, the
/// rounds `interval` apart so routers' ICMP rate limits (Linux: a burst of 6, then 1 a
/// second) do not show as loss; per hop, loss and best/avg/worst/stdev of the RTTs.
public struct TraceReport: Sendable {
    /// One TTL over every round.
    public struct Hop: Sendable, Equatable {
        public var ttl: Int
        /// Responders in the order first seen.
        public var addresses: [IPAddress]
        public var sent: Int
        public var received: Int
        /// The RTT of each answered query, in round order.
        public var rtts: [Double]

        public var lossPercent: Double { sent == 0 ? 0 : Double(sent - received) * 100 / Double(sent) }
        public var best: Double? { rtts.min() }
        public var worst: Double? { rtts.max() }
        public var average: Double? { rtts.isEmpty ? nil : rtts.reduce(0, +) / Double(rtts.count) }
        /// The sample standard deviation; 0 with fewer than two RTTs.
        public var stdev: Double? {
            guard let average else { return nil }
            guard rtts.count > 1 else { return 0 }
            return (rtts.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(rtts.count - 1)).squareRoot()
        }
    }

    public var job: TraceJob
    public var rounds: Int
    public var interval: Double
    public var hops: [Hop]
    /// Some round reached the target.
    public var reached: Bool
    public var port: UInt16?

    /// Aggregates rounds' traces: hops up to where the rounds that reached ended (the
    /// closest), else up to the longest trace.
    public init(job: TraceJob, interval: Double, traces: [Trace], port: UInt16?) {
        self.job = job
        self.rounds = traces.count
        self.interval = interval
        self.port = port
        let ends = traces.compactMap(\.destinationTTL)
        reached = !ends.isEmpty
        let last = ends.min() ?? traces.flatMap(\.hops).map(\.ttl).max() ?? 0
        var byTTL: [Int: Hop] = [:]
        for trace in traces {
            for hop in trace.hops where hop.ttl <= last {
                var h = byTTL[hop.ttl] ?? Hop(ttl: hop.ttl, addresses: [], sent: 0, received: 0, rtts: [])
                for query in hop.queries {
                    h.sent += 1
                    guard let answer = hop.responses.first(where: { $0.probeIndex == query }) else { continue }
                    h.received += 1
                    if let rtt = answer.rttMilliseconds { h.rtts.append(rtt) }
                    if !h.addresses.contains(answer.address) { h.addresses.append(answer.address) }
                }
                byTTL[hop.ttl] = h
            }
        }
        hops = byTTL.values.sorted { $0.ttl < $1.ttl }
    }

    public var record: TraceReportRecord {
        TraceReportRecord(
            target: job.target.address.description, source: job.target.route.source.description, method: job.method.rawValue,
            port: port.map(Int.init), rounds: rounds, intervalMilliseconds: interval * 1000, reached: reached,
            hops: hops.map { h in
                TraceReportRecord.Hop(ttl: h.ttl, address: h.addresses.first?.description, addresses: h.addresses.map(\.description),
                                      sent: h.sent, received: h.received, lossPercent: (h.lossPercent * 10).rounded() / 10,
                                      lastMilliseconds: roundedMilliseconds(h.rtts.last), bestMilliseconds: roundedMilliseconds(h.best),
                                      averageMilliseconds: roundedMilliseconds(h.average),
                                      worstMilliseconds: roundedMilliseconds(h.worst), stdevMilliseconds: roundedMilliseconds(h.stdev))
            })
    }
}

extension TraceJob {
    /// Runs `rounds` traces of one query per TTL, starting one every `interval` seconds,
    /// all on the first round's flow (its source port), and aggregates them.
    /// `stopped` is asked between rounds (Ctrl-C ends the report with the rounds so far);
    /// `progress` hears of each round as it starts, with the probes sent before it.
    public func report(rounds: Int, interval: Double, stopped: () -> Bool = { false },
                       progress: (_ round: Int, _ probesSent: Int) -> Void = { _, _ in }) throws(MeasurementError) -> TraceReport {
        var job = self
        job.queries = 1
        job.pcap = nil
        var traces: [Trace] = []
        var port: UInt16?
        var sent = 0
        for round in 0..<rounds {
            if round > 0, stopped() { break }
            progress(round + 1, sent)
            let started = Date()
            let outcome = try job.run()
            traces.append(outcome.trace)
            sent += outcome.result.statistics.sent
            if job.sport == nil { job.sport = outcome.flowPorts?.0 }
            port = port ?? outcome.flowPorts?.1
            let rest = interval - Date().timeIntervalSince(started)
            if round + 1 < rounds, rest > 0, !stopped() { Thread.sleep(forTimeInterval: rest) }
        }
        return TraceReport(job: self, interval: interval, traces: traces, port: port)
    }
}
