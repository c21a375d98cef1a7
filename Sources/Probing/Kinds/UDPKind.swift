import Packets

/// The plain UDP probe kind ("udp"): UDP Paris traceroute and raw datagrams. The identifier
/// is the 5-tuple plus the UDP checksum (Paris traceroute), which ICMP errors quote, and the
/// IPv4 IP ID.
public enum UDPKind: ProbeKind {
    public static let names = ["udp"]
    public static let summary = "A UDP datagram to a port: UDP Paris traceroute and raw datagrams."
    public static let answerKinds: [AnswerKind] = [.udp]

    /// Any datagram from the probed address and port back to the probe's source port.
    public static func recognises(_ answer: IPPacket, for probe: Probe) -> Bool {
        isOnReversedFlow(answer, of: probe)
    }

    /// The answer is UDP from the probe's destination address and port to its source
    /// address and port; shared by the UDP application kinds (`DatagramKind`).
    public static func isOnReversedFlow(_ answer: IPPacket, of probe: Probe) -> Bool {
        guard let sent = probe.packet.transport.udp, let got = answer.transport.udp else { return false }
        return answer.source == probe.destination && answer.destination == probe.source
            && got.sourcePort == sent.destinationPort && got.destinationPort == sent.sourcePort
    }
}

extension ProbeBuilder {
    /// A UDP datagram carrying `payload`.
    ///
    /// `checksum` (Paris traceroute): the UDP checksum is made this value by replacing the
    /// first two payload bytes (a payload shorter than 2 bytes is first padded with zeros to
    /// 2). 0 is refused: it means "no checksum" in IPv4 and is never computed (RFC 768).
    /// 0xFFFF is allowed: it is how a computed zero is sent. Default label "udp ttl 5 #7".
    public func udp(index: Int, sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8], ttl: UInt8,
                    ipID: UInt16, checksum: UInt16? = nil, label: String? = nil) throws(ProbeBuildError) -> Probe {
        try udpProbe(index: index, module: "udp", label: label ?? "udp ttl \(ttl) #\(index)",
                     sourcePort: sourcePort, destinationPort: destinationPort, payload: payload,
                     ttl: ttl, ipID: ipID, checksum: checksum)
    }

    /// The UDP probe of any kind name (the datagram kinds build through here).
    func udpProbe(index: Int, module: String, label: String, sourcePort: UInt16, destinationPort: UInt16,
                  payload: [UInt8], ttl: UInt8, ipID: UInt16, checksum: UInt16?) throws(ProbeBuildError) -> Probe {
        guard ipHeaderLength + 8 + payload.count <= 65535 else {
            throw .packetTooLarge(length: ipHeaderLength + 8 + payload.count)
        }
        let header = networkHeader(proto: 17, ttl: ttl, ipID: ipID, tos: tos, dontFragment: dontFragment)
        func datagram(_ body: [UInt8]) -> UDPDatagram {
            UDPDatagram(sourcePort: sourcePort, destinationPort: destinationPort,
                        length: UInt16(truncatingIfNeeded: 8 + body.count), payload: body[...])
        }
        var body = payload
        if let target = checksum {
            guard target != 0 else { throw .zeroUDPChecksum }
            if body.count < 2 { body += [UInt8](repeating: 0, count: 2 - body.count) }
            body[0] = 0
            body[1] = 0
            let current = ProbeBuilder.rawChecksum(.udp(datagram(body)), under: header)
            // The serialiser sends a computed 0 as 0xFFFF, so 0xFFFF is reached by computing 0.
            let raw: UInt16 = target == 0xFFFF ? 0 : target
            guard let word = ChecksumCompensation.word(current: current, target: raw) else {
                throw .inconsistentPacket("no compensation word for UDP checksum \(target)")
            }
            ChecksumCompensation.store(word, in: &body, at: 0)   // offset 8 in the datagram: aligned
        }
        let probe = try finish(index: index, module: module, label: label, header: header, transport: .udp(datagram(body)))
        if let target = checksum, probe.packet.transport.udp?.checksum != target {
            throw .inconsistentPacket("UDP checksum is not the requested \(target)")
        }
        return probe
    }
}
