import JSONSupport
import Packets
import Probing

/// The `investigate --json` object, schema "censorscope.investigation/1" (Docs/verdicts.md).
extension Investigation {
    /// Context the analysis does not know: the payloads tried, the run's metadata, and how
    /// to name an evidence item's packets (1-based frames of the evidence file).
    public struct ReportContext {
        public var test: JSONValue = .null
        public var control: JSONValue = .null
        public var evidenceFile: String?
        public var frames: (EvidenceItem) -> [Int] = { _ in [] }
        public var measurementStartTime: String = ""
        public var runtimeSeconds: Double = 0
        public var vantage: IPAddress?
        public var softwareVersion: String = ""
        /// Extra keys (e.g. the payload sweep) appended at the end.
        public var extra: [(key: String, value: JSONValue)] = []

        public init() {}
    }

    public func json(_ context: ReportContext) -> JSONValue {
        let mainResults = results.filter { $0.trial.port == port }
        var fields: [(key: String, value: JSONValue)] = [
            ("schema", "censorscope.investigation/1"),
            ("target", .string(target.description)),
            ("port", .number(port)),
            ("test", context.test),
            ("control", context.control),
            ("verdict", .string(verdict.rawValue)),
            ("blocked", .bool(verdict.isBlocking)),
            ("summary", .string(summary)),
            ("trigger", .object([
                ("kind", .string(trigger.kind)),
                ("detail", .string(trigger.detail)),
                ("blocked", .array(trigger.blocked.map { .string($0) })),
                ("passed", .array(trigger.passed.map { .string($0) })),
                ("dimensions", .array(trigger.dimensions.map { .string($0) })),
            ])),
            ("syn_variants", .array(mainResults.map(Self.variantJSON))),
            ("other_port", .array(results.filter { $0.trial.port != port }.map(Self.variantJSON))),
            ("location", location.map(Self.locationJSON) ?? .null),
            ("injector", injector.map(Self.injectorJSON) ?? .null),
            ("genuine", genuine.ttl.map { .object([("ttl", .number($0)), ("source", .string(genuine.source))]) } ?? .null),
            ("path", path.map(Self.pathJSON) ?? .null),
            ("test_path", testPath.map(Self.pathJSON) ?? .null),
            ("answers", .array(answers.map { a in
                .object([("probe", .string(a.probe)), ("from", .string(a.from.description)), ("ttl", .number(a.ttl)),
                         ("kind", .string(a.kind)), ("forged", .bool(a.forged))])
            })),
            ("evidence", .array(evidence.map { e in
                .object([("claim", .string(e.claim)), ("packets", .array(context.frames(e).map { .number($0) }))])
            })),
            ("evidence_file", .optional(context.evidenceFile)),
            ("measurement_start_time", .string(context.measurementStartTime)),
            ("runtime_s", .double((context.runtimeSeconds * 1000).rounded() / 1000)),
            ("vantage", .object([("address", .optional(context.vantage?.description)), ("asn", .null), ("cc", .null)])),
            ("software", .object([("name", "censorscope"), ("version", .string(context.softwareVersion))])),
        ]
        fields += context.extra
        return .object(fields)
    }

    static func variantJSON(_ r: SYNTrialResult) -> JSONValue {
        let f = r.response?.fingerprint
        return .object([
            ("variant", .string(r.trial.shape.name)),
            ("size", .number(r.trial.size)),
            ("port", .number(r.trial.port)),
            ("padded", .bool(r.trial.shape.padded)),
            ("options", .array(r.trial.optionNames.map { .string($0) })),
            ("result", .string(r.outcome.resultWord)),
            ("injected", .bool(!r.forged.isEmpty)),
            ("blocked", .bool(r.blocked)),
            ("response", f.map { f in
                .object([("ttl", .number(f.ttl)), ("ip_id", .optional(f.ipID)), ("df", .bool(f.dontFragment)),
                         ("window", .optional(f.window)), ("flags", .optional(f.flags?.letters)), ("source", .string(f.source.description))])
            } ?? .null),
            ("rtt_ms", r.response?.rttMilliseconds.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
        ])
    }

    static func locationJSON(_ l: Location) -> JSONValue {
        .object([
            ("ttl", .number(l.ttl)),
            ("address", .optional(l.address?.description)),
            ("before", .optional(l.before?.description)),
            ("on_path", .bool(l.onPath)),
            ("confidence", .string(l.confidence.rawValue)),
            ("reason", .string(l.reason)),
        ])
    }

    static func injectorJSON(_ i: InjectorProfile) -> JSONValue {
        .object([
            ("ttl", .number(i.ttl)),
            ("ip_id", .optional(i.ipID)),
            ("df", .bool(i.dontFragment)),
            ("window", .optional(i.window)),
            ("flags", .optional(i.flags)),
            ("copies", .number(i.copies)),
            ("ttl_copies_probe", .bool(i.ttlCopiesProbe)),
            ("reasons", .array(i.reasons.map { .string($0) })),
        ])
    }

    /// Hop by hop: ttl, address (null if silent), rtt_ms, kind; asn and as_name for enrichment.
    public static func pathJSON(_ t: TraceRun) -> JSONValue {
        .array(t.trace.hops.map { hop in
            let first = hop.responses.first
            return .object([
                ("ttl", .number(hop.ttl)),
                ("address", .optional(hop.address?.description ?? first?.address.description)),
                ("rtt_ms", first?.rttMilliseconds.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
                ("kind", .optional(first?.kind.rawValue)),
                ("asn", .null),
                ("as_name", .null),
            ])
        })
    }
}
