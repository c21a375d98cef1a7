import JSONSupport

/// The `investigate --json` object (Docs/verdicts.md): the engine writes it for
/// `investigate` and every campaign item alike (with `transport`, `name`, `script`, `seed`),
/// for TCP and UDP ports, and `investigate --both` adds `reverse` and `direction`.
public struct InvestigationRecord: JSONRecord, Equatable {
    public static let schema = "censorscope.investigation/1"

    /// The `schema` key as written (this type's schema for records made here).
    public var schemaName: String?
    public var target: String
    public var port: Int?
    public var test: PayloadRequestRecord?
    public var control: PayloadRequestRecord?
    public var verdict: String
    public var blocked: Bool?
    public var summary: String?
    public var trigger: Trigger?
    public var synVariants: [SYNVariant]
    public var otherPort: [SYNVariant]
    public var location: Location?
    public var injector: Injector?
    public var genuine: Genuine?
    /// The control (passing) path, hop by hop.
    public var path: [HopRecord]?
    /// The path as the blocked probes see it.
    public var testPath: [HopRecord]?
    public var answers: [ObservedAnswer]
    public var evidence: [EvidenceClaim]
    public var evidenceFile: String?
    public var measurementStartTime: String?
    public var runtimeSeconds: Double?
    public var vantage: Vantage?
    public var softwareName: String?
    public var softwareVersion: String?
    /// The item and the run: transport, name, script, seed.
    public var run: RunKeys?
    public var payloadSweep: PayloadSweep
    /// `investigate --both` only.
    public var reverse: ReverseRecord?
    public var direction: DirectionRecord?
    /// The layers the measurement tested ("icmp", "tcp", "udp", "http", "tls"): a reachable
    /// target without a payload was reached at the transport, not shown unblocked above it.
    public var layersTested: [String]?
    /// Written when measured: residual blocking seen after the test, the page fetched at
    /// full TTL (interception), the bulk transfers (throttling).
    public var residual: Residual?
    public var page: Page?
    public var transfer: Transfer?
    /// Keys this version does not know, kept in their order after the known ones (a newer
    /// writer's result passes through a report unchanged).
    public var additionalFields: [(key: String, value: JSONValue)]
    /// The object exactly as a file held it, when the record was read from one: `report
    /// --format json|ooni` pass it through unchanged (Docs/reports.md), so a hand-written or
    /// older result keeps its keys. Nil for records made here. For every output of this
    /// version it equals `json` (the golden round-trip tests show it).
    public private(set) var asRead: JSONValue?

    public init(target: String, port: Int?, test: PayloadRequestRecord? = nil, control: PayloadRequestRecord? = nil,
                verdict: String, blocked: Bool?, summary: String?, trigger: Trigger?, synVariants: [SYNVariant] = [],
                otherPort: [SYNVariant] = [], location: Location? = nil, injector: Injector? = nil, genuine: Genuine? = nil,
                path: [HopRecord]? = nil, testPath: [HopRecord]? = nil, answers: [ObservedAnswer] = [],
                evidence: [EvidenceClaim] = [], evidenceFile: String? = nil, measurementStartTime: String? = nil,
                runtimeSeconds: Double? = nil, vantage: Vantage? = nil, softwareName: String? = "censorscope",
                softwareVersion: String? = nil, run: RunKeys? = nil, payloadSweep: PayloadSweep = .absent,
                reverse: ReverseRecord? = nil, direction: DirectionRecord? = nil, layersTested: [String]? = nil,
                residual: Residual? = nil, page: Page? = nil, transfer: Transfer? = nil,
                additionalFields: [(key: String, value: JSONValue)] = []) {
        schemaName = Self.schema
        self.target = target
        self.port = port
        self.test = test
        self.control = control
        self.verdict = verdict
        self.blocked = blocked
        self.summary = summary
        self.trigger = trigger
        self.synVariants = synVariants
        self.otherPort = otherPort
        self.location = location
        self.injector = injector
        self.genuine = genuine
        self.path = path
        self.testPath = testPath
        self.answers = answers
        self.evidence = evidence
        self.evidenceFile = evidenceFile
        self.measurementStartTime = measurementStartTime
        self.runtimeSeconds = runtimeSeconds
        self.vantage = vantage
        self.softwareName = softwareName
        self.softwareVersion = softwareVersion
        self.run = run
        self.payloadSweep = payloadSweep
        self.reverse = reverse
        self.direction = direction
        self.layersTested = layersTested
        self.residual = residual
        self.page = page
        self.transfer = transfer
        self.additionalFields = additionalFields
    }

    public static func == (a: InvestigationRecord, b: InvestigationRecord) -> Bool { a.json == b.json }

    public var json: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("schema", .optional(schemaName)),
            ("target", .string(target)),
            ("port", .integer(port)),
            ("test", test?.json ?? .null),
            ("control", control?.json ?? .null),
            ("verdict", .string(verdict)),
            ("blocked", .optional(blocked)),
            ("summary", .optional(summary)),
            ("trigger", trigger?.json ?? .null),
            ("syn_variants", .array(synVariants.map(\.json))),
            ("other_port", .array(otherPort.map(\.json))),
            ("location", location?.json ?? .null),
            ("injector", injector?.json ?? .null),
            ("genuine", genuine?.json ?? .null),
            ("path", path.map { .array($0.map(\.json)) } ?? .null),
            ("test_path", testPath.map { .array($0.map(\.json)) } ?? .null),
            ("answers", .array(answers.map(\.json))),
            ("evidence", .array(evidence.map(\.json))),
            ("evidence_file", .optional(evidenceFile)),
            ("measurement_start_time", .optional(measurementStartTime)),
            ("runtime_s", .real(runtimeSeconds)),
            ("vantage", vantage?.json ?? .null),
            ("software", .object([("name", .optional(softwareName)), ("version", .optional(softwareVersion))])),
        ]
        if let run { fields += run.fields }
        switch payloadSweep {
        case .absent: break
        case .notRun: fields.append(("payload_sweep", .null))
        case .steps(let steps): fields.append(("payload_sweep", .array(steps.map(\.json))))
        }
        if let reverse { fields.append(("reverse", reverse.json)) }
        if let direction { fields.append(("direction", direction.json)) }
        if let layersTested { fields.append(("layers_tested", .array(layersTested.map { .string($0) }))) }
        if let residual { fields.append(("residual", residual.json)) }
        if let page { fields.append(("page", page.json)) }
        if let transfer { fields.append(("transfer", transfer.json)) }
        return .object(fields + additionalFields)
    }

    static let knownKeys: Set<String> = [
        "schema", "target", "port", "test", "control", "verdict", "blocked", "summary", "trigger", "syn_variants",
        "other_port", "location", "injector", "genuine", "path", "test_path", "answers", "evidence", "evidence_file",
        "measurement_start_time", "runtime_s", "vantage", "software", "transport", "name", "script", "seed", "capture_dropped", "remeasured", "payload_sweep",
        "reverse", "direction", "layers_tested", "residual", "page", "transfer",
    ]

    public init(json: JSONValue) throws(RecordError) { try self.init(json: json, position: 1) }

    /// Reads one object leniently: every field but `target` and `verdict` may be missing or of
    /// the wrong type, and then reads as absent. `position` names it in errors ("result 3").
    public init(json: JSONValue, position: Int) throws(RecordError) {
        guard let fields = json.objectFields else { throw RecordError("result \(position) is not a JSON object") }
        guard let target = json.string("target"), !target.isEmpty else {
            throw RecordError("result \(position) has no \"target\" string, so it is not an investigation")
        }
        guard let verdict = json.string("verdict"), !verdict.isEmpty else {
            throw RecordError("result \(position) has no \"verdict\" string, so it is not an investigation")
        }
        let genuine = json.object("genuine")
        let vantage = json.object("vantage")
        let software = json.object("software")
        var sweep = PayloadSweep.absent
        if let value = json["payload_sweep"] {
            sweep = value.arrayValue.map { .steps($0.filter(\.isObject).map(PayloadStepRecord.init)) } ?? .notRun
        }
        self.init(
            target: target,
            port: json.int("port").flatMap { (0...65535).contains($0) ? $0 : nil },
            test: PayloadRequestRecord.optional(json["test"]),
            control: PayloadRequestRecord.optional(json["control"]),
            verdict: verdict,
            blocked: json.bool("blocked"),
            summary: json.string("summary"),
            trigger: json.object("trigger").map(Trigger.init),
            synVariants: json.objects("syn_variants").map(SYNVariant.init),
            otherPort: json.objects("other_port").map(SYNVariant.init),
            location: json.object("location").map(Location.init),
            injector: json.object("injector").map(Injector.init),
            genuine: genuine.map { Genuine(ttl: $0.int("ttl"), source: $0.string("source")) },
            path: json.list("path", HopRecord.init),
            testPath: json.list("test_path", HopRecord.init),
            answers: json.objects("answers").map(ObservedAnswer.init),
            evidence: json.objects("evidence").compactMap { e in
                e.string("claim").map { EvidenceClaim(claim: $0, packets: e.ints("packets").filter { $0 >= 1 }) }
            },
            evidenceFile: json.string("evidence_file").flatMap { $0.isEmpty ? nil : $0 },
            measurementStartTime: json.string("measurement_start_time"),
            runtimeSeconds: json.double("runtime_s"),
            vantage: vantage.map { Vantage(address: $0.string("address"), asn: HopAnnotationValues.asn($0["asn"]), cc: $0.string("cc"), name: $0.string("name")) },
            softwareName: software?.string("name"),
            softwareVersion: software?.string("version"),
            run: RunKeys.optional(json),
            payloadSweep: sweep,
            reverse: json.object("reverse").flatMap { try? ReverseRecord(json: $0) },
            direction: json.object("direction").map(DirectionRecord.init),
            layersTested: json["layers_tested"]?.arrayValue.map { $0.compactMap(\.stringValue) },
            residual: json.object("residual").map(Residual.init),
            page: json.object("page").map(Page.init),
            transfer: json.object("transfer").map(Transfer.init),
            additionalFields: fields.filter { !Self.knownKeys.contains($0.key) })
        schemaName = json.string("schema")
        asRead = json
    }

    /// "host:port" (IPv6 in brackets), or the bare target when the port is unknown.
    public var endpoint: String {
        guard let port else { return target }
        return target.contains(":") ? "[\(target)]:\(port)" : "\(target):\(port)"
    }

    /// The path to draw and tabulate: the control path, else the test path.
    public var displayPath: [HopRecord] {
        let control = path ?? []
        return control.isEmpty ? (testPath ?? []) : control
    }

    /// Every hop of both paths annotated (see `HopRecord.annotated`).
    public func annotated(hostname: Bool, _ annotate: (String) -> HopAnnotationValues?) -> InvestigationRecord {
        var copy = self
        copy.path = path?.map { $0.annotated(hostname: hostname, annotate) }
        copy.testPath = testPath?.map { $0.annotated(hostname: hostname, annotate) }
        return copy
    }
}

/// Every investigation in a text holding one object, a JSON array of objects, or JSON
/// Lines: the boundary where a results file a user hands in is read.
public enum InvestigationFile {
    /// `name` is used in errors.
    public static func read(bytes: [UInt8], name: String) throws(RecordError) -> [InvestigationRecord] {
        if bytes.starts(with: Array("SQLite format 3".utf8)) {
            throw RecordError("\(name) is a SQLite database, not investigation results: report a campaign with "
                + "'censorscope campaign report --db \(name) --format FORMAT'")
        }
        let documents: [JSONValue]
        do {
            documents = try JSONParser.parseDocuments(bytes: bytes)
        } catch {
            throw RecordError("\(name) is not JSON (\(error.description)); give what 'censorscope investigate --json' printed")
        }
        guard !documents.isEmpty else { throw RecordError("\(name) holds no investigation result") }
        var out: [InvestigationRecord] = []
        for (i, document) in documents.enumerated() {
            out.append(try InvestigationRecord(json: document, position: i + 1))
        }
        return out
    }
}
