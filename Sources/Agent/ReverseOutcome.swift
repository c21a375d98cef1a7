import Analysis
import Records
import Packets
import Probing

/// Who ended or answered a reverse connection, and whether it was forged.
public struct ReverseAssessment: Hashable, Sendable {
    /// "injector" (a forged reset), "peer" (the requester's own), "unknown" (no packet
    /// of the peer's to compare with), or nil when no reset came.
    public var resetBy: String?
    /// The deciding answer (reset, data or FIN) was forged by something on the path.
    public var injected: Bool
    /// One sentence per piece of evidence when injected, else what was checked.
    public var reasons: [String]
    /// The requester's SYN-ACK: the peer's own packet, the reference for TTL and DF.
    public var peer: Fingerprint?

    public init(resetBy: String?, injected: Bool, reasons: [String], peer: Fingerprint?) {
        self.resetBy = resetBy
        self.injected = injected
        self.reasons = reasons
        self.peer = peer
    }

    /// Assesses the observation of a reverse connection on `flow` from its captured packets.
    /// The requester's SYN-ACK is the reference: an answer with the same source but another
    /// hop distance (same initial TTL guess), or another DF bit, did not come from the
    /// requester's stack.
    public static func assess(_ observation: PayloadObservation, packets: [PayloadPacket], flow: PayloadFlow) -> ReverseAssessment {
        let peer = packets.lazy.compactMap { p -> Fingerprint? in
            guard let t = flow.incoming(p.packet), t.flags.contains([.syn, .ack]) else { return nil }
            return Fingerprint(of: p.packet)
        }.first
        let decisive: Set<PayloadOutcome> = [.rst, .data, .fin]
        guard decisive.contains(observation.outcome), let answer = observation.fingerprint else {
            return ReverseAssessment(resetBy: nil, injected: false, reasons: [], peer: peer)
        }
        guard let peer else {
            return ReverseAssessment(resetBy: observation.outcome == .rst ? "unknown" : nil, injected: false,
                                     reasons: ["No SYN-ACK of the requester's was captured to compare the answer with."], peer: nil)
        }
        var evidence: [String] = [], checked: [String] = []
        if answer.initialTTLGuess == peer.initialTTLGuess {
            if answer.hopDistance != peer.hopDistance {
                evidence.append("TTL \(answer.ttl) means \(answer.hopDistance) hops; the requester's SYN-ACK came from \(peer.hopDistance) (TTL \(peer.ttl)).")
            } else {
                checked.append("TTL \(answer.ttl) means \(answer.hopDistance) hops, as for the requester's SYN-ACK.")
            }
        } else {
            checked.append("TTL \(answer.ttl) and the requester's SYN-ACK (TTL \(peer.ttl)) start from different initial TTLs, which alone is no evidence.")
        }
        if case .v4 = answer.source {
            if answer.dontFragment != peer.dontFragment {
                evidence.append("DF is \(answer.dontFragment ? "set" : "clear") where the requester's SYN-ACK has it \(peer.dontFragment ? "set" : "clear").")
            } else {
                checked.append("DF is \(answer.dontFragment ? "set" : "clear"), as on the requester's SYN-ACK.")
            }
        }
        let injected = !evidence.isEmpty
        let resetBy: String? = observation.outcome == .rst ? (injected ? "injector" : "peer") : nil
        return ReverseAssessment(resetBy: resetBy, injected: injected, reasons: injected ? evidence : checked, peer: peer)
    }
}

/// What a reverse connection's capture shows beyond the payload's own observation.
public enum ReverseFlow {
    /// Whether the requester answered the handshake (its SYN-ACK was captured).
    public static func handshakeCompleted(_ packets: [PayloadPacket], flow: PayloadFlow) -> Bool {
        packets.contains { flow.incoming($0.packet)?.flags.contains([.syn, .ack]) == true }
    }

    /// Whether a segment with data left on the flow.
    public static func payloadSent(_ packets: [PayloadPacket], flow: PayloadFlow) -> Bool {
        packets.contains { flow.outgoing($0.packet).map { !$0.payload.isEmpty } == true }
    }

    /// The observation to report: the payload's, except when the connection was reset
    /// between the handshake and the payload (a device acting on the handshake's last ACK:
    /// the kernel sees the reset before `connect` returns, so no payload is sent). That is
    /// a reset, answered by whoever sent it, not a failed connection.
    public static func observation(_ o: PayloadObservation, packets: [PayloadPacket], flow: PayloadFlow) -> PayloadObservation {
        guard o.outcome == .notConnected,
              let synAck = packets.firstIndex(where: { flow.incoming($0.packet)?.flags.contains([.syn, .ack]) == true }),
              let reset = packets[synAck...].first(where: { p in
                  flow.incoming(p.packet).map { $0.flags.contains(.rst) && !$0.flags.contains(.syn) } == true
              }) else { return o }
        var result = PayloadObservation(outcome: .rst, from: reset.packet.source, fingerprint: Fingerprint(of: reset.packet),
                                        socketError: o.socketError)
        result.rttMilliseconds = Double(reset.timestamp.totalNanoseconds - packets[synAck].timestamp.totalNanoseconds) / 1e6
        return result
    }
}

/// The verdict on the reverse direction and how it reads beside the forward one.
public enum DirectionVerdict {
    /// Whether the reverse connection was interfered with: true for a forged reset, FIN or
    /// data; false when the requester's own stack answered; nil when nothing decides it
    /// (no connection, silence, or a TTL-limited payload that expired).
    public static func reverseBlocked(outcome: PayloadOutcome, injected: Bool) -> Bool? {
        switch outcome {
        case .rst, .data, .fin: return injected
        case .ack: return false
        case .timeout, .notConnected, .timeExceeded, .unreachable: return nil
        }
    }

    /// The sentence for a device's reach: forward (the investigation's verdict is
    /// blocking) and reverse (`reverseBlocked`).
    public static func summary(forward: Bool, reverse: Bool?) -> String {
        switch (forward, reverse) {
        case (true, true?): return "acts on both directions"
        case (true, false?): return "acts on the forward direction only"
        case (false, true?): return "acts on the reverse direction only"
        case (false, false?): return "acts on neither direction"
        case (true, nil): return "acts on the forward direction; the reverse direction is inconclusive"
        case (false, nil): return "does not act on the forward direction; the reverse direction is inconclusive"
        }
    }

    /// The `direction` record of an investigation.
    public static func record(forward: Bool, reverse: Bool?) -> DirectionRecord {
        DirectionRecord(forward: forward, reverse: reverse, summary: summary(forward: forward, reverse: reverse))
    }
}

/// The agent's answer to `POST /v1/reverse`, built on the agent and read back by the client.
public struct ReverseReport: Sendable {
    public var target: IPAddress
    public var source: IPAddress
    public var request: AgentReverseRequest
    public var observation: PayloadObservation
    public var assessment: ReverseAssessment
    /// The requester's SYN-ACK came: the connection was made.
    public var handshake: Bool
    /// Our payload left (not when a reset came first).
    public var payloadSent: Bool
    /// The capture of the flow as a pcapng file, base64.
    public var evidenceBase64: String

    public init(target: IPAddress, source: IPAddress, request: AgentReverseRequest, observation: PayloadObservation,
                assessment: ReverseAssessment, handshake: Bool, payloadSent: Bool, evidenceBase64: String) {
        self.target = target
        self.source = source
        self.request = request
        self.observation = observation
        self.assessment = assessment
        self.handshake = handshake
        self.payloadSent = payloadSent
        self.evidenceBase64 = evidenceBase64
    }

    public var blocked: Bool? { DirectionVerdict.reverseBlocked(outcome: observation.outcome, injected: assessment.injected) }

    /// The response body (Docs/agent.md) as its record.
    public var record: ReverseRecord {
        let o = observation
        return ReverseRecord(
            target: target.description, source: source.description, sourcePort: Int(request.sourcePort),
            destinationPort: Int(request.destinationPort), payloadKind: request.payload.key, payloadValue: request.payload.value,
            ttl: Int(request.ttl ?? 64), connected: handshake, payloadSent: payloadSent, outcome: o.outcome.rawValue,
            from: o.from?.description, resetBy: assessment.resetBy, injected: assessment.injected,
            injectionReasons: assessment.reasons, blocked: blocked, fingerprint: o.fingerprint?.record(),
            peerFingerprint: assessment.peer?.record(), rttMilliseconds: roundedMilliseconds(o.rttMilliseconds),
            responseBytes: o.responseBytes, firstLine: o.firstBytes, timeExceededFrom: o.timeExceededFrom?.description,
            timedOut: o.outcome == .timeout, socketError: o.socketError, evidencePCAPNG: evidenceBase64)
    }

    /// One line for people from a response: "reset by an injector (ttl 57, ip id 1, no DF) …".
    public static func line(_ body: ReverseRecord) -> String {
        let outcome = body.outcome ?? "?"
        let sport = body.sourcePort.map(String.init) ?? "?", dport = body.destinationPort.map(String.init) ?? "?"
        var text = "reverse \(body.source ?? "?"):\(sport) > \(body.target ?? "?"):\(dport): "
        let f = body.fingerprint
        let detail = f?.ttl.map { ttl in
            " (ttl \(ttl)" + (f?.ipID.map { ", ip id \($0)" } ?? "") + (f?.dontFragment == true ? ", DF" : ", no DF") + ")"
        } ?? ""
        let early = body.connected == true && body.payloadSent == false ? " after the handshake, before the payload" : ""
        switch (outcome, body.resetBy) {
        case ("rst", "injector"?): text += "reset by an injector" + early + detail
        case ("rst", "peer"?): text += "reset by the requester itself" + early + detail
        case ("rst", _): text += "reset" + early + detail
        case ("not-connected", _): text += "no connection" + (body.socketError.map { ": \($0)" } ?? "")
        case ("timeout", _): text += "no answer to the payload"
        default:
            text += outcome + (body.from.map { " from \($0)" } ?? "") + detail
            if body.injected == true { text += ", forged" }
        }
        return text
    }
}
