import JSONSupport
import Packets
import Probing
import Records

/// One payload sweep (CenTrace's method): per TTL a fresh connection, then one payload
/// (HTTP Host or TLS SNI) with its IP TTL limited to that TTL, and what it drew.
public struct PayloadSweep: Hashable, Sendable {
    /// One connection's TTL-limited payload and what it drew.
    public struct Probe: Hashable, Sendable {
        /// The IP TTL the payload was sent with.
        public var ttl: Int
        public var observation: PayloadObservation
        /// 1-based frame numbers in the source capture of the packets that decided the
        /// observation (payload, answer, time exceeded); empty for live runs.
        public var frames: [Int]

        public init(ttl: Int, observation: PayloadObservation, frames: [Int] = []) {
            self.ttl = ttl
            self.observation = observation
            self.frames = frames
        }
    }

    public var target: IPAddress
    public var port: UInt16
    /// The Host or SNI the payloads named, if known.
    public var domain: String?
    /// "test" or "control" when the capture said which (our pcapng comments).
    public var label: String?
    /// In the order sent; several may share a TTL.
    public var probes: [Probe]

    public init(target: IPAddress, port: UInt16, domain: String? = nil, label: String? = nil, probes: [Probe]) {
        self.target = target
        self.port = port
        self.domain = domain
        self.label = label
        self.probes = probes
    }

    /// The distinct TTLs probed, ascending.
    public var ttls: [Int] { Array(Set(probes.map(\.ttl))).sorted() }

    /// The probes sent with `ttl`, in the order sent.
    public func probes(at ttl: Int) -> [Probe] { probes.filter { $0.ttl == ttl } }

    /// Probes whose payload went out (the handshake succeeded).
    public var sentProbes: [Probe] { probes.filter { $0.observation.outcome != .notConnected } }

    /// What the sweep shows at `ttl`, several probes folded into one: a deciding answer
    /// (reset, data, FIN, ACK, unreachable) if any probe drew one, else time exceeded
    /// (from the router most probes named), else timeout; nil if nothing was sent there.
    public func answer(at ttl: Int) -> PayloadObservation? {
        let sent = probes(at: ttl).map(\.observation).filter { $0.outcome != .notConnected }
        if let deciding = sent.first(where: { $0.outcome.isDeciding }) { return deciding }
        let exceeded = sent.filter { $0.outcome == .timeExceeded }
        if !exceeded.isEmpty {
            var counts: [IPAddress: Int] = [:]
            for o in exceeded { if let from = o.from { counts[from, default: 0] += 1 } }
            let top = counts.max { ($0.value, $1.key.description) < ($1.value, $0.key.description) }?.key
            return exceeded.first { $0.from == top } ?? exceeded[0]
        }
        return sent.first
    }

    /// The router (or the target itself) that this sweep shows at `ttl`: the sender of a
    /// time exceeded, or the target when the target's own answer came back; nil otherwise.
    public func hop(at ttl: Int) -> IPAddress? {
        guard let a = answer(at: ttl) else { return nil }
        switch a.outcome {
        case .timeExceeded: return a.from
        case .data, .ack, .fin, .rst: return a.from == target ? target : nil
        case .unreachable: return a.from
        case .timeout, .notConnected: return nil
        }
    }

    /// The sweep as the `test`/`control` part of the `analyze --json` record: target, port,
    /// domain, label, and one row per TTL.
    public var record: SweepRecord.Sweep {
        SweepRecord.Sweep(target: target.description, port: Int(port), domain: domain, label: label,
                          ttls: ttls.map { ttl in (ttl: ttl, probes: probes(at: ttl).map(Self.record)) })
    }

    static func record(_ probe: Probe) -> SweepRecord.Probe {
        let o = probe.observation
        return SweepRecord.Probe(outcome: o.outcome.rawValue, from: o.from?.description, arrivalTTL: o.fingerprint.map { Int($0.ttl) },
                                 flags: o.fingerprint?.flags?.letters, firstLine: o.firstBytes,
                                 timeExceededFrom: o.timeExceededFrom?.description, frames: probe.frames)
    }
}

extension PayloadOutcome {
    /// Whether the outcome ends a sweep: an answer other than time exceeded or silence.
    public var isDeciding: Bool {
        switch self {
        case .rst, .data, .fin, .ack, .unreachable: return true
        case .timeExceeded, .timeout, .notConnected: return false
        }
    }
}
