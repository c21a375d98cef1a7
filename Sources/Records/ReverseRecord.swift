import JSONSupport

/// The agent's answer to `POST /v1/reverse` (Docs/agent.md), and with `investigate --both`
/// the investigation's `reverse`, which adds `listener` (what our listener saw).
public struct ReverseRecord: JSONRecord, Equatable {
    public static let schema = "censorscope.reverse/1"

    /// Our listener during the reverse run: {`port`, `accepted`, `bytes_received`, `reset`},
    /// or {`port`, `note`} when another program took the connection.
    public struct Listener: Sendable, Equatable {
        public var port: Int?
        public var accepted: Int?
        public var bytesReceived: Int?
        public var reset: Bool?
        public var note: String?

        public init(port: Int?, accepted: Int? = nil, bytesReceived: Int? = nil, reset: Bool? = nil, note: String? = nil) {
            self.port = port
            self.accepted = accepted
            self.bytesReceived = bytesReceived
            self.reset = reset
            self.note = note
        }

        public var json: JSONValue {
            if let note { return .object([("port", .integer(port)), ("note", .string(note))]) }
            return .object([("port", .integer(port)), ("accepted", .integer(accepted)), ("bytes_received", .integer(bytesReceived)),
                            ("reset", .optional(reset))])
        }

        init(json: JSONValue) {
            self.init(port: json.int("port"), accepted: json.int("accepted"), bytesReceived: json.int("bytes_received"),
                      reset: json.bool("reset"), note: json.string("note"))
        }
    }

    public var target: String?
    public var source: String?
    public var sourcePort: Int?
    public var destinationPort: Int?
    /// The request's payload: `http_host`, `tls_sni` or `hex`, and its value.
    public var payloadKind: String?
    public var payloadValue: String?
    public var ttl: Int?
    public var connected: Bool?
    public var payloadSent: Bool?
    public var outcome: String?
    public var from: String?
    public var resetBy: String?
    public var injected: Bool?
    public var injectionReasons: [String]
    public var blocked: Bool?
    public var fingerprint: FingerprintRecord?
    public var peerFingerprint: FingerprintRecord?
    public var rttMilliseconds: Double?
    public var responseBytes: Int?
    public var firstLine: String?
    public var timeExceededFrom: String?
    public var timedOut: Bool?
    public var socketError: String?
    /// The flow's capture, pcapng in base64; the client takes it out before printing.
    public var evidencePCAPNG: String?
    public var listener: Listener?

    public init(target: String?, source: String?, sourcePort: Int?, destinationPort: Int?, payloadKind: String?, payloadValue: String?,
                ttl: Int?, connected: Bool?, payloadSent: Bool?, outcome: String?, from: String?, resetBy: String?,
                injected: Bool?, injectionReasons: [String], blocked: Bool?, fingerprint: FingerprintRecord?,
                peerFingerprint: FingerprintRecord?, rttMilliseconds: Double?, responseBytes: Int?, firstLine: String?,
                timeExceededFrom: String?, timedOut: Bool?, socketError: String?, evidencePCAPNG: String?, listener: Listener? = nil) {
        self.target = target
        self.source = source
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.payloadKind = payloadKind
        self.payloadValue = payloadValue
        self.ttl = ttl
        self.connected = connected
        self.payloadSent = payloadSent
        self.outcome = outcome
        self.from = from
        self.resetBy = resetBy
        self.injected = injected
        self.injectionReasons = injectionReasons
        self.blocked = blocked
        self.fingerprint = fingerprint
        self.peerFingerprint = peerFingerprint
        self.rttMilliseconds = rttMilliseconds
        self.responseBytes = responseBytes
        self.firstLine = firstLine
        self.timeExceededFrom = timeExceededFrom
        self.timedOut = timedOut
        self.socketError = socketError
        self.evidencePCAPNG = evidencePCAPNG
        self.listener = listener
    }

    /// A result with nothing known (what a body that is not an object reads as).
    public init() {
        self.init(target: nil, source: nil, sourcePort: nil, destinationPort: nil, payloadKind: nil, payloadValue: nil, ttl: nil,
                  connected: nil, payloadSent: nil, outcome: nil, from: nil, resetBy: nil, injected: nil, injectionReasons: [],
                  blocked: nil, fingerprint: nil, peerFingerprint: nil, rttMilliseconds: nil, responseBytes: nil, firstLine: nil,
                  timeExceededFrom: nil, timedOut: nil, socketError: nil, evidencePCAPNG: nil)
    }

    public var json: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("target", .optional(target)),
            ("source", .optional(source)),
            ("sport", .integer(sourcePort)),
            ("dport", .integer(destinationPort)),
            ("payload", payloadKind.map { .object([($0, .optional(payloadValue))]) } ?? .null),
            ("ttl", .integer(ttl)),
            ("connected", .optional(connected)),
            ("payload_sent", .optional(payloadSent)),
            ("outcome", .optional(outcome)),
            ("from", .optional(from)),
            ("reset_by", .optional(resetBy)),
            ("injected", .optional(injected)),
            ("injection_reasons", .strings(injectionReasons)),
            ("blocked", .optional(blocked)),
            ("fingerprint", fingerprint?.as(.probe).json ?? .null),
            ("peer_fingerprint", peerFingerprint?.as(.probe).json ?? .null),
            ("rtt_ms", .real(rttMilliseconds)),
            ("response_bytes", .integer(responseBytes)),
            ("first_line", .optional(firstLine)),
            ("time_exceeded_from", .optional(timeExceededFrom)),
            ("timed_out", .optional(timedOut)),
            ("socket_error", .optional(socketError)),
        ]
        if let evidencePCAPNG { fields.append(("evidence_pcapng", .string(evidencePCAPNG))) }
        if let listener { fields.append(("listener", listener.json)) }
        return .object(fields)
    }

    public init(json: JSONValue) throws(RecordError) {
        guard json.isObject else { throw RecordError("a reverse result is a JSON object") }
        let payload = json.object("payload")?.objectFields?.first
        self.init(target: json.string("target"), source: json.string("source"), sourcePort: json.int("sport"),
                  destinationPort: json.int("dport"), payloadKind: payload?.key, payloadValue: payload?.value.stringValue,
                  ttl: json.int("ttl"), connected: json.bool("connected"), payloadSent: json.bool("payload_sent"),
                  outcome: json.string("outcome"), from: json.string("from"), resetBy: json.string("reset_by"),
                  injected: json.bool("injected"), injectionReasons: json.strings("injection_reasons"), blocked: json.bool("blocked"),
                  fingerprint: FingerprintRecord.optional(json["fingerprint"], form: .probe),
                  peerFingerprint: FingerprintRecord.optional(json["peer_fingerprint"], form: .probe),
                  rttMilliseconds: json.double("rtt_ms"), responseBytes: json.int("response_bytes"),
                  firstLine: json.string("first_line"), timeExceededFrom: json.string("time_exceeded_from"),
                  timedOut: json.bool("timed_out"), socketError: json.string("socket_error"),
                  evidencePCAPNG: json.string("evidence_pcapng"), listener: json.object("listener").map(Listener.init))
    }
}

/// Which directions a device acts on (`investigate --both`'s `direction`).
public struct DirectionRecord: Sendable, Equatable {
    public var forward: Bool?
    public var reverse: Bool?
    public var summary: String?

    public init(forward: Bool?, reverse: Bool?, summary: String?) {
        self.forward = forward
        self.reverse = reverse
        self.summary = summary
    }

    public var json: JSONValue {
        .object([("forward", .optional(forward)), ("reverse", .optional(reverse)), ("summary", .optional(summary))])
    }

    init(json: JSONValue) {
        self.init(forward: json.bool("forward"), reverse: json.bool("reverse"), summary: json.string("summary"))
    }
}
