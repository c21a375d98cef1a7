import JSONSupport

/// `censorscope sweep --json`: one line per target, its answer and fingerprint per probe
/// (Docs/sweep.md). `answer` is the most telling answer any probe got, in the order
/// synack / echo-reply / udp-reply, rst, tcp-other, unreachable, time-exceeded, icmp-other, none.
public struct SweepTargetRecord: JSONRecord, Equatable {
    public static let schema = "censorscope.sweep-target/1"

    /// One probe to the target (a variant, maybe repeated).
    public struct Probe: Sendable, Equatable {
        public var variant: String?
        /// `none`, `not-sent` (the kernel refused it), or an answer kind.
        public var answer: String?
        public var rttMilliseconds: Double?
        /// Answers that matched this probe (more than one: duplicates, or a forged answer and a real one).
        public var answers: Int?
        /// Every kind of answer seen, when more than one.
        public var kindsSeen: [String]
        /// `hash` (sequence number and source port, or the echo's identifier and sequence), or
        /// `port` (a UDP answer, or an RST without ACK: the source port alone).
        public var match: String?
        public var fingerprint: FingerprintRecord?

        public init(variant: String?, answer: String?, rttMilliseconds: Double?, answers: Int?, kindsSeen: [String],
                    match: String?, fingerprint: FingerprintRecord?) {
            self.variant = variant
            self.answer = answer
            self.rttMilliseconds = rttMilliseconds
            self.answers = answers
            self.kindsSeen = kindsSeen
            self.match = match
            self.fingerprint = fingerprint
        }

        public var json: JSONValue {
            .object([("variant", .optional(variant)), ("answer", .optional(answer)), ("rtt_ms", .real(rttMilliseconds)),
                     ("answers", .integer(answers)), ("kinds_seen", .strings(kindsSeen)), ("match", .optional(match)),
                     ("fingerprint", fingerprint?.json ?? .null)])
        }

        public init(json: JSONValue) {
            self.init(variant: json.string("variant"), answer: json.string("answer"), rttMilliseconds: json.double("rtt_ms"),
                      answers: json.int("answers"), kindsSeen: json.strings("kinds_seen"), match: json.string("match"),
                      fingerprint: FingerprintRecord.optional(json["fingerprint"], form: .probe))
        }
    }

    public var target: String?
    /// `tcp`, `icmp` or `udp`; absent in records written before ICMP and UDP sweeps (TCP).
    public var `protocol`: String?
    /// Nil for ICMP.
    public var port: Int?
    public var answer: String?
    /// Who sent that answer: the target, or a router (ICMP).
    public var from: String?
    public var rttMilliseconds: Double?
    public var probes: [Probe]

    public init(target: String?, protocol: String? = "tcp", port: Int?, answer: String?, from: String?, rttMilliseconds: Double?,
                probes: [Probe]) {
        self.target = target
        self.protocol = `protocol`
        self.port = port
        self.answer = answer
        self.from = from
        self.rttMilliseconds = rttMilliseconds
        self.probes = probes
    }

    public var json: JSONValue {
        // A record read without a protocol (written before ICMP and UDP sweeps) is written back without one.
        .object([("target", .optional(target))] + (`protocol`.map { [("protocol", JSONValue.string($0))] } ?? [])
                + [("port", .integer(port)), ("answer", .optional(answer)), ("from", .optional(from)), ("rtt_ms", .real(rttMilliseconds)),
                   ("probes", .array(probes.map(\.json)))])
    }

    public init(json: JSONValue) throws(RecordError) {
        guard json.isObject else { throw RecordError("a sweep target is a JSON object") }
        self.init(target: json.string("target"), protocol: json.string("protocol"), port: json.int("port"), answer: json.string("answer"), from: json.string("from"),
                  rttMilliseconds: json.double("rtt_ms"), probes: json.list("probes", Probe.init) ?? [])
    }
}
