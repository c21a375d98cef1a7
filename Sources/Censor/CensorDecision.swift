import Packets

/// The endpoint a forged packet goes to.
public enum FlowSide: String, Hashable, Sendable {
    case client, server
}

/// A packet the censor made up, ready for a raw socket, and what it says (for the log).
public struct ForgedPacket: Hashable, Sendable {
    /// The complete IP packet, checksums filled.
    public var bytes: [UInt8]
    public var to: FlowSide
    public var source: IPAddress
    public var destination: IPAddress
    public var flags: TCPFlags
    public var sequenceNumber: UInt32
    public var acknowledgmentNumber: UInt32
    public var ttl: UInt8
    /// nil for IPv6.
    public var ipID: UInt16?
    public var dontFragment: Bool
    public var window: UInt16
    public var payloadLength: Int
}

/// What to do with one packet.
public struct CensorDecision: Hashable, Sendable {
    public enum Verdict: Hashable, Sendable {
        case accept
        case drop
        /// Hold the packet and let it go at this time (throttling, disturb).
        case delay(until: Double)
    }

    public var verdict: Verdict
    /// Packets to send, in order.
    public var forged: [ForgedPacket]
    /// The rule that decided, nil when none did (the packet is accepted).
    public var rule: String?
    public var action: CensorAction?
    /// What in the packet matched, like `tls_sni=blocked.example`, `syn_size=60` or `residual`.
    public var trigger: String?
    /// When to send exact copies of the packet (engine clock), each after the packet
    /// itself is let go (`disturb`); the daemon makes them with `ForwardedCopy`.
    public var duplicates: [Double]

    public init(verdict: Verdict, forged: [ForgedPacket] = [], rule: String? = nil,
                action: CensorAction? = nil, trigger: String? = nil, duplicates: [Double] = []) {
        self.verdict = verdict
        self.forged = forged
        self.duplicates = duplicates
        self.rule = rule
        self.action = action
        self.trigger = trigger
    }

    public static let pass = CensorDecision(verdict: .accept)
}
