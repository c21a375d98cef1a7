import Packets

/// The censor's configuration: which addresses are on the client side, and an ordered
/// list of rules (first match wins; a packet no rule matches is accepted).
/// The YAML form is documented in Docs/censor.md; `parse(yaml:file:firstLine:)` reads it.
public struct CensorPolicy: Hashable, Sendable {
    /// Sources on the client side; every other address is on the server side.
    public var clients: [IPPrefix]
    public var rules: [CensorRule]

    public init(clients: [IPPrefix], rules: [CensorRule]) {
        self.clients = clients
        self.rules = rules
    }

    public func isClient(_ address: IPAddress) -> Bool {
        clients.contains { $0.contains(address) }
    }
}

/// Which way a packet travels, by its source: from the client side or from the server side.
public enum PacketDirection: String, Hashable, Sendable {
    case clientToServer = "client-to-server"
    case serverToClient = "server-to-client"
}

public enum DirectionMatch: String, Hashable, Sendable {
    case clientToServer = "client-to-server"
    case serverToClient = "server-to-client"
    case both
}

public enum TransportProtocol: String, Hashable, Sendable {
    case tcp, udp, icmp
}

public enum CensorAction: String, Hashable, Sendable {
    case accept, drop, inject
    case injectAndAccept = "inject-and-accept"
    case throttle
    /// Hold the packet a random time and maybe send copies of it (`DisturbSpec`).
    case disturb

    /// Whether the trigger itself goes on to its destination.
    public var forwardsTrigger: Bool { self == .accept || self == .injectAndAccept || self == .throttle || self == .disturb }
    public var forges: Bool { self == .inject || self == .injectAndAccept }
}

/// A host name pattern for `http_host` and `tls_sni`, compared case-insensitively.
public enum HostPattern: Hashable, Sendable, CustomStringConvertible {
    /// The name itself or any name below it (`example.org` matches `www.example.org`).
    case domain(String)
    /// Any name containing the text (how naive DPI boxes match, and how they are fooled).
    case contains(String)
    case exact(String)

    public func matches(_ host: String) -> Bool {
        let h = HostPattern.normalize(host)
        switch self {
        case .domain(let d): return h == d || h.hasSuffix("." + d)
        case .contains(let s): return h.contains(s)
        case .exact(let e): return h == e
        }
    }

    /// Lower case, without a trailing dot.
    static func normalize(_ host: String) -> String {
        var h = host.lowercased()
        if h.hasSuffix(".") { h.removeLast() }
        return h
    }

    public var description: String {
        switch self {
        case .domain(let d): return d
        case .contains(let s): return "contains:" + s
        case .exact(let e): return "exact:" + e
        }
    }
}

/// The conditions of one rule; nil means "any". All given conditions must hold.
public struct RuleMatch: Hashable, Sendable {
    public var direction: DirectionMatch = .both
    public var proto: TransportProtocol?
    public var sourcePrefixes: [IPPrefix]?
    public var destinationPrefixes: [IPPrefix]?
    public var sourcePorts: [ClosedRange<UInt16>]?
    public var destinationPorts: [ClosedRange<UInt16>]?
    /// A SYN without ACK (true), or any other TCP segment (false).
    public var syn: Bool?
    /// Bounds on the IP total length (IPv6: 40 + payload length) of a SYN without ACK.
    public var synSizeMin: Int?
    public var synSizeMax: Int?
    /// The exact list of option names of a SYN without ACK, in order (`TCPOption.name`).
    public var synOptions: [String]?
    public var httpHost: [HostPattern]?
    public var tlsSNI: [HostPattern]?
    public var stun: Bool?
    public var payloadContains: [UInt8]?
    public var established: Bool?

    public init() {}

    /// Whether only TCP segments can satisfy these conditions.
    public var requiresTCP: Bool {
        proto == .tcp || syn != nil || synSizeMin != nil || synSizeMax != nil || synOptions != nil
            || httpHost != nil || tlsSNI != nil || established != nil
    }
}

/// What a forged TTL (IPv6: hop limit) is.
public enum TTLSpec: Hashable, Sendable {
    case fixed(UInt8)
    /// The trigger's TTL as it reached the censor, minus N (at least 1).
    case copyMinus(UInt8)
}

/// What a forged IPv4 identification is. IPv6 has none.
public enum IPIDSpec: Hashable, Sendable {
    case fixed(UInt16)
    /// 0. Linux keeps an ID of 0 on raw sockets only with DF set, so the parser forces DF.
    case zero
    /// The trigger's IP ID.
    case copy
    /// A counter kept by the censor: 1, 2, 3… one per forged packet (0 is skipped).
    case increment
}

public enum WindowSpec: Hashable, Sendable {
    case fixed(UInt16)
    /// The trigger's window.
    case copy
}

/// Which endpoint receives a forged packet. The client is the endpoint on the client
/// side (`clients`), the server the other one, whichever of them sent the trigger.
public enum InjectTarget: String, Hashable, Sendable {
    case client, server, both
}

/// One kind of forged packet (a rule may list several, e.g. a blockpage to the client
/// and a RST to the server).
public struct InjectSpec: Hashable, Sendable {
    public var to: InjectTarget = .client
    public var flags: TCPFlags = [.rst, .ack]
    public var ttl: TTLSpec = .fixed(64)
    public var ipID: IPIDSpec = .increment
    public var window: WindowSpec = .fixed(0)
    public var copies: Int = 1
    public var dontFragment: Bool = false
    public var payload: [UInt8] = []

    public init() {}
}

public struct ThrottleSpec: Hashable, Sendable {
    public var rateKbit: Int
    /// Bytes a flow may send at once before it is paced (the token bucket's depth).
    public var burstBytes: Int = 3000
    /// A packet that would wait longer than this is dropped, like a full shaper queue.
    public var maxDelayMilliseconds: Int = 500

    public init(rateKbit: Int) { self.rateKbit = rateKbit }

    public var bytesPerSecond: Double { Double(rateKbit) * 1000 / 8 }
}

/// Duplication and reordering (the kernel here has no netem): each packet is held a
/// uniformly random time in `delayMilliseconds` (so packets overtake each other) and, with
/// probability `duplicate`, also sent again `copies` times, each copy after the original
/// and its own random delay in the same range.
public struct DisturbSpec: Hashable, Sendable {
    /// Probability (0…1) that a packet is duplicated.
    public var duplicate: Double = 0
    /// Extra copies of a duplicated packet (1…10).
    public var copies: Int = 1
    /// Bounds of the random hold, in milliseconds (0…2000).
    public var delayMilliseconds: ClosedRange<Double> = 0...0
    /// Seed of the rule's random generator; nil = a fresh seed per run.
    public var seed: UInt64?

    public init(duplicate: Double = 0, copies: Int = 1, delayMilliseconds: ClosedRange<Double> = 0...0, seed: UInt64? = nil) {
        self.duplicate = duplicate
        self.copies = copies
        self.delayMilliseconds = delayMilliseconds
        self.seed = seed
    }

    /// The longest hold the parser accepts, in milliseconds.
    public static let maxDelayMilliseconds: Double = 2000
    /// The most copies of one packet the parser accepts.
    public static let maxCopies = 10
}

public struct CensorRule: Hashable, Sendable {
    public var name: String
    public var match: RuleMatch
    public var action: CensorAction
    public var inject: [InjectSpec]
    public var throttle: ThrottleSpec?
    public var disturb: DisturbSpec?
    /// After this rule fires, every packet between the same client, server and server
    /// port gets this rule's action for so many seconds.
    public var residualSeconds: Double
    /// Where the rule starts in its file (for messages).
    public var line: Int

    public init(name: String, match: RuleMatch = RuleMatch(), action: CensorAction,
                inject: [InjectSpec] = [], throttle: ThrottleSpec? = nil, disturb: DisturbSpec? = nil,
                residualSeconds: Double = 0, line: Int = 0) {
        self.name = name
        self.match = match
        self.action = action
        self.inject = inject
        self.throttle = throttle
        self.disturb = disturb
        self.residualSeconds = residualSeconds
        self.line = line
    }
}
