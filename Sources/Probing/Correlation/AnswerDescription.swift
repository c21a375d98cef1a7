import Packets

extension Fingerprint {
    /// What the answering packet shows about its sender: IP fields, TCP fields, ICMP type and code.
    public init(of packet: IPPacket) {
        let ipID: UInt32?, df: Bool, tos: UInt8, length: Int
        switch packet.header {
        case .v4(let h):
            ipID = UInt32(h.identification)
            df = h.dontFragment
            tos = h.tos
            length = Int(h.totalLength)
        case .v6(let h):
            ipID = h.fragment?.identification
            df = false
            tos = h.trafficClass
            length = 40 + Int(h.payloadLength)
        }
        self.init(source: packet.source, ttl: packet.header.ttl, ipID: ipID, dontFragment: df, tos: tos, length: length)
        switch packet.transport {
        case .tcp(let t):
            flags = t.flags
            window = t.window
            sequenceNumber = t.sequenceNumber
            acknowledgmentNumber = t.acknowledgmentNumber
            options = t.options.map(\.name)
            payloadLength = t.payload.count
        case .icmp(let m):
            icmpType = m.type
            icmpCode = m.code
        default:
            break
        }
    }

    /// The initial TTL the sender most likely used: the smallest of 32, 64, 128, 255 not below the observed one.
    public var initialTTLGuess: Int {
        let t = Int(ttl)
        return [32, 64, 128, 255].first { $0 >= t } ?? 255
    }

    /// Routers between the sender and us, by `initialTTLGuess`.
    public var hopDistance: Int { initialTTLGuess - Int(ttl) }
}

extension AnswerKind {
    /// The kind of an ICMP error that quotes a probe; nil for ICMP types that are no answer
    /// to a probe (redirect, source quench, informational messages).
    init?(icmpError m: ICMPMessage) {
        switch (m.family, m.type) {
        case (.v4, 11), (.v6, 3): self = .timeExceeded
        case (.v4, 3): self = m.code == 3 ? .portUnreachable : .unreachable
        case (.v6, 1): self = m.code == 4 ? .portUnreachable : .unreachable
        case (.v4, 12), (.v6, 2), (.v6, 4): self = .icmpOther
        default: return nil
        }
    }

    /// The kind of a TCP segment that answers a probe.
    init(tcpFlags f: TCPFlags) {
        if f.contains(.rst) {
            self = .rst
        } else if f.contains(.syn), f.contains(.ack) {
            self = .synAck
        } else {
            self = .tcp
        }
    }
}

extension QuoteDifference {
    /// The fields of `quoted` (the packet an ICMP error quotes) that differ from `sent`
    /// (the probe as it left), as far as the quote goes. TTL and the IPv4 header checksum,
    /// which every router changes, are not compared. Empty when nothing was rewritten.
    public static func differences(sent: IPPacket, quoted: IPPacket) -> [QuoteDifference] {
        var out: [QuoteDifference] = []
        func note<T: Equatable>(_ field: String, _ s: T, _ q: T, _ show: (T) -> String) {
            if s != q { out.append(QuoteDifference(field: field, sent: show(s), quoted: show(q))) }
        }
        let dec: (UInt32) -> String = { String($0) }
        switch (sent.header, quoted.header) {
        case (.v4(let s), .v4(let q)):
            note("tos", s.tos, q.tos, hex8)
            note("ip_id", s.identification, q.identification) { String($0) }
            note("df", s.dontFragment, q.dontFragment) { String($0) }
            note("ip_length", s.totalLength, q.totalLength) { String($0) }
        case (.v6(let s), .v6(let q)):
            note("traffic_class", s.trafficClass, q.trafficClass, hex8)
            note("flow_label", s.flowLabel, q.flowLabel) { "0x" + String($0, radix: 16) }
            note("ip_length", 40 + UInt32(s.payloadLength), 40 + UInt32(q.payloadLength), dec)
        default:
            break
        }
        switch (sent.transport, quoted.transport) {
        case (.tcp(let s), .tcp(let q)):
            compareTCP(s, QuotedTCPFields(q), note: &out)
            let so = s.options.map(\.name), qo = q.options.map(\.name)
            note("tcp_options", so, qo) { $0.joined(separator: ",") }
            note("mss", mss(s.options), mss(q.options)) { $0.map { String($0) } ?? "none" }
        case (.tcp(let s), .tcpPrefix(let q)):
            compareTCP(s, QuotedTCPFields(q), note: &out)
        case (.udp(let s), .udp(let q)):
            note("sport", s.sourcePort, q.sourcePort) { String($0) }
            note("dport", s.destinationPort, q.destinationPort) { String($0) }
            note("udp_length", s.length, q.length) { String($0) }
            note("udp_checksum", s.checksum, q.checksum, hex16)
        case (.icmp(let s), .icmp(let q)):
            note("icmp_type", s.type, q.type) { String($0) }
            note("echo_id", s.identifier, q.identifier) { $0.map { String($0) } ?? "none" }
            note("echo_seq", s.sequence, q.sequence) { $0.map { String($0) } ?? "none" }
        default:
            break
        }
        return out
    }

    /// Compares the fixed TCP header fields present in `q` (8 bytes in most quotes).
    private static func compareTCP(_ s: TCPSegment, _ q: QuotedTCPFields, note out: inout [QuoteDifference]) {
        func note<T: Equatable>(_ field: String, _ sent: T, _ quoted: T?, _ show: (T) -> String) {
            if let quoted, quoted != sent { out.append(QuoteDifference(field: field, sent: show(sent), quoted: show(quoted))) }
        }
        note("sport", s.sourcePort, q.sourcePort) { String($0) }
        note("dport", s.destinationPort, q.destinationPort) { String($0) }
        note("seq", s.sequenceNumber, q.sequenceNumber) { String($0) }
        note("ack", s.acknowledgmentNumber, q.acknowledgmentNumber) { String($0) }
        note("tcp_flags", s.flags, q.flags) { $0.letters }
        note("window", s.window, q.window) { String($0) }
        note("tcp_checksum", s.checksum, q.checksum, hex16)
    }

    private static func mss(_ options: [TCPOption]) -> UInt16? {
        for o in options { if case .maximumSegmentSize(let v) = o { return v } }
        return nil
    }
}

/// The fixed TCP header fields of a quote; nil where the quote ends before the field.
private struct QuotedTCPFields {
    var sourcePort, destinationPort, window, checksum: UInt16?
    var sequenceNumber, acknowledgmentNumber: UInt32?
    var flags: TCPFlags?

    init(_ t: TCPSegment) {
        sourcePort = t.sourcePort
        destinationPort = t.destinationPort
        sequenceNumber = t.sequenceNumber
        acknowledgmentNumber = t.acknowledgmentNumber
        flags = t.flags
        window = t.window
        checksum = t.checksum
    }

    init(_ p: TCPHeaderPrefix) {
        sourcePort = p.sourcePort
        destinationPort = p.destinationPort
        sequenceNumber = p.sequenceNumber
        acknowledgmentNumber = p.acknowledgmentNumber
        flags = p.flags
        window = p.window
        checksum = p.checksum
    }
}

private func hex8(_ v: UInt8) -> String { "0x" + (v < 16 ? "0" : "") + String(v, radix: 16) }
private func hex16(_ v: UInt16) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 4 - s.count) + s
}
