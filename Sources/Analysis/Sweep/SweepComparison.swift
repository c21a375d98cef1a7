import Packets
import Records

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

    /// The `analyze --json` record: the conclusion, then both sweeps and the reading notes.
    public func record(test: PayloadSweep?, control: PayloadSweep?, notes: [String]) -> SweepRecord {
        SweepRecord(outcome: outcome.rawValue, mechanism: mechanism, terminatingTTLTest: terminatingTTL.test,
                    terminatingTTLControl: terminatingTTL.control,
                    middlebox: middlebox.map { .init(address: $0.address?.description, before: $0.before?.description,
                                                     after: $0.after?.description) },
                    onPath: onPath, injectorCopiesTTL: injectorCopiesTTL, confidence: confidence.rawValue, reasons: reasons,
                    test: test?.record, control: control?.record, notes: notes)
    }
}
