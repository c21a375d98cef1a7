import JSONSupport

/// The IP (and TCP or ICMP) fields of one received packet: the one sub-record every output
/// writes a fingerprint or response with. Three documented forms project it, all written here:
/// - `.probe` (Docs/probing.md "A fingerprint"): `src`, `ttl`, `ip_id`, `df`, `tos`, `length`,
///   then for TCP `flags`, `window`, `seq`, `ack`, `options`, `payload_len`, for ICMP
///   `icmp_type`, `icmp_code` (probe results, answers, trace responses, the agent's reverse);
/// - `.payload` (Docs/probing.md, `probe payload`): every key always present, no `src`;
/// - `.synResponse` (Docs/verdicts.md, a SYN variant's `response`): `ttl`, `ip_id`, `df`,
///   `window`, `flags`, `source` (the source is `src`'s address, or a sentence).
public struct FingerprintRecord: Sendable, Equatable {
    public enum Form: Sendable, Equatable { case probe, payload, synResponse }

    public var form: Form
    public var source: String?
    public var ttl: Int?
    public var ipID: Int?
    public var dontFragment: Bool?
    public var tos: Int?
    public var length: Int?
    /// TCP flag letters (`SA`, `RA`); nil when the packet is not TCP.
    public var flags: String?
    public var window: Int?
    public var sequence: Int?
    public var acknowledgment: Int?
    public var options: [String]?
    public var payloadLength: Int?
    public var icmpType: Int?
    public var icmpCode: Int?

    public init(form: Form = .probe, source: String? = nil, ttl: Int? = nil, ipID: Int? = nil, dontFragment: Bool? = nil,
                tos: Int? = nil, length: Int? = nil, flags: String? = nil, window: Int? = nil, sequence: Int? = nil,
                acknowledgment: Int? = nil, options: [String]? = nil, payloadLength: Int? = nil,
                icmpType: Int? = nil, icmpCode: Int? = nil) {
        self.form = form
        // The IP header's fields, then TCP's, then ICMP's.
        (self.source, self.ttl, self.ipID, self.dontFragment, self.tos, self.length) = (source, ttl, ipID, dontFragment, tos, length)
        (self.flags, self.window, self.sequence, self.acknowledgment) = (flags, window, sequence, acknowledgment)
        (self.options, self.payloadLength) = (options, payloadLength)
        (self.icmpType, self.icmpCode) = (icmpType, icmpCode)
    }

    /// The same fields in another form.
    public func `as`(_ form: Form) -> FingerprintRecord {
        var copy = self
        copy.form = form
        return copy
    }

    public var json: JSONValue {
        switch form {
        case .probe:
            var fields: [(key: String, value: JSONValue)] = [
                ("src", .optional(source)), ("ttl", .integer(ttl)), ("ip_id", .integer(ipID)),
                ("df", .optional(dontFragment)), ("tos", .integer(tos)), ("length", .integer(length)),
            ]
            if let flags {
                fields += [
                    ("flags", .string(flags)), ("window", .integer(window)), ("seq", .integer(sequence)),
                    ("ack", .integer(acknowledgment)), ("options", .strings(options ?? [])),
                    ("payload_len", .integer(payloadLength)),
                ]
            }
            if let icmpType { fields += [("icmp_type", .integer(icmpType)), ("icmp_code", .integer(icmpCode))] }
            return .object(fields)
        case .payload:
            return .object([
                ("ttl", .integer(ttl)), ("ip_id", .integer(ipID)), ("df", .optional(dontFragment)), ("tos", .integer(tos)),
                ("length", .integer(length)), ("window", .integer(window)), ("flags", .optional(flags)),
                ("seq", .integer(sequence)), ("ack", .integer(acknowledgment)), ("icmp_type", .integer(icmpType)),
                ("icmp_code", .integer(icmpCode)),
            ])
        case .synResponse:
            return .object([
                ("ttl", .integer(ttl)), ("ip_id", .integer(ipID)), ("df", .optional(dontFragment)),
                ("window", .integer(window)), ("flags", .optional(flags)), ("source", .optional(source)),
            ])
        }
    }

    /// Reads any of the three forms; `form` says which one to write back.
    public init(json: JSONValue, form: Form) {
        self.init(form: form, source: json.string("src") ?? json.string("source"), ttl: json.int("ttl"),
                  ipID: json.int("ip_id"), dontFragment: json.bool("df"), tos: json.int("tos"), length: json.int("length"),
                  flags: json.string("flags"), window: json.int("window"), sequence: json.int("seq"),
                  acknowledgment: json.int("ack"), options: json["options"]?.arrayValue.map { $0.compactMap(\.stringValue) },
                  payloadLength: json.int("payload_len"), icmpType: json.int("icmp_type"), icmpCode: json.int("icmp_code"))
    }

    /// The fingerprint of a field that may be null or missing.
    static func optional(_ json: JSONValue?, form: Form) -> FingerprintRecord? {
        guard let json, json.isObject else { return nil }
        return FingerprintRecord(json: json, form: form)
    }
}

/// A field of an ICMP error's quote that differs from what was sent (`quote_diff`).
public struct QuoteDifferenceRecord: Sendable, Hashable {
    /// "tos", "ip_id", "df", "ip_length", "sport", "dport", "seq", "ack", "window",
    /// "tcp_flags", "tcp_options", "mss", "udp_length", "udp_checksum", "tcp_checksum", …
    public var field: String
    public var sent: String
    public var quoted: String

    public init(field: String, sent: String, quoted: String) {
        self.field = field
        self.sent = sent
        self.quoted = quoted
    }

    public var json: JSONValue { .object([("field", .string(field)), ("sent", .string(sent)), ("quoted", .string(quoted))]) }

    static func list(_ json: JSONValue, _ key: String) -> [QuoteDifferenceRecord] {
        json.objects(key).map {
            QuoteDifferenceRecord(field: $0.string("field") ?? "", sent: $0.string("sent") ?? "", quoted: $0.string("quoted") ?? "")
        }
    }
}
