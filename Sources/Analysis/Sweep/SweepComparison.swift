import JSONSupport
import Packets

/// What comparing a test sweep with a control sweep concludes (DESIGN.md's `analyze`).
public struct SweepComparison: Hashable, Sendable {
    public enum Outcome: String, Hashable, Sendable, CaseIterable {
        /// A device on the path answered (or silenced) the test payload where the control's
        /// went on: the test's answer differs from the control's.
        case censored
        /// Test and control end alike.
        case notCensored = "not-censored"
        /// Test and control reach the same hop, the endpoint, and are answered differently.
        case endpointBlocking = "endpoint-blocking"
        /// The captures do not allow a conclusion (a trace cut short, nothing answered).
        case inconclusive
    }

    /// The TTL at which each sweep stopped being answered by routers.
    public struct TerminatingTTL: Hashable, Sendable {
        public var test: Int?
        public var control: Int?

        public init(test: Int?, control: Int?) {
            self.test = test
            self.control = control
        }
    }

    /// Where the censoring device sits: the router the control shows at the test's
    /// terminating TTL, and its neighbours at one TTL less and one more.
    public struct Middlebox: Hashable, Sendable {
        public var address: IPAddress?
        public var before: IPAddress?
        public var after: IPAddress?

        public init(address: IPAddress?, before: IPAddress?, after: IPAddress?) {
            self.address = address
            self.before = before
            self.after = after
        }
    }

    public var outcome: Outcome
    /// How the test was stopped: "rst", "fin", "blockpage", "drop", "unreachable", "ack".
    public var mechanism: String?
    public var terminatingTTL: TerminatingTTL
    public var middlebox: Middlebox?
    /// Whether one TTL-limited test probe drew both a time exceeded and the injected packet
    /// (the device copies the payload on and answers; it does not sit in line). Nil when no
    /// injected packet came.
    public var onPath: Bool?
    /// Whether the injected packets' arrival TTL rises with the probe's TTL: the injector
    /// copies the probe's TTL into its packets.
    public var injectorCopiesTTL: Bool
    public var confidence: Confidence
    /// Sentences a person reads: why the outcome is what it is.
    public var reasons: [String]

    public init(outcome: Outcome, mechanism: String? = nil, terminatingTTL: TerminatingTTL, middlebox: Middlebox? = nil,
                onPath: Bool? = nil, injectorCopiesTTL: Bool = false, confidence: Confidence, reasons: [String]) {
        self.outcome = outcome
        self.mechanism = mechanism
        self.terminatingTTL = terminatingTTL
        self.middlebox = middlebox
        self.onPath = onPath
        self.injectorCopiesTTL = injectorCopiesTTL
        self.confidence = confidence
        self.reasons = reasons
    }

    /// outcome, mechanism, terminating_ttl {test, control}, middlebox {address, before,
    /// after} or null, on_path, injector_copies_ttl, confidence, reasons.
    public func json() -> JSONValue {
        .object([
            ("outcome", .string(outcome.rawValue)),
            ("mechanism", .optional(mechanism)),
            ("terminating_ttl", .object([
                ("test", .optional(terminatingTTL.test)),
                ("control", .optional(terminatingTTL.control)),
            ])),
            ("middlebox", middlebox.map { m in
                .object([
                    ("address", .optional(m.address?.description)),
                    ("before", .optional(m.before?.description)),
                    ("after", .optional(m.after?.description)),
                ])
            } ?? .null),
            ("on_path", .optional(onPath)),
            ("injector_copies_ttl", .bool(injectorCopiesTTL)),
            ("confidence", .string(confidence.rawValue)),
            ("reasons", .array(reasons.map { .string($0) })),
        ])
    }
}
