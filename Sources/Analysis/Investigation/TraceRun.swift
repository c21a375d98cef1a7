import Packets
import Probing

/// A trace as an investigation ran it: its probes, their answers, and the assembled hops.
public struct TraceRun: Hashable, Sendable {
    /// "tcp mss", "tcp linux", "icmp".
    public var name: String
    public var probes: [Probe]
    public var answers: [Int: [Answer]]
    public var trace: Trace
    public var gapLimit: Int
    /// Routers at TTLs this trace missed, known from other traces of the same vantage
    /// (a campaign's shared path, as Doubletree stops where it meets known hops).
    public var known: [Int: IPAddress] = [:]

    public init(name: String, probes: [Probe], answers: [Int: [Answer]], destination: IPAddress, gapLimit: Int = 5) {
        self.name = name
        self.probes = probes
        self.answers = answers
        self.gapLimit = gapLimit
        trace = TraceAssembler.assemble(probes: probes, answers: { answers[$0] ?? [] }, destination: destination, gapLimit: gapLimit)
    }

    /// Adds a probe sent again for a missed hop (another query at its TTL, index unique to
    /// the trace) with its answers, and assembles the trace anew.
    public mutating func add(_ probe: Probe, answers found: [Answer]) {
        probes.append(probe)
        answers[probe.index] = found
        let all = answers
        trace = TraceAssembler.assemble(probes: probes, answers: { all[$0] ?? [] }, destination: trace.destination, gapLimit: gapLimit)
    }

    /// Every answer at `ttl`, whatever the probe.
    public func responses(at ttl: Int) -> [Answer] {
        probes.filter { Int($0.ttl) == ttl }.flatMap { answers[$0.index] ?? [] }
    }

    /// The router (or host) that answered at `ttl`: the source of its first time exceeded,
    /// else of its first answer.
    public func address(at ttl: Int) -> IPAddress? {
        let found = responses(at: ttl)
        return (found.first { $0.kind == .timeExceeded } ?? found.first)?.fingerprint.source ?? known[ttl]
    }

    /// Whether anything answered at `ttl`, or the router there is known from other traces.
    public func isAnswered(at ttl: Int) -> Bool { !responses(at: ttl).isEmpty || known[ttl] != nil }

    /// The highest TTL that drew any answer.
    public var lastAnsweredTTL: Int? {
        probes.filter { !(answers[$0.index] ?? []).isEmpty }.map { Int($0.ttl) }.max()
    }

    /// The TTLs probed, ascending.
    public var ttls: [Int] { Array(Set(probes.map { Int($0.ttl) })).sorted() }
}
