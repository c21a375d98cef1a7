import Packets
import Probing

/// A campaign's experiment script (`Probes/campaigns/*.yaml`), validated: which probes,
/// in what order, how often, how fast, and which analyses judge the answers.
/// The language is documented in Docs/campaigns.md.
public struct ExperimentScript: Sendable, Hashable {
    public var name: String
    public var description: String
    /// Ports probed on targets whose line names none.
    public var ports: [ServicePort]
    /// How many times each probe of a step is sent (different source ports / ids); answers are pooled.
    public var repetitions: Int
    public var pacing: Pacing
    /// In order. Consecutive unconditional probe steps share one paced run; a conditional
    /// step waits for the analysis of what came before.
    public var steps: [ScriptStep]
    public var analyses: [ScriptAnalysis]

    public init(name: String, description: String = "", ports: [ServicePort], repetitions: Int = 1,
                pacing: Pacing = Pacing(), steps: [ScriptStep], analyses: [ScriptAnalysis]) {
        self.name = name
        self.description = description
        self.ports = ports
        self.repetitions = repetitions
        self.pacing = pacing
        self.steps = steps
        self.analyses = analyses
    }
}

/// A transport port: `443` (TCP) or `3478/udp` in scripts and target lists.
public struct ServicePort: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Transport: String, Sendable, Hashable, Comparable {
        case tcp, udp
        public static func < (a: Transport, b: Transport) -> Bool { a.rawValue < b.rawValue }
    }
    public var transport: Transport
    public var number: UInt16

    public init(_ number: UInt16, _ transport: Transport = .tcp) {
        self.number = number
        self.transport = transport
    }

    /// `443`, `443/tcp` or `3478/udp`; nil for anything else (port 0 included).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let n = UInt16(parts[0]), n > 0 else { return nil }
        let transport: Transport
        if parts.count == 2 {
            guard let t = Transport(rawValue: parts[1].lowercased()) else { return nil }
            transport = t
        } else {
            transport = .tcp
        }
        self.init(n, transport)
    }

    /// `443` for TCP, `3478/udp` for UDP.
    public var description: String { transport == .tcp ? "\(number)" : "\(number)/udp" }

    public static func < (a: ServicePort, b: ServicePort) -> Bool { (a.transport, a.number) < (b.transport, b.number) }
}

/// How fast a campaign goes.
public struct Pacing: Sendable, Hashable {
    /// Probes per second over all targets together; nil: as fast as the sockets go. Default 100.
    public var rate: Double?
    /// Targets measured at once. Default 8.
    public var parallel: Int
    /// Pause between two runs of the same target, in milliseconds. Default 0.
    public var targetGapMilliseconds: Int
    /// How long a run waits for answers after its last probe, in milliseconds. Default 2000.
    public var timeoutMilliseconds: Int
    /// After an item to an address and port ends blocked (or with residual blocking), the
    /// next item to the same address and port waits this long, so that a censor's residual
    /// blocking (the GFW's lasts about 90 s) does not fall on it. Default 120.
    public var holdoffSeconds: Int

    public init(rate: Double? = 100, parallel: Int = 8, targetGapMilliseconds: Int = 0, timeoutMilliseconds: Int = 2000,
                holdoffSeconds: Int = 120) {
        self.rate = rate
        self.parallel = parallel
        self.targetGapMilliseconds = targetGapMilliseconds
        self.timeoutMilliseconds = timeoutMilliseconds
        self.holdoffSeconds = holdoffSeconds
    }
}

/// When a step runs.
public enum StepCondition: String, Sendable, Hashable {
    /// Always.
    case always
    /// Only when an earlier SYN step found some shape blocked on this port.
    case blocked
    /// Only when the kernel-shaped (linux) SYN of an earlier SYN step passed (a handshake can work).
    case passed
    /// Only when the SYN-ACKs on this port come from a device that is not the host (their
    /// hop distance, window or options disagree with the host's own packets): interception.
    case intercepted
}

/// One step of a script: a probe kind from the registry with its parameters.
public enum ScriptStep: Sendable, Hashable {
    /// ICMP echo requests: the host's own TTL (the genuine reference) and whether it is up.
    case echo(count: Int)
    /// SYN trials to TCP ports.
    case syn(SYNStep)
    /// A Paris traceroute.
    case trace(TraceStep)
    /// Handshake + TTL-limited HTTP request or TLS ClientHello, test and control (TCP ports).
    case payload(PayloadSpec)
    /// Requests of a UDP application kind from the probe-kind table (`ProbeKinds.datagram`:
    /// stun, dns, quic…), to UDP ports.
    case datagram(DatagramStep)
    /// An HTTP request at full TTL and the page that answers it (TCP ports).
    case fetch(FetchStep)
    /// A bulk transfer for the test and the control name, goodput compared (TCP ports).
    case transfer(TransferStep)

    /// The step's kind as scripts write it (`probe:`).
    public var kind: String {
        switch self {
        case .echo: return "echo"
        case .syn: return "syn"
        case .trace: return "trace"
        case .payload: return "payload"
        case .datagram(let d): return d.kind
        case .fetch: return "fetch"
        case .transfer: return "transfer"
        }
    }

    public var condition: StepCondition {
        switch self {
        case .trace(let t): return t.when
        case .payload(let p): return p.when
        case .fetch(let f): return f.when
        case .transfer(let t): return t.when
        default: return .always
        }
    }
}

public struct SYNStep: Sendable, Hashable {
    /// The port the unpadded variants also go to (port vs address).
    public enum SecondPort: Sendable, Hashable {
        case fixed(UInt16)
        /// 443, or 80 when the item's port is 443: the other port every web host opens.
        case auto

        /// The port for an item probed on `main`.
        public func port(for main: UInt16) -> UInt16 {
            switch self {
            case .fixed(let p): return p
            case .auto: return main == 443 ? 80 : 443
            }
        }
    }
    public var variants: [SYNVariant]
    /// Variants also padded (EOL) to every larger variant size: size vs options.
    public var pad: [SYNVariant]
    /// The unpadded variants also go to this TCP port: port vs address.
    public var secondPort: SecondPort?

    public init(variants: [SYNVariant], pad: [SYNVariant] = [], secondPort: SecondPort? = nil) {
        self.variants = variants
        self.pad = pad
        self.secondPort = secondPort
    }
}

public struct TraceStep: Sendable, Hashable {
    public enum Shape: Sendable, Hashable {
        /// A fixed SYN variant (TCP traces).
        case variant(SYNVariant)
        /// The smallest blocked SYN shape of the earlier SYN step (with `when: blocked`).
        case blocked
        /// A shape that passed at full TTL (mss first, as traceroute -T -O syn): the control
        /// path when the usual shape is itself blocked. Skipped when none passed.
        case passing
    }
    public var method: TraceMethod
    /// TCP traces only; nil for ICMP and UDP.
    public var shape: Shape?
    public var maxTTL: Int
    public var when: StepCondition

    public init(method: TraceMethod, shape: Shape? = nil, maxTTL: Int = 30, when: StepCondition = .always) {
        self.method = method
        self.shape = shape
        self.maxTTL = maxTTL
        self.when = when
    }
}

public struct PayloadSpec: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case http, tls
        /// The kind the item asks for (`investigate --host` or `--sni`); for a campaign
        /// target, tls on the TLS ports (443, 853, 8443, …) and http elsewhere.
        case auto
    }
    /// Where the test name (Host or SNI) comes from.
    public enum Name: Sendable, Hashable {
        /// The target's host name from the target list (targets given as addresses skip the step).
        case target
        case fixed(String)
    }
    public var kind: Kind
    public var name: Name
    public var control: String
    public var maxTTL: Int
    public var pauseMilliseconds: Int
    public var when: StepCondition

    public init(kind: Kind, name: Name = .target, control: String = "example.com", maxTTL: Int = 30,
                pauseMilliseconds: Int = 50, when: StepCondition = .passed) {
        self.kind = kind
        self.name = name
        self.control = control
        self.maxTTL = maxTTL
        self.pauseMilliseconds = pauseMilliseconds
        self.when = when
    }
}

/// The page at full TTL: an HTTP GET with the test name as Host, or, without one, the
/// target's address (what a browser sends for a bare address).
public struct FetchStep: Sendable, Hashable {
    public var name: PayloadSpec.Name
    public var path: String
    public var maxBytes: Int
    public var maxMilliseconds: Int
    public var when: StepCondition

    public init(name: PayloadSpec.Name = .target, path: String = "/", maxBytes: Int = 65_536, maxMilliseconds: Int = 2000,
                when: StepCondition = .intercepted) {
        self.name = name
        self.path = path
        self.maxBytes = maxBytes
        self.maxMilliseconds = maxMilliseconds
        self.when = when
    }
}

/// Goodput of a bulk transfer of `path` for the control, the test and the control again,
/// each bounded by `maxBytes` and `maxMilliseconds`; throttling when the test's rate is
/// `ratio` times below the slower control's, with at least `minBytes` to judge by.
public struct TransferStep: Sendable, Hashable {
    public var kind: PayloadSpec.Kind
    public var name: PayloadSpec.Name
    public var control: String
    public var path: String
    public var maxBytes: Int
    public var maxMilliseconds: Int
    public var minBytes: Int
    public var ratio: Double
    public var when: StepCondition

    public init(kind: PayloadSpec.Kind, name: PayloadSpec.Name = .target, control: String = "example.com", path: String = "/",
                maxBytes: Int = 2 << 20, maxMilliseconds: Int = 2000, minBytes: Int = 256 << 10, ratio: Double = 4,
                when: StepCondition = .passed) {
        self.kind = kind
        self.name = name
        self.control = control
        self.path = path
        self.maxBytes = maxBytes
        self.maxMilliseconds = maxMilliseconds
        self.minBytes = minBytes
        self.ratio = ratio
        self.when = when
    }
}

/// A step of a datagram kind (`probe: stun`, `probe: quic`…): its checked parameters as the
/// script gave them (the port is each item's) and how many requests to send.
public struct DatagramStep: Sendable, Hashable {
    /// The kind's name in `ProbeKinds.datagram`.
    public var kind: String
    /// The kind's own parameters as given; defaults are the kind's.
    public var values: [String: KindValue]
    public var count: Int

    public init(kind: String, values: [String: KindValue] = [:], count: Int = 1) {
        self.kind = kind
        self.values = values
        self.count = count
    }

    /// The kind's checked arguments towards `port`.
    public func arguments(port: UInt16) throws(KindParameterError) -> KindArguments? {
        guard let k = ProbeKinds.datagramKind(named: kind) else { return nil }
        var v = values
        v["port"] = .integer(Int(port))
        return try ProbeKinds.arguments(for: k, values: v)
    }
}

/// What judges the answers.
public enum ScriptAnalysis: String, Sendable, Hashable, CaseIterable {
    /// The investigate verdict (trigger, location, injector) for each TCP port; needs a syn step.
    case investigation
    /// Reachability of each UDP port from its datagram kinds' answers; needs such a step.
    case datagram
    /// ASN and AS name on every path hop (with `--asn-db` at run time); needs a trace step.
    case asn
}
