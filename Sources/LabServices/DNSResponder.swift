import Packets

/// The lab's authoritative-for-everything DNS answers. Pure: bytes in, bytes out.
public struct DNSResponder: Sendable {
    public var ipv4: [IPv4Address]
    public var ipv6: [IPv6Address]
    public var ttl: UInt32 = 60
    /// Names at or under this get NXDOMAIN (RFC 6761 reserves `.invalid`).
    public static let nonexistent = DNSName("invalid")!

    public init(ipv4: [IPv4Address], ipv6: [IPv6Address]) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    public struct Outcome: Sendable {
        /// Nil: send nothing (not a query, or too short to answer).
        public var response: [UInt8]?
        public var question: DNSQuestion?
        public var rcode: DNSRCode?
        public var answers: [IPAddress]
        public var note: String?
    }

    /// Answers one query. `maxSize` is 512 (or the client's EDNS size) over UDP, 65535 over TCP;
    /// a larger answer is sent truncated (TC set, no records) so the client retries over TCP.
    public func respond(to query: [UInt8], udp: Bool) -> Outcome {
        guard let (id, flags) = DNSMessage.header(of: query) else {
            return Outcome(response: nil, answers: [], note: "shorter than a DNS header")
        }
        var reply = DNSMessage(id: id, flags: flags & 0x7900)   // keep opcode and RD
        reply.isResponse = true
        guard flags & 0x8000 == 0 else {
            return Outcome(response: nil, answers: [], note: "a response, not a query")
        }
        let message: DNSMessage
        do {
            message = try DNSMessage(decoding: query)
        } catch {
            reply.rcode = .formatError
            return Outcome(response: reply.encoded(), rcode: .formatError, answers: [], note: "malformed query")
        }
        reply.checkingDisabled = message.checkingDisabled
        reply.questions = Array(message.questions.prefix(1))
        if message.opt != nil { reply.additionals = [.opt(udpPayloadSize: 1232)] }
        guard message.opcode == 0 else {
            return finish(reply, .notImplemented, [], udp: udp, clientSize: message.opt?.rclass, note: "opcode \(message.opcode)")
        }
        guard message.questions.count == 1, message.answers.isEmpty, message.authorities.isEmpty,
              message.additionals.filter({ $0.type == DNSType.opt }).count <= 1 else {
            reply.questions = []
            return finish(reply, .formatError, [], udp: udp, clientSize: nil, note: "not exactly one question")
        }
        let q = message.questions[0]
        reply.authoritative = true
        guard q.qclass == DNSClass.internet || q.qclass == 255 else {
            return finish(reply, .refused, [], udp: udp, clientSize: message.opt?.rclass, note: "class \(q.qclass)")
        }
        if q.name.isWithin(DNSResponder.nonexistent) {
            return finish(reply, .nameError, [], udp: udp, clientSize: message.opt?.rclass, note: nil)
        }
        var records: [DNSRecord] = []
        if q.type == DNSType.a || q.type == DNSType.any {
            records += ipv4.map { .a(q.name, $0, ttl: ttl) }
        }
        if q.type == DNSType.aaaa || q.type == DNSType.any {
            records += ipv6.map { .aaaa(q.name, $0, ttl: ttl) }
        }
        return finish(reply, .noError, records, udp: udp, clientSize: message.opt?.rclass, note: nil)
    }

    private func finish(_ reply: DNSMessage, _ rcode: DNSRCode, _ records: [DNSRecord],
                        udp: Bool, clientSize: UInt16?, note: String?) -> Outcome {
        var reply = reply
        reply.rcode = rcode
        reply.answers = records
        var bytes = reply.encoded()
        let limit = udp ? max(512, Int(min(clientSize ?? 512, 1232))) : 65535
        var answered = records.compactMap(\.address)
        if bytes.count > limit {
            reply.answers = []
            reply.truncated = true
            bytes = reply.encoded()
            answered = []
        }
        return Outcome(response: bytes, question: reply.questions.first, rcode: rcode, answers: answered, note: note)
    }
}
