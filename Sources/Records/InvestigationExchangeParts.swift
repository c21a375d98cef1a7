import JSONSupport

// The parts of an investigation record written by the full-TTL connections of the engine
// (Docs/verdicts.md): `residual`, `page` and `transfer`, each present only when measured.
extension InvestigationRecord {
    /// Residual blocking: new connections to the target failed after the test set it off.
    public struct Residual: Sendable, Equatable {
        /// From the test that set it off to the last failed connection seen (a lower bound
        /// on how long the censor keeps blocking).
        public var secondsObserved: Double?
        /// "address-port" (new connections to this address and port), "address" (to every
        /// port tried), or "unknown".
        public var scope: String?
        /// How later connections fail: "reset", "silence" or "unreachable".
        public var how: String?
        /// The TTL of the test payload that set it off.
        public var triggerTTL: Int?

        public init(secondsObserved: Double?, scope: String?, how: String?, triggerTTL: Int?) {
            self.secondsObserved = secondsObserved
            self.scope = scope
            self.how = how
            self.triggerTTL = triggerTTL
        }

        public var json: JSONValue {
            .object([("seconds_observed", .real(secondsObserved)), ("scope", .optional(scope)), ("how", .optional(how)),
                     ("trigger_ttl", .integer(triggerTTL))])
        }

        init(json: JSONValue) {
            self.init(secondsObserved: json.double("seconds_observed"), scope: json.string("scope"), how: json.string("how"),
                      triggerTTL: json.int("trigger_ttl"))
        }
    }

    /// The page fetched at full TTL when the handshake is answered by a device that is not the host.
    public struct Page: Sendable, Equatable {
        /// The Host header sent.
        public var host: String?
        /// "HTTP/1.1 200 OK", or what the capture shows first; null when nothing came.
        public var firstLine: String?
        /// Bytes of the answer (at most the fetch's limit).
        public var bytes: Int?
        /// Arrival TTL of the page's first packet.
        public var ttl: Int?
        /// "data", "rst", "fin", "timeout" or "not-connected".
        public var outcome: String?

        public init(host: String?, firstLine: String?, bytes: Int?, ttl: Int?, outcome: String?) {
            self.host = host
            self.firstLine = firstLine
            self.bytes = bytes
            self.ttl = ttl
            self.outcome = outcome
        }

        public var json: JSONValue {
            .object([("host", .optional(host)), ("first_line", .optional(firstLine)), ("bytes", .integer(bytes)),
                     ("ttl", .integer(ttl)), ("outcome", .optional(outcome))])
        }

        init(json: JSONValue) {
            self.init(host: json.string("host"), firstLine: json.string("first_line"), bytes: json.int("bytes"), ttl: json.int("ttl"),
                      outcome: json.string("outcome"))
        }
    }

    /// The bulk transfers for the test and the control name, and their goodput.
    public struct Transfer: Sendable, Equatable {
        public struct Side: Sendable, Equatable {
            public var bytes: Int?
            public var seconds: Double?
            public var bytesPerSecond: Double?

            public init(bytes: Int?, seconds: Double?, bytesPerSecond: Double?) {
                self.bytes = bytes
                self.seconds = seconds
                self.bytesPerSecond = bytesPerSecond
            }

            public var json: JSONValue {
                .object([("bytes", .integer(bytes)), ("seconds", .real(seconds)), ("bytes_per_s", .real(bytesPerSecond))])
            }

            init(json: JSONValue) {
                self.init(bytes: json.int("bytes"), seconds: json.double("seconds"), bytesPerSecond: json.double("bytes_per_s"))
            }
        }

        /// The path downloaded.
        public var object: String?
        public var test: Side?
        /// The slower of the control transfers (before and after the test).
        public var control: Side?
        /// Control rate over test rate; null when not both measured.
        public var ratio: Double?
        /// The ratio from which the test counts as throttled, and the least transfer judged.
        public var threshold: Double?
        public var minBytes: Int?
        /// Whether the transfers allowed a judgement.
        public var judged: Bool?

        public init(object: String?, test: Side?, control: Side?, ratio: Double?, threshold: Double?, minBytes: Int?, judged: Bool?) {
            self.object = object
            self.test = test
            self.control = control
            self.ratio = ratio
            self.threshold = threshold
            self.minBytes = minBytes
            self.judged = judged
        }

        public var json: JSONValue {
            .object([("object", .optional(object)), ("test", test?.json ?? .null), ("control", control?.json ?? .null),
                     ("ratio", .real(ratio)), ("threshold", .real(threshold)), ("min_bytes", .integer(minBytes)),
                     ("judged", .optional(judged))])
        }

        init(json: JSONValue) {
            self.init(object: json.string("object"), test: json.object("test").map(Side.init), control: json.object("control").map(Side.init),
                      ratio: json.double("ratio"), threshold: json.double("threshold"), minBytes: json.int("min_bytes"),
                      judged: json.bool("judged"))
        }
    }
}
