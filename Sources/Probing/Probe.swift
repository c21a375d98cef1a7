import Capture
import Packets
import Records

/// One packet a run sends, with what its answers are recognised by.
///
/// Identifiers are carried in fields the answer echoes (ZMap and Yarrp style): the source
/// port and sequence number for TCP (a SYN-ACK or RST acknowledges seq + 1), the echo
/// identifier and sequence for ICMP, the UDP checksum (Paris traceroute) and the IP ID for
/// quotes in ICMP errors.
public struct Probe: Hashable, Sendable {
    /// Position in the run, from 0; it names the probe in pcap comments and JSON.
    public var index: Int
    /// The kind that built it (a name in `ProbeKinds`): "syn", "icmp", "udp", "stun", "dns", "quic"…
    public var module: String
    /// For humans and pcap comments, e.g. "syn linux ttl 64 #3".
    public var label: String
    /// The packet as built (lengths and checksums filled).
    public var packet: IPPacket
    /// `packet` serialised: exactly what goes on the wire.
    public var bytes: [UInt8]

    public init(index: Int, module: String, label: String, packet: IPPacket, bytes: [UInt8]) {
        self.index = index
        self.module = module
        self.label = label
        self.packet = packet
        self.bytes = bytes
    }

    public var ttl: UInt8 { packet.header.ttl }
    public var destination: IPAddress { packet.destination }
    public var source: IPAddress { packet.source }
}

/// What an answer is, from the probe's point of view. Open: a probe kind names the kinds of
/// its own answers (`DatagramKind.responseKind`); the raw value is the word JSON carries.
public struct AnswerKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static let synAck = AnswerKind(rawValue: "syn-ack")
    public static let rst = AnswerKind(rawValue: "rst")
    /// Any other TCP segment on the probe's flow (data, a blockpage, FIN).
    public static let tcp = AnswerKind(rawValue: "tcp")
    public static let echoReply = AnswerKind(rawValue: "echo-reply")
    public static let timeExceeded = AnswerKind(rawValue: "time-exceeded")
    public static let portUnreachable = AnswerKind(rawValue: "port-unreachable")
    /// Destination unreachable other than port unreachable (code in the fingerprint).
    public static let unreachable = AnswerKind(rawValue: "unreachable")
    /// Another ICMP error quoting the probe (packet too big, parameter problem).
    public static let icmpOther = AnswerKind(rawValue: "icmp-other")
    /// A UDP datagram from the probed port (any payload).
    public static let udp = AnswerKind(rawValue: "udp")

    /// The ICMP errors that quote a probe, whatever its kind.
    public static let icmpErrors: [AnswerKind] = [.timeExceeded, .portUnreachable, .unreachable, .icmpOther]

    /// True for the ICMP errors that quote a probe.
    public var isICMPError: Bool { AnswerKind.icmpErrors.contains(self) }

    /// The `result` word of a probe whose first answer is of this kind: `icmp` for every
    /// ICMP error (the `icmp` object says which), else the kind itself.
    public var resultWord: String { isICMPError ? "icmp" : rawValue }
}

/// How an answer was tied to its probe; "flow" is the weakest (5-tuple only) and is
/// accepted only when the flow belongs to a single probe.
public enum MatchBasis: String, Hashable, Sendable {
    case acknowledgment   // TCP ack = probe seq + 1 (+ payload length)
    case quote            // ICMP error whose quoted header carries the probe's identifiers
    case echo             // ICMP echo reply with the probe's identifier and sequence
    case transaction      // a datagram kind's transaction (STUN transaction ID, DNS message ID, QUIC connection IDs)
    case flow             // 5-tuple only (bare RST without ACK): unique flow required
}

/// Everything observable about the packet that answered: what tells a forged packet from
/// a genuine one (TTL, IP ID, DF, TOS, window, options, flags, seq/ack).
public struct Fingerprint: Hashable, Sendable {
    public var source: IPAddress
    public var ttl: UInt8
    /// IPv4 identification; nil for IPv6 (unless a fragment header carries one).
    public var ipID: UInt32?
    public var dontFragment: Bool
    /// IPv4 TOS / IPv6 traffic class.
    public var tos: UInt8
    public var length: Int
    // TCP answers
    public var flags: TCPFlags?
    public var window: UInt16?
    public var sequenceNumber: UInt32?
    public var acknowledgmentNumber: UInt32?
    public var options: [String]?
    public var payloadLength: Int?
    // ICMP answers
    public var icmpType: UInt8?
    public var icmpCode: UInt8?

    public init(source: IPAddress, ttl: UInt8, ipID: UInt32?, dontFragment: Bool, tos: UInt8, length: Int,
                flags: TCPFlags? = nil, window: UInt16? = nil, sequenceNumber: UInt32? = nil,
                acknowledgmentNumber: UInt32? = nil, options: [String]? = nil, payloadLength: Int? = nil,
                icmpType: UInt8? = nil, icmpCode: UInt8? = nil) {
        self.source = source
        self.ttl = ttl
        self.ipID = ipID
        self.dontFragment = dontFragment
        self.tos = tos
        self.length = length
        self.flags = flags
        self.window = window
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.options = options
        self.payloadLength = payloadLength
        self.icmpType = icmpType
        self.icmpCode = icmpCode
    }
}

/// A field of the quoted packet in an ICMP error that differs from what we sent: what a
/// middlebox on the way rewrote (tracebox). The TTL and the IP header checksum, which every
/// router changes, are not listed. The value is its own record: every output writes it so.
public typealias QuoteDifference = QuoteDifferenceRecord

/// One answer attributed to one probe.
public struct Answer: Hashable, Sendable {
    public var probeIndex: Int
    public var kind: AnswerKind
    public var basis: MatchBasis
    public var timestamp: CaptureTimestamp
    /// From the probe's send time (its own capture if seen, else the send clock).
    public var rttNanoseconds: Int64?
    public var fingerprint: Fingerprint
    /// The TTL left in the quoted header (ICMP errors only).
    public var quotedTTL: UInt8?
    /// For ICMP errors: what the quote shows rewritten; empty when the quote matches.
    public var quoteDifferences: [QuoteDifference]
    /// Identical copies received after this one (same kind, same fingerprint).
    public var duplicates: Int
    /// The answering packet itself.
    public var packet: IPPacket

    public init(probeIndex: Int, kind: AnswerKind, basis: MatchBasis, timestamp: CaptureTimestamp,
                rttNanoseconds: Int64?, fingerprint: Fingerprint, quotedTTL: UInt8?,
                quoteDifferences: [QuoteDifference], duplicates: Int, packet: IPPacket) {
        self.probeIndex = probeIndex
        self.kind = kind
        self.basis = basis
        self.timestamp = timestamp
        self.rttNanoseconds = rttNanoseconds
        self.fingerprint = fingerprint
        self.quotedTTL = quotedTTL
        self.quoteDifferences = quoteDifferences
        self.duplicates = duplicates
        self.packet = packet
    }

    public var rttMilliseconds: Double? { rttNanoseconds.map { Double($0) / 1e6 } }
}
