import Packets

/// What the forger needs to know about the trigger and its flow.
struct TriggerContext {
    var packet: IPPacket
    var tcp: TCPSegment
    var direction: PacketDirection
    /// Whether the trigger goes on to its receiver (then forged sequence numbers follow it).
    var triggerForwarded: Bool
    /// The next sequence number the censor forwarded from the trigger's receiver, if seen.
    var receiverNextSeq: UInt32?
}

/// Builds forged TCP segments whose sequence numbers the receiving stack accepts.
///
/// A forged packet either goes back to the trigger's sender (as if from the receiver)
/// or on to the receiver (as if from the sender):
/// - to the sender: seq = what the sender expects next from the receiver: the larger
///   of the trigger's ack and what the censor forwarded from the receiver; for a SYN
///   (nothing to ack yet) seq = 0. ack = the trigger's end (seq + length, SYN/FIN
///   counting one), so a blockpage acknowledges the request. Linux accepts a RST only
///   at exactly rcv.nxt (RFC 5961), and in SYN-SENT only with ACK set and ack = ISN+1:
///   `flags: RA` on a SYN trigger resets the connection, `flags: R` (what the founding
///   story shows: seq 0, the SYN's seq in the ack field, ACK off) is ignored by the
///   client, which then times out.
/// - to the receiver: seq = the trigger's seq, plus its length when the trigger is
///   forwarded; ack = the trigger's ack.
struct Forger: Sendable {
    private var counter: UInt16 = 0

    mutating func forge(_ spec: InjectSpec, _ t: TriggerContext) -> [ForgedPacket] {
        let senderSide: FlowSide = t.direction == .clientToServer ? .client : .server
        let targets: [FlowSide]
        switch spec.to {
        case .client: targets = [.client]
        case .server: targets = [.server]
        case .both: targets = [.client, .server]
        }
        var out: [ForgedPacket] = []
        for target in targets {
            for _ in 0..<spec.copies {
                out.append(build(spec, t, toSender: target == senderSide, target: target))
            }
        }
        return out
    }

    private mutating func build(_ spec: InjectSpec, _ t: TriggerContext, toSender: Bool, target: FlowSide) -> ForgedPacket {
        let tcp = t.tcp
        let isSYN = tcp.flags.contains(.syn) && !tcp.flags.contains(.ack)
        let triggerEnd = tcp.sequenceNumber &+ UInt32(truncatingIfNeeded: tcp.payload.count)
            &+ (tcp.flags.contains(.syn) ? 1 : 0) &+ (tcp.flags.contains(.fin) ? 1 : 0)
        let triggerAck: UInt32? = tcp.flags.contains(.ack) ? tcp.acknowledgmentNumber : nil
        let seq: UInt32
        var ack: UInt32
        if toSender {
            seq = Self.later(triggerAck, t.receiverNextSeq) ?? 0
            ack = triggerEnd
            if isSYN, !spec.flags.contains(.ack) { ack = tcp.sequenceNumber }
        } else {
            seq = t.triggerForwarded ? triggerEnd : tcp.sequenceNumber
            ack = triggerAck ?? t.receiverNextSeq ?? 0
        }
        let window: UInt16
        switch spec.window {
        case .fixed(let w): window = w
        case .copy: window = tcp.window
        }
        let segment = TCPSegment(
            sourcePort: toSender ? tcp.destinationPort : tcp.sourcePort,
            destinationPort: toSender ? tcp.sourcePort : tcp.destinationPort,
            sequenceNumber: seq, acknowledgmentNumber: ack, flags: spec.flags,
            window: window, payload: spec.payload[...])
        let ttl: UInt8
        switch spec.ttl {
        case .fixed(let v): ttl = v
        case .copyMinus(let n): ttl = t.packet.header.ttl > n ? max(1, t.packet.header.ttl - n) : 1
        }
        let src = toSender ? t.packet.destination : t.packet.source
        let dst = toSender ? t.packet.source : t.packet.destination
        var ipID: UInt16?
        let packet: IPPacket
        switch t.packet.header {
        case .v4(let h):
            let id = nextID(spec.ipID, trigger: h)
            ipID = id
            packet = IPPacket(IPv4Header(identification: id, flags: spec.dontFragment ? .dontFragment : [], ttl: ttl, proto: 6,
                                         source: toSender ? h.destination : h.source,
                                         destination: toSender ? h.source : h.destination), .tcp(segment))
        case .v6(let h):
            packet = IPPacket(IPv6Header(nextHeader: 6, hopLimit: ttl, source: toSender ? h.destination : h.source,
                                         destination: toSender ? h.source : h.destination), .tcp(segment))
        }
        return ForgedPacket(bytes: packet.serialized(), to: target, source: src, destination: dst,
                            flags: spec.flags, sequenceNumber: seq, acknowledgmentNumber: ack, ttl: ttl,
                            ipID: ipID, dontFragment: spec.dontFragment, window: window,
                            payloadLength: spec.payload.count)
    }

    private mutating func nextID(_ spec: IPIDSpec, trigger: IPv4Header) -> UInt16 {
        switch spec {
        case .fixed(let v): return v
        case .zero: return 0
        case .copy: return trigger.identification
        case .increment:
            counter &+= 1
            if counter == 0 { counter = 1 }
            return counter
        }
    }

    /// The later of two sequence numbers (mod 2^32), either may be missing.
    static func later(_ a: UInt32?, _ b: UInt32?) -> UInt32? {
        guard let a else { return b }
        guard let b else { return a }
        return Int32(bitPattern: b &- a) > 0 ? b : a
    }
}
