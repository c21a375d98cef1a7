import JSONSupport

/// What a connection carries: `{"kind": "http", "host": …}`, `{"kind": "tls", "sni": …}` or
/// `{"kind": "raw", "hex": …}` (an investigation's `test`/`control`, `probe payload`'s
/// `payload`/`control`).
public struct PayloadRequestRecord: Sendable, Equatable {
    public var kind: String?
    /// The HTTP Host, the TLS SNI or the raw bytes in hex, under the key `kind` names.
    public var value: String?

    public init(kind: String?, value: String?) {
        self.kind = kind
        self.value = value
    }

    public static func http(_ host: String) -> PayloadRequestRecord { .init(kind: "http", value: host) }
    public static func tls(_ sni: String) -> PayloadRequestRecord { .init(kind: "tls", value: sni) }
    public static func raw(hex: String) -> PayloadRequestRecord { .init(kind: "raw", value: hex) }

    /// The key the value goes under.
    public var valueKey: String {
        switch kind {
        case "tls": return "sni"
        case "raw": return "hex"
        default: return "host"
        }
    }

    /// The HTTP Host or the TLS SNI, when that is what the request names.
    public var name: String? { kind == "raw" ? nil : value }

    public var json: JSONValue { .object([("kind", .optional(kind)), (valueKey, .optional(value))]) }

    public init(json: JSONValue) {
        kind = json.string("kind")
        value = json.string("host") ?? json.string("sni") ?? json.string("hex")
    }

    static func optional(_ json: JSONValue?) -> PayloadRequestRecord? {
        guard let json, json.isObject else { return nil }
        return PayloadRequestRecord(json: json)
    }
}

/// What one payload drew at one TTL (Docs/probing.md, `probe payload`).
public struct PayloadObservationRecord: Sendable, Equatable {
    public var outcome: String?
    public var from: String?
    public var rttMilliseconds: Double?
    public var fingerprint: FingerprintRecord?
    public var quoteDifferences: [QuoteDifferenceRecord]
    public var firstLine: String?
    public var responseBytes: Int?
    public var inWindow: Bool?
    public var timeExceededFrom: String?
    public var socketError: String?

    public init(outcome: String?, from: String? = nil, rttMilliseconds: Double? = nil, fingerprint: FingerprintRecord? = nil,
                quoteDifferences: [QuoteDifferenceRecord] = [], firstLine: String? = nil, responseBytes: Int? = 0,
                inWindow: Bool? = nil, timeExceededFrom: String? = nil, socketError: String? = nil) {
        self.outcome = outcome
        self.from = from
        self.rttMilliseconds = rttMilliseconds
        self.fingerprint = fingerprint
        self.quoteDifferences = quoteDifferences
        self.firstLine = firstLine
        self.responseBytes = responseBytes
        self.inWindow = inWindow
        self.timeExceededFrom = timeExceededFrom
        self.socketError = socketError
    }

    public var json: JSONValue {
        .object([
            ("outcome", .optional(outcome)),
            ("from", .optional(from)),
            ("rtt_ms", .real(rttMilliseconds)),
            ("fingerprint", fingerprint.map { $0.as(.payload).json } ?? .null),
            ("quote_diff", .array(quoteDifferences.map(\.json))),
            ("first_line", .optional(firstLine)),
            ("response_bytes", .integer(responseBytes)),
            ("in_window", .optional(inWindow)),
            ("time_exceeded_from", .optional(timeExceededFrom)),
            ("socket_error", .optional(socketError)),
        ])
    }

    public init(json: JSONValue) {
        self.init(outcome: json.string("outcome"), from: json.string("from"), rttMilliseconds: json.double("rtt_ms"),
                  fingerprint: FingerprintRecord.optional(json["fingerprint"], form: .payload),
                  quoteDifferences: QuoteDifferenceRecord.list(json, "quote_diff"), firstLine: json.string("first_line"),
                  responseBytes: json.int("response_bytes"), inWindow: json.bool("in_window"),
                  timeExceededFrom: json.string("time_exceeded_from"), socketError: json.string("socket_error"))
    }
}

/// One TTL of a payload sweep: the test and the control payload (`probe payload`'s `ttls`,
/// an investigation's `payload_sweep`).
public struct PayloadStepRecord: Sendable, Equatable {
    public var ttl: Int?
    public var test: PayloadObservationRecord
    public var control: PayloadObservationRecord

    public init(ttl: Int?, test: PayloadObservationRecord, control: PayloadObservationRecord) {
        self.ttl = ttl
        self.test = test
        self.control = control
    }

    public var json: JSONValue { .object([("ttl", .integer(ttl)), ("test", test.json), ("control", control.json)]) }

    public init(json: JSONValue) {
        let empty = JSONValue.object([])
        self.init(ttl: json.int("ttl"), test: PayloadObservationRecord(json: json.object("test") ?? empty),
                  control: PayloadObservationRecord(json: json.object("control") ?? empty))
    }
}

/// `probe payload --json`: a handshake, then the test and control payloads at each TTL.
public struct PayloadTraceRecord: JSONRecord, Equatable {
    public static let schema = "censorscope.payload-trace/1"

    public var target: String
    public var port: Int?
    public var payload: PayloadRequestRecord?
    public var control: PayloadRequestRecord?
    public var steps: [PayloadStepRecord]

    public init(target: String, port: Int?, payload: PayloadRequestRecord?, control: PayloadRequestRecord?, steps: [PayloadStepRecord]) {
        self.target = target
        self.port = port
        self.payload = payload
        self.control = control
        self.steps = steps
    }

    public var json: JSONValue {
        .object([
            ("target", .string(target)),
            ("port", .integer(port)),
            ("payload", payload?.json ?? .null),
            ("control", control?.json ?? .null),
            ("ttls", .array(steps.map(\.json))),
        ])
    }

    public init(json: JSONValue) throws(RecordError) {
        guard json.isObject else { throw RecordError("a payload trace is a JSON object") }
        guard let target = json.string("target"), json["ttls"]?.arrayValue != nil else {
            throw RecordError("a payload trace has a \"target\" string and a \"ttls\" array")
        }
        self.init(target: target, port: json.int("port"), payload: PayloadRequestRecord.optional(json["payload"]),
                  control: PayloadRequestRecord.optional(json["control"]), steps: json.objects("ttls").map(PayloadStepRecord.init))
    }
}
