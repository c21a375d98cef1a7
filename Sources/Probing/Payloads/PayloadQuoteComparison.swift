import Packets

/// Compares the data segment we sent (as captured leaving us) with the copy an ICMP error
/// quotes, field by field, in the manner of tracebox: what a middlebox before the quoting
/// router rewrote. The TTL and the IPv4 header checksum, which every router changes, are
/// left out, and so are fields the quote is too short to hold.
enum PayloadQuoteComparison {
    static func differences(sent: IPPacket?, quoted: IPPacket) -> [QuoteDifference] {
        guard let sent else { return [] }
        var out: [QuoteDifference] = []
        func check<T: Equatable>(_ field: String, _ a: T?, _ b: T?, _ text: (T) -> String = { "\($0)" }) {
            guard let a, let b, a != b else { return }
            out.append(QuoteDifference(field: field, sent: text(a), quoted: text(b)))
        }
        switch (sent.header, quoted.header) {
        case (.v4(let s), .v4(let q)):
            check("tos", s.tos, q.tos)
            check("ip_id", s.identification, q.identification)
            check("df", s.dontFragment, q.dontFragment)
            check("ip_length", s.totalLength, q.totalLength)
            check("ip_options", s.options, q.options) { Hex.encode($0) }
        case (.v6(let s), .v6(let q)):
            check("tos", s.trafficClass, q.trafficClass)
            check("flow_label", s.flowLabel, q.flowLabel)
            check("ip_length", s.payloadLength, q.payloadLength)
        default:
            out.append(QuoteDifference(field: "ip_version", sent: version(sent), quoted: version(quoted)))
            return out
        }
        guard let mine = sent.transport.tcp else { return out }
        // A segment captured on its way out usually has only the pseudo-header sum in its
        // checksum field (the NIC, or veth, fills the rest): compare checksums only when
        // the captured one is complete.
        let offloadFree = sent.transportChecksumIsValid == true
        switch quoted.transport {
        case .tcp(let t):
            check("sport", mine.sourcePort, t.sourcePort)
            check("dport", mine.destinationPort, t.destinationPort)
            check("seq", mine.sequenceNumber, t.sequenceNumber)
            check("ack", mine.acknowledgmentNumber, t.acknowledgmentNumber)
            check("tcp_flags", mine.flags.rawValue, t.flags.rawValue) { TCPFlags(rawValue: $0).letters }
            check("window", mine.window, t.window)
            if offloadFree { check("tcp_checksum", mine.checksum, t.checksum) }
            check("tcp_options", mine.options.map(\.name), t.options.map(\.name)) { $0.joined(separator: ",") }
            check("mss", mss(mine.options), mss(t.options))
            // Only as many payload bytes as the router quoted.
            let n = min(mine.payload.count, t.payload.count)
            if !mine.payload.prefix(n).elementsEqual(t.payload.prefix(n)) {
                out.append(QuoteDifference(field: "payload", sent: Hex.encode(mine.payload.prefix(min(n, 32))),
                                           quoted: Hex.encode(t.payload.prefix(min(n, 32)))))
            }
        case .tcpPrefix(let p):
            check("sport", mine.sourcePort, p.sourcePort)
            check("dport", mine.destinationPort, p.destinationPort)
            check("seq", mine.sequenceNumber, p.sequenceNumber)
            check("ack", mine.acknowledgmentNumber, p.acknowledgmentNumber)
            check("tcp_flags", mine.flags.rawValue, p.flags?.rawValue) { TCPFlags(rawValue: $0).letters }
            check("window", mine.window, p.window)
            if offloadFree { check("tcp_checksum", mine.checksum, p.checksum) }
        default:
            break
        }
        return out
    }

    private static func mss(_ options: [TCPOption]) -> UInt16? {
        for case .maximumSegmentSize(let v) in options { return v }
        return nil
    }

    private static func version(_ p: IPPacket) -> String {
        if case .v4 = p.header { return "4" }
        return "6"
    }
}
