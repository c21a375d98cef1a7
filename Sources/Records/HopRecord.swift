import JSONSupport

/// One hop of a path: a `trace --json` hop (with its `responses`) or an investigation's
/// `path`/`test_path` hop (without). Enrichment (Docs/enrichment.md) puts `asn`, `as_name`
/// and, with --rdns, `hostname` right after `address`; an investigation hop that was not
/// enriched ends with `asn` and `as_name` (null) instead.
public struct HopRecord: Sendable, Equatable {
    /// Where the AS keys go.
    public enum Annotation: Sendable, Equatable {
        /// No AS keys (a trace that was not enriched).
        case none
        /// At the end (an investigation hop that was not enriched: null placeholders).
        case trailing
        /// Right after `address`, with `hostname` when reverse DNS was asked for.
        case afterAddress(hostname: Bool)
    }

    public var ttl: Int?
    /// The hop's address; nil when silent.
    public var address: String?
    public var rttMilliseconds: Double?
    /// The first answer's kind (`time-exceeded`, `syn-ack`, …; a trace says `silent`).
    public var kind: String?
    public var asn: Int?
    public var asName: String?
    public var hostname: String?
    public var annotation: Annotation
    /// Every answer at this TTL (`trace --json`); nil for an investigation's path.
    public var responses: [HopResponseRecord]?

    public init(ttl: Int?, address: String?, rttMilliseconds: Double?, kind: String?, asn: Int? = nil, asName: String? = nil,
                hostname: String? = nil, annotation: Annotation, responses: [HopResponseRecord]? = nil) {
        self.ttl = ttl
        self.address = address
        self.rttMilliseconds = rttMilliseconds
        self.kind = kind
        self.asn = asn
        self.asName = asName
        self.hostname = hostname
        self.annotation = annotation
        self.responses = responses
    }

    /// The hop with its AS and name (the same for its responses): `annotate(address)` gives
    /// (asn, as_name, hostname) for an address, or nil when nothing is known.
    public func annotated(hostname withHostname: Bool, _ annotate: (String) -> HopAnnotationValues?) -> HopRecord {
        var copy = self
        let values = address.flatMap(annotate)
        copy.asn = values?.asn
        copy.asName = values?.asName
        copy.hostname = withHostname ? values?.hostname : nil
        copy.annotation = .afterAddress(hostname: withHostname)
        copy.responses = responses?.map { $0.annotated(hostname: withHostname, annotate) }
        return copy
    }

    public var json: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [("ttl", .integer(ttl)), ("address", .optional(address))]
        if case .afterAddress(let withHostname) = annotation {
            fields += HopAnnotationValues(asn: asn, asName: asName, hostname: hostname).fields(hostname: withHostname)
        }
        fields += [("rtt_ms", .real(rttMilliseconds)), ("kind", .optional(kind))]
        if let responses { fields.append(("responses", .array(responses.map(\.json)))) }
        if annotation == .trailing { fields += [("asn", .integer(asn)), ("as_name", .optional(asName))] }
        return .object(fields)
    }

    public init(json: JSONValue) {
        let annotation: Annotation
        if json.key(after: "address") == "asn" {
            annotation = .afterAddress(hostname: json.has("hostname"))
        } else if json.has("asn") || json.has("as_name") {
            annotation = .trailing
        } else {
            annotation = .none
        }
        self.init(ttl: json.int("ttl"), address: json.string("address"), rttMilliseconds: json.double("rtt_ms"),
                  kind: json.string("kind"), asn: HopAnnotationValues.asn(json["asn"]), asName: json.string("as_name"),
                  hostname: json.string("hostname"), annotation: annotation,
                  responses: json.list("responses", HopResponseRecord.init))
    }
}

/// What enrichment knows of one address.
public struct HopAnnotationValues: Sendable, Equatable {
    public var asn: Int?
    public var asName: String?
    public var hostname: String?

    public init(asn: Int?, asName: String?, hostname: String?) {
        self.asn = asn
        self.asName = asName
        self.hostname = hostname
    }

    func fields(hostname withHostname: Bool) -> [(key: String, value: JSONValue)] {
        var fields: [(key: String, value: JSONValue)] = [("asn", .integer(asn)), ("as_name", .optional(asName))]
        if withHostname { fields.append(("hostname", .optional(hostname))) }
        return fields
    }

    /// An AS number from 1234 or "AS1234"; nil for anything else.
    static func asn(_ value: JSONValue?) -> Int? {
        if let n = value?.intValue { return n >= 0 && n <= Int(UInt32.max) ? n : nil }
        guard let s = value?.stringValue else { return nil }
        return UInt32(s.hasPrefix("AS") ? s.dropFirst(2) : Substring(s)).map(Int.init)
    }
}

/// One answer at a trace's TTL: `address`, `kind`, `rtt_ms`, `probe`, `fingerprint`,
/// `quote_diff`, and `mpls` when the ICMP error carried labels.
public struct HopResponseRecord: Sendable, Equatable {
    public var address: String?
    public var kind: String?
    public var rttMilliseconds: Double?
    public var probe: Int?
    public var fingerprint: FingerprintRecord?
    public var quoteDifferences: [QuoteDifferenceRecord]
    public var mplsLabels: [Int]
    public var annotation: HopAnnotationValues?
    public var withHostname = false

    public init(address: String?, kind: String?, rttMilliseconds: Double?, probe: Int?, fingerprint: FingerprintRecord?,
                quoteDifferences: [QuoteDifferenceRecord] = [], mplsLabels: [Int] = []) {
        self.address = address
        self.kind = kind
        self.rttMilliseconds = rttMilliseconds
        self.probe = probe
        self.fingerprint = fingerprint
        self.quoteDifferences = quoteDifferences
        self.mplsLabels = mplsLabels
    }

    func annotated(hostname: Bool, _ annotate: (String) -> HopAnnotationValues?) -> HopResponseRecord {
        var copy = self
        let values = address.flatMap(annotate)
        copy.annotation = HopAnnotationValues(asn: values?.asn, asName: values?.asName, hostname: hostname ? values?.hostname : nil)
        copy.withHostname = hostname
        return copy
    }

    public var json: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [("address", .optional(address))]
        if let annotation { fields += annotation.fields(hostname: withHostname) }
        fields += [
            ("kind", .optional(kind)), ("rtt_ms", .real(rttMilliseconds)), ("probe", .integer(probe)),
            ("fingerprint", fingerprint?.as(.probe).json ?? .null), ("quote_diff", .array(quoteDifferences.map(\.json))),
        ]
        if !mplsLabels.isEmpty { fields.append(("mpls", .ints(mplsLabels))) }
        return .object(fields)
    }

    public init(json: JSONValue) {
        self.init(address: json.string("address"), kind: json.string("kind"), rttMilliseconds: json.double("rtt_ms"),
                  probe: json.int("probe"), fingerprint: FingerprintRecord.optional(json["fingerprint"], form: .probe),
                  quoteDifferences: QuoteDifferenceRecord.list(json, "quote_diff"), mplsLabels: json.ints("mpls"))
        if json.key(after: "address") == "asn" {
            annotation = HopAnnotationValues(asn: HopAnnotationValues.asn(json["asn"]), asName: json.string("as_name"),
                                             hostname: json.string("hostname"))
            withHostname = json.has("hostname")
        }
    }
}
