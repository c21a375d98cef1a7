import Packets

/// One answer at one hop of a trace.
public struct HopResponse: Hashable, Sendable {
    public var address: IPAddress
    public var kind: AnswerKind
    public var rttMilliseconds: Double?
    public var probeIndex: Int
    public var fingerprint: Fingerprint
    public var quoteDifferences: [QuoteDifference]
    /// MPLS labels from the ICMP extension (RFC 4950), top of the stack first.
    public var mplsLabels: [UInt32]

    public init(address: IPAddress, kind: AnswerKind, rttMilliseconds: Double?, probeIndex: Int,
                fingerprint: Fingerprint, quoteDifferences: [QuoteDifference], mplsLabels: [UInt32]) {
        self.address = address
        self.kind = kind
        self.rttMilliseconds = rttMilliseconds
        self.probeIndex = probeIndex
        self.fingerprint = fingerprint
        self.quoteDifferences = quoteDifferences
        self.mplsLabels = mplsLabels
    }

    /// The response an answer makes at its hop.
    public init(_ answer: Answer) {
        var labels: [UInt32] = []
        if let ext = answer.packet.transport.icmp?.extensions {
            for object in ext.objects { labels += object.mplsLabelStack?.map(\.label) ?? [] }
        }
        self.init(address: answer.fingerprint.source, kind: answer.kind, rttMilliseconds: answer.rttMilliseconds,
                  probeIndex: answer.probeIndex, fingerprint: answer.fingerprint,
                  quoteDifferences: answer.quoteDifferences, mplsLabels: labels)
    }
}

/// One TTL of a trace and what answered there.
public struct TraceHop: Hashable, Sendable {
    public var ttl: Int
    /// Every answer to every query at this TTL, queries in probe order.
    public var responses: [HopResponse]
    /// The first responder; nil if the hop was silent.
    public var address: IPAddress?
    /// The index of every probe (query) sent at this TTL, in sending order; empty when
    /// not known (a hop built from a file).
    public var queries: [Int]

    public init(ttl: Int, responses: [HopResponse], queries: [Int] = []) {
        self.ttl = ttl
        self.responses = responses
        self.address = responses.first?.address
        self.queries = queries
    }

    /// The queries no answer came back for.
    public var lostQueries: Int {
        let answered = Set(responses.map(\.probeIndex))
        return queries.filter { !answered.contains($0) }.count
    }
}

/// A traceroute to one destination.
public struct Trace: Hashable, Sendable {
    public var destination: IPAddress
    public var hops: [TraceHop]
    public var reached: Bool
    /// The lowest TTL at which the destination answered; nil if it did not.
    public var destinationTTL: Int?
    /// "reached", "unreachable", "silent-hops" or "max-ttl".
    public var stopReason: String

    public init(destination: IPAddress, hops: [TraceHop], reached: Bool, destinationTTL: Int?, stopReason: String) {
        self.destination = destination
        self.hops = hops
        self.reached = reached
        self.destinationTTL = destinationTTL
        self.stopReason = stopReason
    }
}

/// Builds a trace from probes sent with all TTLs in flight at once (Paris traceroute) and
/// their correlated answers. A probe's TTL is its packet's TTL / hop limit.
///
/// The trace ends at the first of:
/// - "reached": the lowest TTL with an answer from the destination that is not time-exceeded;
/// - "unreachable": the lowest TTL with an ICMP unreachable from another router (traceroute's
///   !H/!N/!X), if lower than the destination's TTL;
/// - otherwise the last TTL that answered, plus `gapLimit` silent TTLs after it: "silent-hops"
///   when that many silent TTLs were probed, "max-ttl" when the probes ran out first.
public enum TraceAssembler {
    /// Assembles the trace; `answers` gives the answers to a probe index.
    public static func assemble(probes: [Probe], answers: (Int) -> [Answer], destination: IPAddress, gapLimit: Int = 5) -> Trace {
        let plan = Plan(probes: probes, answers: answers, destination: destination)
        guard let first = plan.firstTTL, let maxTTL = plan.maxTTL else {
            return Trace(destination: destination, hops: [], reached: false, destinationTTL: nil, stopReason: "max-ttl")
        }
        let last: Int, reason: String
        if let d = plan.destinationTTL, d <= (plan.unreachableTTL ?? Int.max) {
            last = d
            reason = "reached"
        } else if let u = plan.unreachableTTL {
            last = u
            reason = "unreachable"
        } else {
            let lastAnswered = plan.lastAnsweredTTL ?? (first - 1)
            let silentProbed = maxTTL - lastAnswered
            let gap = max(0, gapLimit)
            if silentProbed > 0, silentProbed >= gap {
                last = lastAnswered + gap
                reason = "silent-hops"
            } else {
                last = maxTTL
                reason = "max-ttl"
            }
        }
        let hops = last < first ? [] : (first...last).map { TraceHop(ttl: $0, responses: plan.responses(at: $0), queries: plan.probeIndices(at: $0)) }
        let reached = reason == "reached"
        return Trace(destination: destination, hops: hops, reached: reached,
                     destinationTTL: reached ? last : nil, stopReason: reason)
    }

    /// True when no more answers can change the trace: the destination answered at TTL d (or
    /// a router answered unreachable at TTL u) and every probe below that TTL has an answer.
    /// The runner stops waiting early.
    public static func isSettled(probes: [Probe], answers: (Int) -> [Answer], destination: IPAddress) -> Bool {
        let plan = Plan(probes: probes, answers: answers, destination: destination)
        guard let end = [plan.destinationTTL, plan.unreachableTTL].compactMap({ $0 }).min() else { return false }
        return plan.queries.allSatisfy { ttl, queries in ttl >= end || queries.allSatisfy { !$0.answers.isEmpty } }
    }

    /// Probes grouped by TTL with their answers, and the TTLs that decide where a trace ends.
    private struct Plan {
        struct Query {
            var probeIndex: Int
            var answers: [Answer]
        }

        var queries: [Int: [Query]] = [:]
        var firstTTL: Int?
        var maxTTL: Int?
        var destinationTTL: Int?
        var unreachableTTL: Int?
        var lastAnsweredTTL: Int?

        init(probes: [Probe], answers: (Int) -> [Answer], destination: IPAddress) {
            for probe in probes.sorted(by: { $0.index < $1.index }) {
                let ttl = Int(probe.ttl)
                let found = answers(probe.index)
                queries[ttl, default: []].append(Query(probeIndex: probe.index, answers: found))
                firstTTL = min(firstTTL ?? ttl, ttl)
                maxTTL = max(maxTTL ?? ttl, ttl)
                guard !found.isEmpty else { continue }
                lastAnsweredTTL = max(lastAnsweredTTL ?? ttl, ttl)
                for a in found {
                    if a.fingerprint.source == destination {
                        if a.kind != .timeExceeded { destinationTTL = min(destinationTTL ?? ttl, ttl) }
                    } else if a.kind == .unreachable || a.kind == .portUnreachable {
                        unreachableTTL = min(unreachableTTL ?? ttl, ttl)
                    }
                }
            }
        }

        func probeIndices(at ttl: Int) -> [Int] { (queries[ttl] ?? []).map(\.probeIndex) }

        func responses(at ttl: Int) -> [HopResponse] {
            (queries[ttl] ?? []).flatMap { $0.answers.map(HopResponse.init) }
        }
    }
}
