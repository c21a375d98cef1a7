import Packets
import Probing

/// The page fetched at full TTL, and the Host it was asked for.
public struct PageInput: Hashable, Sendable {
    public var host: String
    public var observation: ExchangeObservation

    public init(host: String, observation: ExchangeObservation) {
        self.host = host
        self.observation = observation
    }
}

/// Interception: the handshake on the port is completed in the host's name by a device
/// that is not the host (a DNAT to an ISP's warning-page server, a transparent proxy).
/// Its SYN-ACKs are "forged" by the injection rules, yet they are no reset: the device
/// takes the connection and serves its own page.
public struct InterceptionFinding: Hashable, Sendable {
    /// The device's SYN-ACK.
    public var synAck: Answer
    /// How it differs from the host's own packets.
    public var reasons: [String]
    public var location: Location?
    public var page: PageInput?
    /// The host's own distance, and the device's.
    public var hostHops: [Int]
    public var deviceHops: Int
}

public enum Interception {
    /// The intercepting SYN-ACKs on `port`, when every forged answer to a SYN on it is a
    /// SYN-ACK (nil otherwise: no forgery, or forged resets).
    public static func synAcks(_ results: [SYNTrialResult], port: UInt16) -> [Answer]? {
        let forged = results.filter { $0.trial.port == port }.flatMap(\.forged)
        guard !forged.isEmpty, forged.allSatisfy({ $0.kind == .synAck }) else { return nil }
        return forged
    }

    /// The finding from the SYN trials, the traces and the fetched page.
    public static func analyse(_ results: [SYNTrialResult], port: UInt16, target: IPAddress, profile: GenuineProfile,
                               trigger: TraceRun?, controls: [TraceRun], page: PageInput?) -> InterceptionFinding? {
        guard let answers = synAcks(results, port: port), let first = answers.first else { return nil }
        let hostHops = Array(Set(profile.fingerprints.filter { $0.source == target }.map(\.hopDistance))).sorted()
        let f = first.fingerprint
        var reasons = results.first { !$0.forged.isEmpty }?.forgeryReasons ?? []
        // The host's own SYN-ACKs (to the other port) give window and options to compare with.
        let own = results.compactMap { r -> Fingerprint? in
            guard case .genuine = r.outcome, let a = r.trial.answers.first(where: { $0.kind == .synAck }) else { return nil }
            return a.fingerprint
        }.first
        if let own {
            if own.window != f.window, let w = f.window, let ow = own.window {
                reasons.append("Its window is \(w); the host's own SYN-ACKs have \(ow).")
            }
            if let o = f.options, let oo = own.options, o != oo {
                reasons.append("Its options are [\(o.joined(separator: ", "))]; the host's own SYN-ACKs carry [\(oo.joined(separator: ", "))].")
            }
        }
        let tcpTraces = ([trigger] + controls.filter { $0.name.hasPrefix("tcp") }).compactMap { $0 }
        let location = locate(tcpTraces, controls: controls, target: target)
        return InterceptionFinding(synAck: first, reasons: reasons, location: location, page: page, hostHops: hostHops,
                                   deviceHops: f.hopDistance)
    }

    /// The first TTL at which a TTL-limited SYN draws the "host's" answer while a control
    /// probe at that TTL still draws time exceeded from a router: the device answers there.
    static func locate(_ traces: [TraceRun], controls: [TraceRun], target: IPAddress) -> Location? {
        let candidates = traces.compactMap { trace -> (Int, TraceRun)? in
            let ttl = trace.ttls.first { t in
                trace.responses(at: t).contains { [.synAck, .rst, .tcp].contains($0.kind) && $0.fingerprint.source == target }
            }
            return ttl.map { ($0, trace) }
        }
        guard let (ttl, trace) = candidates.min(by: { $0.0 < $1.0 }) else { return nil }
        // A router's time exceeded in the target's name is the NAT's own rewrite (a DNAT on the
        // router translates its errors too): the router's address comes from a probe it did not NAT.
        func router(at t: Int) -> IPAddress? {
            (controls + [trace]).lazy.compactMap { c in
                c.responses(at: t).first { $0.kind == .timeExceeded && $0.fingerprint.source != target }?.fingerprint.source
            }.first
        }
        let before = ttl > 1 ? router(at: ttl - 1) : nil
        let router = controls.lazy.compactMap { c in
            c.responses(at: ttl).first { $0.kind == .timeExceeded && $0.fingerprint.source != target }?.fingerprint.source
        }.first
        var reason = "Limited to TTL \(ttl), the SYN (\(trace.name) trace) already draws a SYN-ACK in the host's name"
        if let router {
            reason += ", while a control probe at that TTL draws time exceeded from \(router): the device answers at that hop"
                + (before.map { ", past \($0)" } ?? "") + ", short of the host."
        } else {
            reason += "; no control probe at that TTL drew time exceeded, so the device cannot be told from the host's own hop."
        }
        return Location(ttl: ttl, address: router, before: before, onPath: false, confidence: router != nil ? .high : .low,
                        reason: reason)
    }
}

extension SYNTrialResult {
    /// The trial's `result` word: a forged answer is named by what it was — a SYN-ACK of an
    /// interceptor is not a reset.
    public var answerWord: String {
        if case .forged = outcome, let first = forged.first, first.kind == .synAck { return "syn-ack" }
        return outcome.resultWord
    }
}
