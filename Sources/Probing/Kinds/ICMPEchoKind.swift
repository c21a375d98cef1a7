import Packets

/// The ICMP echo probe kind ("icmp"): ping, and ICMP Paris traceroute. The identifier is
/// the echo identifier and sequence number, which the reply echoes and an ICMP error
/// quotes, plus the IPv4 IP ID.
public enum ICMPEchoKind: ProbeKind {
    public static let names = ["icmp"]
    public static let summary = "ICMP (v6) echo requests of any size: ping, and ICMP Paris traceroute."
    public static let answerKinds: [AnswerKind] = [.echoReply]

    /// An echo reply from the probed address with the probe's identifier and sequence.
    public static func recognises(_ answer: IPPacket, for probe: Probe) -> Bool {
        guard let sent = probe.packet.transport.icmp, let got = answer.transport.icmp,
              got.isEchoReply, got.family == sent.family,
              answer.source == probe.destination, answer.destination == probe.source else { return false }
        return got.identifier == sent.identifier && got.sequence == sent.sequence
    }
}

extension ProbeBuilder {
    /// An echo request (ICMP type 8 / ICMPv6 type 128) with `payloadSize` zero bytes.
    ///
    /// `constantChecksum` (Paris traceroute): the first two payload bytes are chosen so the
    /// checksum is this value whatever the identifier and sequence (RFC 1624 arithmetic; for
    /// ICMPv6 over the pseudo-header too). It needs `payloadSize` >= 2, and cannot be 0xFFFF.
    /// Default label e.g. "icmp echo ttl 5 #7".
    public func icmpEcho(index: Int, identifier: UInt16, sequence: UInt16, payloadSize: Int, ttl: UInt8,
                         ipID: UInt16, constantChecksum: UInt16? = nil, label: String? = nil) throws(ProbeBuildError) -> Probe {
        guard payloadSize >= 0 else { throw .negativePayloadSize(payloadSize) }
        guard ipHeaderLength + 8 + payloadSize <= 65535 else {
            throw .packetTooLarge(length: ipHeaderLength + 8 + payloadSize)
        }
        let family: ICMPMessage.Family = isIPv6 ? .v6 : .v4
        let header = networkHeader(proto: isIPv6 ? 58 : 1, ttl: ttl, ipID: ipID, tos: tos, dontFragment: dontFragment)
        var payload = [UInt8](repeating: 0, count: payloadSize)
        func message(_ body: [UInt8]) -> ICMPMessage {
            ICMPMessage(family: family, type: isIPv6 ? 128 : 8, code: 0,
                        restOfHeader: UInt32(identifier) << 16 | UInt32(sequence), body: body[...])
        }
        if let target = constantChecksum {
            guard payloadSize >= 2 else { throw .payloadTooShortForChecksum(payloadSize: payloadSize) }
            let current = ProbeBuilder.rawChecksum(.icmp(message(payload)), under: header)
            guard let word = ChecksumCompensation.word(current: current, target: target) else {
                throw .unreachableICMPChecksum
            }
            ChecksumCompensation.store(word, in: &payload, at: 0)   // offset 8 in the message: aligned
        }
        let probe = try finish(index: index, module: "icmp", label: label ?? "icmp echo ttl \(ttl) #\(index)",
                               header: header, transport: .icmp(message(payload)))
        if let target = constantChecksum, probe.packet.transport.icmp?.checksum != target {
            throw .inconsistentPacket("ICMP checksum is not the requested \(target)")
        }
        return probe
    }
}
