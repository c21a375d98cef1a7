import Packets
import Probing

/// Which dimension of the traffic changes the outcome.
public struct Trigger: Hashable, Sendable {
    /// "syn-size", "syn-options", "syn-shape", "port", "address", "payload", "none", "unknown".
    public var kind: String
    /// One sentence: what is blocked and what passes.
    public var detail: String
    /// Trials (or payloads) that were blocked and that passed, as "linux (60 bytes)".
    public var blocked: [String]
    public var passed: [String]
    /// Further findings on other dimensions, e.g. "port: the same SYNs to port 443 pass".
    public var dimensions: [String]

    public init(kind: String, detail: String, blocked: [String] = [], passed: [String] = [], dimensions: [String] = []) {
        self.kind = kind
        self.detail = detail
        self.blocked = blocked
        self.passed = passed
        self.dimensions = dimensions
    }

    public static let none = Trigger(kind: "none", detail: "Nothing tried was blocked.")
}

/// Where the interference starts on the path.
public struct Location: Hashable, Sendable {
    /// The first TTL at which trigger probes are interfered with.
    public var ttl: Int
    /// The router answering a control probe at that TTL.
    public var address: IPAddress?
    /// The router at the TTL before.
    public var before: IPAddress?
    /// On-path (a tap that lets the packet go on and races it) rather than in-path (drops it).
    public var onPath: Bool
    public var confidence: Confidence
    public var reason: String
}

/// The fingerprint of forged packets.
public struct InjectorProfile: Hashable, Sendable {
    /// Arrival TTL (the most common).
    public var ttl: UInt8
    /// The IP ID when every forged packet carries the same one; nil when it varies.
    public var ipID: UInt32?
    public var dontFragment: Bool
    public var window: UInt16?
    public var flags: String?
    /// Copies of each forged answer.
    public var copies: Int
    /// The arrival TTL follows the probe's TTL: the injector copies it.
    public var ttlCopiesProbe: Bool
    public var reasons: [String]
}

/// A claim and the packets that prove it.
public struct EvidenceItem: Hashable, Sendable {
    public var claim: String
    /// The packets: answers (with capture timestamps), and probes by bytes.
    public var answers: [Answer]
    public var probes: [Probe]
    /// Packets named by their evidence-file comment (e.g. "test ttl 5"), source and TTL.
    public var labelled: [Labelled]

    public struct Labelled: Hashable, Sendable {
        public var label: String
        public var source: IPAddress
        public var ttl: UInt8
    }

    public init(claim: String, answers: [Answer] = [], probes: [Probe] = [], labelled: [Labelled] = []) {
        self.claim = claim
        self.answers = answers
        self.probes = probes
        self.labelled = labelled
    }
}

/// One answer as the path diagram shows it.
public struct AnswerSummary: Hashable, Sendable {
    public var probe: String
    public var from: IPAddress
    public var ttl: UInt8
    public var kind: String
    public var forged: Bool
}
