import Packets

/// The DNS probe kind ("dns"): a standard query with recursion desired, as a stub resolver
/// sends it. The identifier is the message ID together with the question, which a
/// response echoes (and which on-path injectors copy, so the answer's fingerprint decides).
public enum DNSModule: ProbeModule {
    public static let moduleNames = ["dns"]

    /// The query a DNS probe carries, nil when the probe is not a DNS query.
    public static func query(of probe: Probe) -> DNSMessage? {
        guard let udp = probe.packet.transport.udp,
              let message = try? DNSMessage(decoding: Array(udp.payload)), !message.isResponse else { return nil }
        return message
    }

    /// A response with the probe's message ID and the same first question (name compared
    /// ASCII case-insensitively, type and class exactly), on the probe's flow reversed.
    public static func recognises(_ answer: IPPacket, for probe: Probe) -> Bool {
        guard UDPModule.isOnReversedFlow(answer, of: probe), let query = query(of: probe),
              let asked = query.questions.first, let payload = answer.transport.udp?.payload,
              let response = try? DNSMessage(decoding: Array(payload)),
              response.isResponse, response.id == query.id,
              let echoed = response.questions.first else { return false }
        return echoed.type == asked.type && echoed.qclass == asked.qclass
            && echoed.name.isWithin(asked.name) && asked.name.isWithin(echoed.name)
    }
}

extension ProbeBuilder {
    /// A standard query (opcode 0, RD set) for `name` and `type`, class IN, no EDNS.
    /// Default label e.g. "dns A example.com. ttl 64 #4".
    public func dnsQuery(index: Int, sourcePort: UInt16, destinationPort: UInt16, id: UInt16, name: String,
                         type: UInt16, ttl: UInt8, ipID: UInt16, label: String? = nil) throws(ProbeBuildError) -> Probe {
        guard let qname = DNSName(name) else { throw .invalidDNSName(name) }
        var query = DNSMessage(id: id, questions: [DNSQuestion(name: qname, type: type)])
        query.recursionDesired = true
        return try udpProbe(index: index, module: "dns",
                            label: label ?? "dns \(DNSType.name(type)) \(qname) ttl \(ttl) #\(index)",
                            sourcePort: sourcePort, destinationPort: destinationPort, payload: query.encoded(),
                            ttl: ttl, ipID: ipID, checksum: nil)
    }
}
