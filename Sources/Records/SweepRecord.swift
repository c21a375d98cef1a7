import JSONSupport

/// `analyze --json` (Docs/analyze.md): the comparison of a test sweep with its control read
/// from capture files, then both sweeps TTL by TTL and the reading notes.
public struct SweepRecord: JSONRecord, Equatable {
    public static let schema = "censorscope.sweep/1"

    /// The device between the last router that passed the test payload and the next.
    public struct Middlebox: Sendable, Equatable {
        public var address: String?, before: String?, after: String?

        public init(address: String?, before: String?, after: String?) {
            self.address = address
            self.before = before
            self.after = after
        }

        public var json: JSONValue { .object([("address", .optional(address)), ("before", .optional(before)), ("after", .optional(after))]) }
    }

    /// One probe of a sweep as the capture shows it.
    public struct Probe: Sendable, Equatable {
        public var outcome: String?
        public var from: String?
        public var arrivalTTL: Int?
        public var flags: String?
        public var firstLine: String?
        public var timeExceededFrom: String?
        public var frames: [Int]

        public init(outcome: String?, from: String?, arrivalTTL: Int?, flags: String?, firstLine: String?,
                    timeExceededFrom: String?, frames: [Int]) {
            self.outcome = outcome
            self.from = from
            self.arrivalTTL = arrivalTTL
            self.flags = flags
            self.firstLine = firstLine
            self.timeExceededFrom = timeExceededFrom
            self.frames = frames
        }

        public var json: JSONValue {
            .object([("outcome", .optional(outcome)), ("from", .optional(from)), ("arrival_ttl", .integer(arrivalTTL)),
                     ("flags", .optional(flags)), ("first_line", .optional(firstLine)),
                     ("time_exceeded_from", .optional(timeExceededFrom)), ("frames", .ints(frames))])
        }

        init(json: JSONValue) {
            self.init(outcome: json.string("outcome"), from: json.string("from"), arrivalTTL: json.int("arrival_ttl"),
                      flags: json.string("flags"), firstLine: json.string("first_line"),
                      timeExceededFrom: json.string("time_exceeded_from"), frames: json.ints("frames"))
        }
    }

    /// One sweep: target, port, domain, label, and the probes at each TTL.
    public struct Sweep: Sendable, Equatable {
        public var target: String?
        public var port: Int?
        public var domain: String?
        public var label: String?
        public var ttls: [(ttl: Int?, probes: [Probe])]

        public init(target: String?, port: Int?, domain: String?, label: String?, ttls: [(ttl: Int?, probes: [Probe])]) {
            self.target = target
            self.port = port
            self.domain = domain
            self.label = label
            self.ttls = ttls
        }

        public static func == (a: Sweep, b: Sweep) -> Bool { a.json == b.json }

        public var json: JSONValue {
            .object([
                ("target", .optional(target)), ("port", .integer(port)), ("domain", .optional(domain)), ("label", .optional(label)),
                ("ttls", .array(ttls.map { .object([("ttl", .integer($0.ttl)), ("probes", .array($0.probes.map(\.json)))]) })),
            ])
        }

        init(json: JSONValue) {
            self.init(target: json.string("target"), port: json.int("port"), domain: json.string("domain"), label: json.string("label"),
                      ttls: json.objects("ttls").map { (ttl: $0.int("ttl"), probes: $0.objects("probes").map(Probe.init)) })
        }
    }

    public var outcome: String?
    public var mechanism: String?
    public var terminatingTTLTest: Int?
    public var terminatingTTLControl: Int?
    public var middlebox: Middlebox?
    public var onPath: Bool?
    public var injectorCopiesTTL: Bool?
    public var confidence: String?
    public var reasons: [String]
    public var test: Sweep?
    public var control: Sweep?
    public var notes: [String]

    public init(outcome: String?, mechanism: String?, terminatingTTLTest: Int?, terminatingTTLControl: Int?, middlebox: Middlebox?,
                onPath: Bool?, injectorCopiesTTL: Bool?, confidence: String?, reasons: [String], test: Sweep?, control: Sweep?,
                notes: [String]) {
        self.outcome = outcome
        self.mechanism = mechanism
        self.terminatingTTLTest = terminatingTTLTest
        self.terminatingTTLControl = terminatingTTLControl
        self.middlebox = middlebox
        self.onPath = onPath
        self.injectorCopiesTTL = injectorCopiesTTL
        self.confidence = confidence
        self.reasons = reasons
        self.test = test
        self.control = control
        self.notes = notes
    }

    public var json: JSONValue {
        .object([
            ("outcome", .optional(outcome)),
            ("mechanism", .optional(mechanism)),
            ("terminating_ttl", .object([("test", .integer(terminatingTTLTest)), ("control", .integer(terminatingTTLControl))])),
            ("middlebox", middlebox?.json ?? .null),
            ("on_path", .optional(onPath)),
            ("injector_copies_ttl", .optional(injectorCopiesTTL)),
            ("confidence", .optional(confidence)),
            ("reasons", .strings(reasons)),
            ("test", test?.json ?? .null),
            ("control", control?.json ?? .null),
            ("notes", .strings(notes)),
        ])
    }

    public init(json: JSONValue) throws(RecordError) {
        guard json.isObject else { throw RecordError("a sweep analysis is a JSON object") }
        let terminating = json.object("terminating_ttl")
        self.init(outcome: json.string("outcome"), mechanism: json.string("mechanism"), terminatingTTLTest: terminating?.int("test"),
                  terminatingTTLControl: terminating?.int("control"),
                  middlebox: json.object("middlebox").map {
                      Middlebox(address: $0.string("address"), before: $0.string("before"), after: $0.string("after"))
                  },
                  onPath: json.bool("on_path"), injectorCopiesTTL: json.bool("injector_copies_ttl"),
                  confidence: json.string("confidence"), reasons: json.strings("reasons"),
                  test: json.object("test").map(Sweep.init), control: json.object("control").map(Sweep.init), notes: json.strings("notes"))
    }
}
