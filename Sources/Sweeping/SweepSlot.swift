import CSystemShims

/// What one probe of a sweep got back: 32 bytes, one per probe, in one flat allocation.
/// The sender writes only `sentMicros` (atomically); the receiver thread writes the rest.
public struct SweepSlot: Sendable, Equatable {
    /// CLOCK_REALTIME microseconds (mod 2^32) just before the probe's batch left, with the
    /// lowest bit set: 0 means never sent.
    public var sentMicros: UInt32 = 0
    /// Capture time of the first answer minus `sentMicros`.
    public var rttMicros: UInt32 = 0
    /// The first answer's TCP option kinds in order, one nibble each (`SweepOptions`).
    public var optionLayout: UInt32 = 0
    /// Who answered first: 0 the target itself, else 1 + the index in the run's router list.
    public var from: UInt32 = 0
    public var window: UInt16 = 0
    /// The MSS option's value; 0 when absent.
    public var mss: UInt16 = 0
    public var ipID: UInt16 = 0
    /// ICMP type << 8 | code of an ICMP answer.
    public var icmp: UInt16 = 0
    public var kind: SweepAnswerKind = .none
    /// Every kind of answer seen, one bit per kind (`SweepAnswerKind.seenBit`).
    public var seen: UInt8 = 0
    public var ttl: UInt8 = 0
    public var tcpFlags: UInt8 = 0
    /// Answers that matched this probe, saturating at 255.
    public var answers: UInt8 = 0
    /// The window-scale option's shift; 0xFF when absent.
    public var windowScale: UInt8 = 0xFF
    /// Bit 0: don't-fragment set; bit 1: matched by source port alone (an RST without ACK, UDP).
    public var misc: UInt8 = 0
    var reserved: UInt8 = 0

    public init() {}

    public var wasSent: Bool { sentMicros != 0 }
    public var dontFragment: Bool { misc & 1 != 0 }
    public var matchedByPortOnly: Bool { misc & 2 != 0 }
}

/// The answer a sweep probe got, ordered (`<`) by what it proves about the target.
public enum SweepAnswerKind: UInt8, Sendable, CaseIterable, Comparable {
    case none = 0
    /// SYN-ACK: the port is open (or something answers for it).
    case synAck = 1
    /// RST: the host (or something in its place) refused the connection.
    case reset = 2
    /// Another TCP segment from the target's port.
    case otherTCP = 3
    /// ICMP destination unreachable (any code) about the probe.
    case unreachable = 4
    /// ICMP time exceeded about the probe: a loop or too short a TTL.
    case timeExceeded = 5
    /// Another ICMP error quoting the probe.
    case otherICMP = 6
    /// An echo reply from the target.
    case echoReply = 7
    /// A datagram from the target's port.
    case udpReply = 8

    public var name: String {
        switch self {
        case .none: return "none"
        case .synAck: return "synack"
        case .reset: return "rst"
        case .otherTCP: return "tcp-other"
        case .unreachable: return "unreachable"
        case .timeExceeded: return "time-exceeded"
        case .otherICMP: return "icmp-other"
        case .echoReply: return "echo-reply"
        case .udpReply: return "udp-reply"
        }
    }

    /// The bit of `SweepSlot.seen` (every kind but `none` has one).
    var seenBit: UInt8 { rawValue == 0 ? 0 : 1 << (rawValue - 1) }

    /// Whether the answer is an ICMP message (its type and code are the fingerprint).
    public var isICMP: Bool { self == .unreachable || self == .timeExceeded || self == .otherICMP || self == .echoReply }

    /// The host's own answer first (a reply, then a refusal), then routers' errors.
    var rank: Int {
        switch self {
        case .none: return 0
        case .synAck, .echoReply, .udpReply: return 1
        case .reset: return 2
        case .otherTCP: return 3
        case .unreachable: return 4
        case .timeExceeded: return 5
        case .otherICMP: return 6
        }
    }

    /// The answers a sweep of `kind` can get, in the order the summary lists them.
    public static func kinds(of kind: SweepProtocol) -> [SweepAnswerKind] {
        let icmp: [SweepAnswerKind] = [.unreachable, .timeExceeded, .otherICMP, .none]
        switch kind {
        case .tcp: return [.synAck, .reset, .otherTCP] + icmp
        case .icmp: return [.echoReply] + icmp
        case .udp: return [.udpReply] + icmp
        }
    }

    public static func < (a: SweepAnswerKind, b: SweepAnswerKind) -> Bool { a.rank < b.rank }
}

/// The slots of a sweep, allocated once: `count` probes × 32 bytes, zeroed.
public final class SweepSlots: @unchecked Sendable {
    public let count: Int
    let base: UnsafeMutablePointer<SweepSlot>

    public init(count: Int) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: SweepSlot(), count: max(count, 1))
    }

    deinit { base.deallocate() }

    public subscript(i: Int) -> SweepSlot {
        get { base[i] }
    }

    /// The sender's one write: the send time, visible to the receiver thread.
    @inline(__always)
    func markSent(_ i: Int, micros: UInt32) {
        withUnsafeMutablePointer(to: &base[i].sentMicros) { cs_store_u32($0, micros | 1) }
    }

    @inline(__always)
    func sentMicros(_ i: Int) -> UInt32 {
        withUnsafeMutablePointer(to: &base[i].sentMicros) { cs_load_u32($0) }
    }

    /// The receiver's writes (it is the only writer of everything but `sentMicros`).
    @inline(__always)
    func update(_ i: Int, _ body: (inout SweepSlot) -> Void) {
        body(&base[i])
    }
}

/// TCP option layouts packed one nibble per option (up to eight) for the slot.
public enum SweepOptions {
    static let names = ["", "eol", "nop", "mss", "wscale", "sackOK", "sack", "TS", "tfo", "md5", "uto", "mptcp", "tcp-ao", "opt", "trailing", "…"]

    @inline(__always)
    static func code(kind: UInt8) -> UInt32 {
        switch kind {
        case 0: return 1
        case 1: return 2
        case 2: return 3
        case 3: return 4
        case 4: return 5
        case 5: return 6
        case 8: return 7
        case 34: return 8
        case 19: return 9
        case 28: return 10
        case 30: return 11
        case 29: return 12
        default: return 13
        }
    }

    /// The option names of a layout, as the other outputs print them.
    public static func names(_ layout: UInt32) -> [String] {
        var out: [String] = []
        var l = layout
        for _ in 0..<8 {
            let c = Int(l & 0xF)
            if c == 0 { break }
            out.append(names[c])
            l >>= 4
        }
        return out
    }
}

extension SweepSlots {
    /// The sender's undo of `markSent` for a probe the kernel refused.
    @inline(__always)
    func markUnsent(_ i: Int) {
        withUnsafeMutablePointer(to: &base[i].sentMicros) { cs_store_u32($0, 0) }
    }
}
