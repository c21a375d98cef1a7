import JSONSupport

/// One answer to a probe (Docs/probing.md): `probe`, `kind`, `from`, `rtt_ms`, `match`,
/// `duplicates`, `fingerprint`, then `quoted_ttl` and `quote_diff` for an ICMP error, and
/// `injected`, `injection_reasons` where the answer was assessed (`probe syn`).
public struct ProbeAnswerRecord: Sendable, Equatable {
    public var probe: Int?
    public var kind: String?
    public var from: String?
    public var rttMilliseconds: Double?
    public var match: String?
    public var duplicates: Int?
    public var fingerprint: FingerprintRecord?
    public var quotedTTL: Int?
    public var quoteDifferences: [QuoteDifferenceRecord]
    public var injected: Bool?
    public var injectionReasons: [String]

    public init(probe: Int?, kind: String?, from: String?, rttMilliseconds: Double?, match: String?, duplicates: Int?,
                fingerprint: FingerprintRecord?, quotedTTL: Int? = nil, quoteDifferences: [QuoteDifferenceRecord] = [],
                injected: Bool? = nil, injectionReasons: [String] = []) {
        self.probe = probe
        self.kind = kind
        self.from = from
        self.rttMilliseconds = rttMilliseconds
        self.match = match
        self.duplicates = duplicates
        self.fingerprint = fingerprint
        self.quotedTTL = quotedTTL
        self.quoteDifferences = quoteDifferences
        self.injected = injected
        self.injectionReasons = injectionReasons
    }

    public var json: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("probe", .integer(probe)), ("kind", .optional(kind)), ("from", .optional(from)), ("rtt_ms", .real(rttMilliseconds)),
            ("match", .optional(match)), ("duplicates", .integer(duplicates)), ("fingerprint", fingerprint?.as(.probe).json ?? .null),
        ]
        if let quotedTTL {
            fields += [("quoted_ttl", .integer(quotedTTL)), ("quote_diff", .array(quoteDifferences.map(\.json)))]
        }
        if let injected {
            fields += [("injected", .bool(injected)), ("injection_reasons", .strings(injectionReasons))]
        }
        return .object(fields)
    }

    public init(json: JSONValue) {
        self.init(probe: json.int("probe"), kind: json.string("kind"), from: json.string("from"), rttMilliseconds: json.double("rtt_ms"),
                  match: json.string("match"), duplicates: json.int("duplicates"),
                  fingerprint: FingerprintRecord.optional(json["fingerprint"], form: .probe), quotedTTL: json.int("quoted_ttl"),
                  quoteDifferences: QuoteDifferenceRecord.list(json, "quote_diff"), injected: json.bool("injected"),
                  injectionReasons: json.strings("injection_reasons"))
    }
}

/// The `icmp` object of a result whose answer is an ICMP error.
public struct ICMPDetailRecord: Sendable, Equatable {
    public var type: Int?
    public var code: Int?
    public var kind: String?
    public var from: String?

    public init(type: Int?, code: Int?, kind: String?, from: String?) {
        self.type = type
        self.code = code
        self.kind = kind
        self.from = from
    }

    public var json: JSONValue {
        .object([("type", .integer(type)), ("code", .integer(code)), ("kind", .optional(kind)), ("from", .optional(from))])
    }

    static func optional(_ json: JSONValue?) -> ICMPDetailRecord? {
        guard let json, json.isObject else { return nil }
        return ICMPDetailRecord(type: json.int("type"), code: json.int("code"), kind: json.string("kind"), from: json.string("from"))
    }
}

/// The probe a result is about.
public enum SentProbeRecord: Sendable, Equatable {
    /// `probe syn`: {`src`, `sport`, `seq`, `ttl`, `flags`, `window`, `options`, `payload_len`, `length`}.
    case syn(source: String?, sourcePort: Int?, sequence: Int?, ttl: Int?, flags: String?, window: Int?,
             options: [String], payloadLength: Int?, length: Int?)
    /// The datagram kinds: {`index`, `ttl`, `length`, `label`}.
    case datagram(index: Int?, ttl: Int?, length: Int?, label: String?)

    public var json: JSONValue {
        switch self {
        case let .syn(source, sourcePort, sequence, ttl, flags, window, options, payloadLength, length):
            return .object([
                ("src", .optional(source)), ("sport", .integer(sourcePort)), ("seq", .integer(sequence)), ("ttl", .integer(ttl)),
                ("flags", .optional(flags)), ("window", .integer(window)), ("options", .strings(options)),
                ("payload_len", .integer(payloadLength)), ("length", .integer(length)),
            ])
        case let .datagram(index, ttl, length, label):
            return .object([("index", .integer(index)), ("ttl", .integer(ttl)), ("length", .integer(length)), ("label", .optional(label))])
        }
    }
}

/// One probe's result (`probe syn|icmp|udp|stun|dns --json`, Docs/probing.md). The SYN
/// form has `variant`, `size`, the injection assessment and `reference`; the datagram
/// forms have `kind`, an optional `port` and the kind's own fields (`kindFields`, filled by
/// the probe kind) before `answers`.
public struct ProbeResultRecord: JSONRecord, Equatable {
    public static let schema = "censorscope.probe-result/1"

    public var target: String
    /// The datagram kind (`icmp`, `udp`, `stun`, `dns`, …); nil for `probe syn`.
    public var kind: String?
    public var port: Int?
    /// `probe syn` only: the SYN variant and the packet's size.
    public var variant: String?
    public var size: Int?
    public var probe: SentProbeRecord?
    public var result: String?
    /// `probe syn` only: the first answer's assessment.
    public var injected: Bool?
    public var injectionReasons: [String]
    public var response: FingerprintRecord?
    public var rttMilliseconds: Double?
    public var icmp: ICMPDetailRecord?
    /// Per kind, in the kind's order: `response_payload` (udp), `mapped_address` (stun), `rcode`, `records` (dns), …
    public var kindFields: [(key: String, value: JSONValue)]
    public var answers: [ProbeAnswerRecord]
    /// `probe syn` only: the reference echo reply's fingerprint.
    public var reference: FingerprintRecord?

    public init(target: String, kind: String? = nil, port: Int?, variant: String? = nil, size: Int? = nil, probe: SentProbeRecord?,
                result: String?, injected: Bool? = nil, injectionReasons: [String] = [], response: FingerprintRecord?,
                rttMilliseconds: Double?, icmp: ICMPDetailRecord?, kindFields: [(key: String, value: JSONValue)] = [],
                answers: [ProbeAnswerRecord], reference: FingerprintRecord? = nil) {
        self.target = target
        self.kind = kind
        self.port = port
        self.variant = variant
        self.size = size
        self.probe = probe
        self.result = result
        self.injected = injected
        self.injectionReasons = injectionReasons
        self.response = response
        self.rttMilliseconds = rttMilliseconds
        self.icmp = icmp
        self.kindFields = kindFields
        self.answers = answers
        self.reference = reference
    }

    public static func == (a: ProbeResultRecord, b: ProbeResultRecord) -> Bool { a.json == b.json }

    public var isSYN: Bool { kind == nil }

    static let commonKeys: Set<String> = ["target", "kind", "port", "variant", "size", "probe", "result", "injected",
                                          "injection_reasons", "response", "rtt_ms", "icmp", "answers", "reference"]

    public var json: JSONValue {
        let response = ("response", self.response?.as(.probe).json ?? .null)
        let rtt = ("rtt_ms", JSONValue.real(rttMilliseconds))
        let icmp = ("icmp", self.icmp?.json ?? .null)
        let answers = ("answers", JSONValue.array(self.answers.map(\.json)))
        var fields: [(key: String, value: JSONValue)] = [("target", .string(target))]
        if let kind {
            fields.append(("kind", .string(kind)))
            if let port { fields.append(("port", .integer(port))) }
            fields += [("probe", probe?.json ?? .null), ("result", .optional(result)), response, rtt, icmp]
            fields += kindFields
            fields.append(answers)
        } else {
            fields += [
                ("port", .integer(port)), ("variant", .optional(variant)), ("size", .integer(size)), ("probe", probe?.json ?? .null),
                ("result", .optional(result)), ("injected", .optional(injected)), ("injection_reasons", .strings(injectionReasons)),
                response, rtt, icmp, answers, ("reference", reference?.as(.probe).json ?? .null),
            ]
        }
        return .object(fields)
    }

    public init(json: JSONValue) throws(RecordError) {
        guard let fields = json.objectFields else { throw RecordError("a probe result is a JSON object") }
        guard let target = json.string("target") else { throw RecordError("a probe result has a \"target\" string") }
        let kind = json.string("kind")
        var probe: SentProbeRecord?
        if let p = json.object("probe") {
            probe = kind == nil
                ? .syn(source: p.string("src"), sourcePort: p.int("sport"), sequence: p.int("seq"), ttl: p.int("ttl"),
                       flags: p.string("flags"), window: p.int("window"), options: p.strings("options"),
                       payloadLength: p.int("payload_len"), length: p.int("length"))
                : .datagram(index: p.int("index"), ttl: p.int("ttl"), length: p.int("length"), label: p.string("label"))
        }
        self.init(target: target, kind: kind, port: json.int("port"), variant: json.string("variant"), size: json.int("size"),
                  probe: probe, result: json.string("result"), injected: json.bool("injected"),
                  injectionReasons: json.strings("injection_reasons"),
                  response: FingerprintRecord.optional(json["response"], form: .probe), rttMilliseconds: json.double("rtt_ms"),
                  icmp: ICMPDetailRecord.optional(json["icmp"]),
                  kindFields: kind == nil ? [] : fields.filter { !Self.commonKeys.contains($0.key) },
                  answers: json.objects("answers").map(ProbeAnswerRecord.init),
                  reference: FingerprintRecord.optional(json["reference"], form: .probe))
    }
}
