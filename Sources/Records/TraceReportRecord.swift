import JSONSupport

/// `trace --report --json`: per hop, how many queries were sent and answered over the
/// rounds, and the round-trip statistics, as `mtr --report` gives them (Docs/probing.md).
public struct TraceReportRecord: JSONRecord {
    public static let schema = "censorscope.trace-report/1"

    /// One TTL over every round.
    public struct Hop: Sendable, Equatable {
        public var ttl: Int?
        /// The first responder; nil when every query was lost.
        public var address: String?
        /// Every responder, in the order first seen (load balancing shows here).
        public var addresses: [String]
        public var sent: Int?
        public var received: Int?
        public var lossPercent: Double?
        public var lastMilliseconds: Double?
        public var bestMilliseconds: Double?
        public var averageMilliseconds: Double?
        public var worstMilliseconds: Double?
        /// The sample standard deviation (0 with fewer than two answers).
        public var stdevMilliseconds: Double?

        public init(ttl: Int?, address: String?, addresses: [String], sent: Int?, received: Int?, lossPercent: Double?,
                    lastMilliseconds: Double?, bestMilliseconds: Double?, averageMilliseconds: Double?,
                    worstMilliseconds: Double?, stdevMilliseconds: Double?) {
            self.ttl = ttl
            self.address = address
            self.addresses = addresses
            self.sent = sent
            self.received = received
            self.lossPercent = lossPercent
            self.lastMilliseconds = lastMilliseconds
            self.bestMilliseconds = bestMilliseconds
            self.averageMilliseconds = averageMilliseconds
            self.worstMilliseconds = worstMilliseconds
            self.stdevMilliseconds = stdevMilliseconds
        }

        public var json: JSONValue {
            .object([("ttl", .integer(ttl)), ("address", .optional(address)), ("addresses", .strings(addresses)),
                     ("sent", .integer(sent)), ("received", .integer(received)), ("loss_pct", .real(lossPercent)),
                     ("last_ms", .real(lastMilliseconds)), ("best_ms", .real(bestMilliseconds)),
                     ("avg_ms", .real(averageMilliseconds)), ("worst_ms", .real(worstMilliseconds)),
                     ("stdev_ms", .real(stdevMilliseconds))])
        }

        public init(json: JSONValue) {
            self.init(ttl: json.int("ttl"), address: json.string("address"), addresses: json.strings("addresses"),
                      sent: json.int("sent"), received: json.int("received"), lossPercent: json.double("loss_pct"),
                      lastMilliseconds: json.double("last_ms"), bestMilliseconds: json.double("best_ms"),
                      averageMilliseconds: json.double("avg_ms"), worstMilliseconds: json.double("worst_ms"),
                      stdevMilliseconds: json.double("stdev_ms"))
        }
    }

    public var target: String?
    public var source: String?
    public var method: String?
    public var port: Int?
    public var rounds: Int?
    public var intervalMilliseconds: Double?
    /// Whether some round reached the target.
    public var reached: Bool?
    public var hops: [Hop]

    public init(target: String?, source: String?, method: String?, port: Int?, rounds: Int?, intervalMilliseconds: Double?,
                reached: Bool?, hops: [Hop]) {
        self.target = target
        self.source = source
        self.method = method
        self.port = port
        self.rounds = rounds
        self.intervalMilliseconds = intervalMilliseconds
        self.reached = reached
        self.hops = hops
    }

    public var json: JSONValue {
        .object([("target", .optional(target)), ("source", .optional(source)),
                 ("method", .optional(method)), ("port", .integer(port)), ("rounds", .integer(rounds)),
                 ("interval_ms", .real(intervalMilliseconds)), ("reached", .optional(reached)),
                 ("hops", .array(hops.map(\.json)))])
    }

    public init(json: JSONValue) throws(RecordError) {
        guard json.isObject else { throw RecordError("a trace report is a JSON object") }
        self.init(target: json.string("target"), source: json.string("source"), method: json.string("method"),
                  port: json.int("port"), rounds: json.int("rounds"), intervalMilliseconds: json.double("interval_ms"),
                  reached: json.bool("reached"), hops: json.list("hops", Hop.init) ?? [])
    }
}
