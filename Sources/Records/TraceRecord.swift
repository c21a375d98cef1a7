import JSONSupport

/// `trace --json` (Docs/probing.md, "trace"): the run, its hops, and how it ended. The
/// agent's `POST /v1/trace` answers with the same object plus `evidence_pcapng`.
public struct TraceRecord: JSONRecord, Equatable {
    public static let schema = "censorscope.trace/1"

    public var target: String?
    public var source: String?
    /// `tcp`, `icmp` or `udp`.
    public var method: String?
    public var port: Int?
    public var sourcePort: Int?
    /// The SYN variant (tcp); nil otherwise.
    public var variant: String?
    public var probeSize: Int?
    public var hops: [HopRecord]
    public var reached: Bool?
    public var destinationTTL: Int?
    public var stopReason: String?
    public var probesSent: Int?
    public var answers: Int?
    public var durationMilliseconds: Double?
    /// The agent's capture of the run, pcapng in base64; the client takes it out before printing.
    public var evidencePCAPNG: String?

    public init(target: String?, source: String?, method: String?, port: Int?, sourcePort: Int?, variant: String?,
                probeSize: Int?, hops: [HopRecord], reached: Bool?, destinationTTL: Int?, stopReason: String?,
                probesSent: Int?, answers: Int?, durationMilliseconds: Double?, evidencePCAPNG: String? = nil) {
        self.target = target
        self.source = source
        self.method = method
        self.port = port
        self.sourcePort = sourcePort
        self.variant = variant
        self.probeSize = probeSize
        self.hops = hops
        self.reached = reached
        self.destinationTTL = destinationTTL
        self.stopReason = stopReason
        self.probesSent = probesSent
        self.answers = answers
        self.durationMilliseconds = durationMilliseconds
        self.evidencePCAPNG = evidencePCAPNG
    }

    /// A trace with nothing known (what an agent's answer without a readable trace reads as).
    public init() {
        self.init(target: nil, source: nil, method: nil, port: nil, sourcePort: nil, variant: nil, probeSize: nil, hops: [],
                  reached: nil, destinationTTL: nil, stopReason: nil, probesSent: nil, answers: nil, durationMilliseconds: nil)
    }

    public var json: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("target", .optional(target)),
            ("source", .optional(source)),
            ("method", .optional(method)),
            ("port", .integer(port)),
            ("sport", .integer(sourcePort)),
            ("variant", .optional(variant)),
            ("probe_size", .integer(probeSize)),
            ("hops", .array(hops.map(\.json))),
            ("reached", .optional(reached)),
            ("destination_ttl", .integer(destinationTTL)),
            ("stop_reason", .optional(stopReason)),
            ("probes_sent", .integer(probesSent)),
            ("answers", .integer(answers)),
            ("duration_ms", .real(durationMilliseconds)),
        ]
        if let evidencePCAPNG { fields.append(("evidence_pcapng", .string(evidencePCAPNG))) }
        return .object(fields)
    }

    /// A trace is an object with a `hops` array; everything else is read leniently.
    public init(json: JSONValue) throws(RecordError) {
        guard json.isObject else { throw RecordError("a trace is a JSON object") }
        guard let hops = json.list("hops", HopRecord.init) else { throw RecordError("a trace has a \"hops\" array") }
        self.init(target: json.string("target"), source: json.string("source"), method: json.string("method"),
                  port: json.int("port"), sourcePort: json.int("sport"), variant: json.string("variant"),
                  probeSize: json.int("probe_size"), hops: hops, reached: json.bool("reached"),
                  destinationTTL: json.int("destination_ttl"), stopReason: json.string("stop_reason"),
                  probesSent: json.int("probes_sent"), answers: json.int("answers"), durationMilliseconds: json.double("duration_ms"),
                  evidencePCAPNG: json.string("evidence_pcapng"))
    }

    /// Every hop and hop response annotated (see `HopRecord.annotated`).
    public func annotated(hostname: Bool, _ annotate: (String) -> HopAnnotationValues?) -> TraceRecord {
        var copy = self
        copy.hops = hops.map { $0.annotated(hostname: hostname, annotate) }
        return copy
    }

    /// Every address that answered, hop by hop (responses first, then the hop's own).
    public var addresses: [String] {
        hops.flatMap { hop in (hop.responses ?? []).compactMap(\.address) + (hop.address.map { [$0] } ?? []) }
    }
}

/// `trace --both --json`: `{"forward": TRACE, "reverse": TRACE}`, the reverse one as the
/// agent measured it (Docs/agent.md).
public struct TracePairRecord: JSONRecord, Equatable {
    public static let schema = "censorscope.trace-pair/1"

    public var forward: TraceRecord
    public var reverse: TraceRecord

    public init(forward: TraceRecord, reverse: TraceRecord) {
        self.forward = forward
        self.reverse = reverse
    }

    public var json: JSONValue { .object([("forward", forward.json), ("reverse", reverse.json)]) }

    public init(json: JSONValue) throws(RecordError) {
        guard let forward = json.object("forward"), let reverse = json.object("reverse") else {
            throw RecordError("a pair of traces has \"forward\" and \"reverse\" objects")
        }
        self.init(forward: try TraceRecord(json: forward), reverse: try TraceRecord(json: reverse))
    }
}
