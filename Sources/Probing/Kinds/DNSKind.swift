import JSONSupport
import Packets

/// The DNS probe kind ("dns"): a standard query with recursion desired, as a stub resolver
/// sends it. The transaction is the message ID; `recognises` also wants the question back
/// (which on-path injectors copy, so the answer's fingerprint decides).
public enum DNSKind: DatagramKind {
    public static let name = "dns"
    public static let summary = "Send a DNS query over UDP and report the answer."
    public static let defaultPort: UInt16 = 53
    public static let responseKind = AnswerKind.dnsResponse
    public static let parameters: [KindParameter] = [
        KindParameter(name: "name", type: .text(maxBytes: 255), defaultValue: .required, help: "The name to query.",
                      valueName: "NAME", allowed: "a DNS name"),
        KindParameter(name: "type", type: .text(maxBytes: 10), defaultValue: .value(.text("A")),
                      help: "The record type to ask for.", valueName: "TYPE",
                      allowed: "A, AAAA, TXT, NS, CNAME, SOA or a number"),
    ]

    /// The record type a `type` argument names: a mnemonic (any case) or a number.
    public static func typeCode(_ text: String) -> UInt16? {
        switch text.uppercased() {
        case "A": return DNSType.a
        case "AAAA": return DNSType.aaaa
        case "TXT": return DNSType.txt
        case "NS": return DNSType.ns
        case "CNAME": return DNSType.cname
        case "SOA": return DNSType.soa
        default: return UInt16(text)
        }
    }

    public static func validate(_ arguments: KindArguments) throws(KindParameterError) {
        let type = arguments.text("type") ?? "A"
        guard typeCode(type) != nil else {
            throw KindParameterError(parameter: "type", problem: "must be A, AAAA, TXT, NS, CNAME, SOA or a number, not '\(KindParameter.clip(type))'")
        }
        let name = arguments.text("name") ?? ""
        guard DNSName(name) != nil else {
            throw KindParameterError(parameter: "name",
                                     problem: "must be a DNS name (labels of 1 to 63 bytes, 255 bytes in all), not \"\(KindParameter.clip(name))\"")
        }
    }

    public static func request(_ arguments: KindArguments, random: inout some RandomNumberGenerator) throws(ProbeBuildError) -> DatagramRequest {
        let name = arguments.text("name") ?? "", type = arguments.text("type") ?? "A"
        guard let qname = DNSName(name) else { throw .invalidDNSName(name) }
        var query = DNSMessage(id: UInt16.random(in: 0...UInt16.max, using: &random),
                               questions: [DNSQuestion(name: qname, type: typeCode(type) ?? DNSType.a)])
        query.recursionDesired = true
        return DatagramRequest(payload: query.encoded(), label: "dns \(type.uppercased()) \(name)")
    }

    /// The message ID of a query (QR clear).
    public static func requestTransaction(_ payload: ArraySlice<UInt8>) -> TransactionID? {
        guard payload.count >= DNSMessage.headerLength, payload[payload.startIndex + 2] & 0x80 == 0 else { return nil }
        return TransactionID(payload.bytes(at: 0, count: 2))
    }

    /// The message ID of a response (QR set); the header is enough.
    public static func responseTransaction(_ payload: ArraySlice<UInt8>) -> TransactionID? {
        guard payload.count >= DNSMessage.headerLength, payload[payload.startIndex + 2] & 0x80 != 0 else { return nil }
        return TransactionID(payload.bytes(at: 0, count: 2))
    }

    /// The query a DNS probe carries, nil when the probe is not a DNS query.
    public static func query(of probe: Probe) -> DNSMessage? {
        guard let udp = probe.packet.transport.udp,
              let message = try? DNSMessage(decoding: Array(udp.payload)), !message.isResponse else { return nil }
        return message
    }

    /// A response with the probe's message ID and the same first question (name compared
    /// ASCII case-insensitively, type and class exactly), on the probe's flow reversed.
    public static func recognises(_ answer: IPPacket, for probe: Probe) -> Bool {
        guard UDPKind.isOnReversedFlow(answer, of: probe), let query = query(of: probe),
              let asked = query.questions.first, let payload = answer.transport.udp?.payload,
              let response = try? DNSMessage(decoding: Array(payload)),
              response.isResponse, response.id == query.id,
              let echoed = response.questions.first else { return false }
        return echoed.type == asked.type && echoed.qclass == asked.qclass
            && echoed.name.isWithin(asked.name) && asked.name.isWithin(echoed.name)
    }

    /// The response an answer carries, if it decodes.
    public static func message(_ answer: Answer?) -> DNSMessage? {
        guard let payload = payload(of: answer) else { return nil }
        return try? DNSMessage(decoding: Array(payload))
    }

    /// Each answer record as "NAME TTL TYPE DATA" (addresses in text, other data in hex).
    public static func records(_ m: DNSMessage) -> [String] {
        m.answers.map { record in
            let data: String
            switch (record.type, record.data.count) {
            case (DNSType.a, 4): data = IPv4Address(record.data[0], record.data[1], record.data[2], record.data[3]).description
            case (DNSType.aaaa, 16): data = IPv6Address(bytes: record.data)?.description ?? Hex.encode(record.data)
            default: data = Hex.encode(record.data)
            }
            return "\(record.name) \(record.ttl) \(DNSType.name(record.type)) \(data)"
        }
    }

    public static func resultFields(probe: Probe, answer: Answer?) -> [(key: String, value: JSONValue)] {
        guard let m = message(answer) else { return [("rcode", .null), ("records", .array([]))] }
        return [("rcode", .string(m.rcode.description)), ("records", .array(records(m).map { .string($0) }))]
    }

    public static func textDetail(_ answer: Answer) -> String? {
        message(answer).map { m in ([m.rcode.description] + records(m)).joined(separator: "; ") }
    }
}

extension AnswerKind {
    /// A DNS response with the query's message ID.
    public static let dnsResponse = AnswerKind(rawValue: "dns-response")
}

extension ProbeBuilder {
    /// A standard query (opcode 0, RD set) for `name` and `type`, class IN, no EDNS.
    /// Default label e.g. "dns A example.com. ttl 64 #4".
    public func dnsQuery(index: Int, sourcePort: UInt16, destinationPort: UInt16, id: UInt16, name: String,
                         type: UInt16, ttl: UInt8, ipID: UInt16, label: String? = nil) throws(ProbeBuildError) -> Probe {
        guard let qname = DNSName(name) else { throw .invalidDNSName(name) }
        var query = DNSMessage(id: id, questions: [DNSQuestion(name: qname, type: type)])
        query.recursionDesired = true
        return try udpProbe(index: index, module: DNSKind.name,
                            label: label ?? "dns \(DNSType.name(type)) \(qname) ttl \(ttl) #\(index)",
                            sourcePort: sourcePort, destinationPort: destinationPort, payload: query.encoded(),
                            ttl: ttl, ipID: ipID, checksum: nil)
    }
}
