import Packets

/// The TCP probe kind ("syn" for a SYN, "tcp" for any other flags): SYN variants, TCP
/// traceroute, ACK or FIN probes. The identifier is the source port and sequence number,
/// which a SYN-ACK or RST acknowledges, plus the IPv4 IP ID for ICMP quotes.
public enum TCPKind: ProbeKind {
    public static let names = ["syn", "tcp"]
    public static let summary = "TCP segments of any shape: SYN variants, TCP traceroute, ACK or FIN probes."
    public static let answerKinds: [AnswerKind] = [.synAck, .rst, .tcp]

    /// The sequence number an acknowledging answer carries: seq plus what the probe occupies
    /// in sequence space (SYN and FIN count one each, RFC 9293 §3.4).
    public static func expectedAcknowledgment(for segment: TCPSegment) -> UInt32 {
        var length = UInt32(truncatingIfNeeded: segment.payload.count)
        if segment.flags.contains(.syn) { length &+= 1 }
        if segment.flags.contains(.fin) { length &+= 1 }
        return segment.sequenceNumber &+ length
    }

    /// A TCP segment on the probe's flow reversed whose ACK, if set, acknowledges exactly
    /// the probe; a RST without ACK is accepted on the flow alone. ICMP errors quoting the
    /// probe are the correlator's generic business, not this kind's.
    public static func recognises(_ answer: IPPacket, for probe: Probe) -> Bool {
        guard let sent = probe.packet.transport.tcp, let got = answer.transport.tcp,
              answer.source == probe.destination, answer.destination == probe.source,
              got.sourcePort == sent.destinationPort, got.destinationPort == sent.sourcePort else { return false }
        if got.flags.contains(.ack) { return got.acknowledgmentNumber == expectedAcknowledgment(for: sent) }
        return got.flags.contains(.rst)
    }
}

extension ProbeBuilder {
    /// A TCP probe of `shape`; module "syn" when the flags are exactly SYN, else "tcp".
    /// Default label e.g. "syn linux ttl 64 #3".
    public func tcp(index: Int, shape: TCPProbeShape, sourcePort: UInt16, destinationPort: UInt16,
                    sequence: UInt32, ttl: UInt8, ipID: UInt16, label: String? = nil) throws(ProbeBuildError) -> Probe {
        let (options, payload) = try shape.layout(ipv6: isIPv6)
        let header = networkHeader(proto: 6, ttl: ttl, ipID: ipID, tos: shape.tos, dontFragment: shape.dontFragment)
        let segment = TCPSegment(sourcePort: sourcePort, destinationPort: destinationPort, sequenceNumber: sequence,
                                 flags: shape.flags, window: shape.window, options: options, payload: payload[...])
        let module = shape.flags == .syn ? "syn" : "tcp"
        let probe = try finish(index: index, module: module,
                               label: label ?? "\(module) \(shape.labelName) ttl \(ttl) #\(index)",
                               header: header, transport: .tcp(segment))
        guard probe.bytes.count == shape.packetLength(ipv6: isIPv6) else {
            throw .inconsistentPacket("length \(probe.bytes.count) instead of \(shape.packetLength(ipv6: isIPv6))")
        }
        return probe
    }
}
