// DNS wire format: decoding (with compression pointers) and encoding (with suffix compression).

extension DNSMessage {
    public static let headerLength = 12

    /// Decodes a whole message (a UDP payload, or a TCP message without its length prefix).
    public init(decoding bytes: [UInt8]) throws(DNSError) {
        var r = DNSReader(bytes: bytes)
        let id = try r.u16(), flags = try r.u16()
        let qd = Int(try r.u16()), an = Int(try r.u16()), ns = Int(try r.u16()), ar = Int(try r.u16())
        var questions: [DNSQuestion] = []
        for _ in 0..<qd {
            questions.append(DNSQuestion(name: try r.name(), type: try r.u16(), qclass: try r.u16()))
        }
        func records(_ n: Int) throws(DNSError) -> [DNSRecord] {
            var out: [DNSRecord] = []
            for _ in 0..<n {
                let name = try r.name(), type = try r.u16(), rclass = try r.u16(), ttl = try r.u32()
                let length = Int(try r.u16())
                out.append(DNSRecord(name: name, type: type, rclass: rclass, ttl: ttl, data: try r.bytes(length)))
            }
            return out
        }
        let answers = try records(an), authorities = try records(ns), additionals = try records(ar)
        self.init(id: id, flags: flags, questions: questions, answers: answers,
                  authorities: authorities, additionals: additionals)
    }

    /// Reads only the 12-byte header's id and flags (enough to answer FORMERR to a message
    /// whose body is garbage). Nil when shorter than a header.
    public static func header(of bytes: [UInt8]) -> (id: UInt16, flags: UInt16)? {
        guard bytes.count >= headerLength else { return nil }
        return (UInt16(bytes[0]) << 8 | UInt16(bytes[1]), UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
    }

    /// Encodes; names are compressed against earlier names (suffixes, case-sensitively so
    /// the question's 0x20 case pattern is echoed exactly). Record data is written as is.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.appendU16(id)
        out.appendU16(flags)
        for n in [questions.count, answers.count, authorities.count, additionals.count] {
            out.appendU16(UInt16(truncatingIfNeeded: n))
        }
        var offsets: [[[UInt8]]: Int] = [:]
        for q in questions {
            DNSMessage.write(q.name, into: &out, offsets: &offsets)
            out.appendU16(q.type)
            out.appendU16(q.qclass)
        }
        for rr in answers + authorities + additionals {
            DNSMessage.write(rr.name, into: &out, offsets: &offsets)
            out.appendU16(rr.type)
            out.appendU16(rr.rclass)
            out.appendU32(rr.ttl)
            out.appendU16(UInt16(truncatingIfNeeded: rr.data.count))
            out += rr.data
        }
        return out
    }

    private static func write(_ name: DNSName, into out: inout [UInt8], offsets: inout [[[UInt8]]: Int]) {
        let labels = name.labels
        for i in labels.indices {
            let suffix = Array(labels[i...])
            if let at = offsets[suffix] {
                out.appendU16(0xC000 | UInt16(at))
                return
            }
            if out.count < 0x3FFF { offsets[suffix] = out.count }
            out.append(UInt8(truncatingIfNeeded: labels[i].count))
            out += labels[i]
        }
        out.append(0)
    }
}

/// A bounds-checked cursor over a DNS message.
struct DNSReader {
    let bytes: [UInt8]
    var offset = 0

    mutating func u16() throws(DNSError) -> UInt16 {
        guard offset + 2 <= bytes.count else { throw .truncated }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32() throws(DNSError) -> UInt32 {
        let hi = try u16(), lo = try u16()
        return UInt32(hi) << 16 | UInt32(lo)
    }

    mutating func bytes(_ n: Int) throws(DNSError) -> [UInt8] {
        guard n >= 0, offset + n <= bytes.count else { throw .truncated }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    /// A possibly compressed name. Each pointer must point before the label that holds it,
    /// so following pointers always terminates.
    mutating func name() throws(DNSError) -> DNSName {
        var labels: [[UInt8]] = []
        var length = 1
        var at = offset
        var resume: Int?          // where reading continues after the first pointer
        var limit = offset        // pointers must target strictly below this
        while true {
            guard at < bytes.count else { throw .truncated }
            let len = Int(bytes[at])
            switch len & 0xC0 {
            case 0x00:
                if len == 0 {
                    offset = resume ?? at + 1
                    return DNSName(labels: labels)
                }
                guard at + 1 + len <= bytes.count else { throw .truncated }
                length += 1 + len
                guard length <= 255 else { throw .nameTooLong }
                labels.append(Array(bytes[(at + 1)...(at + len)]))
                at += 1 + len
            case 0xC0:
                guard at + 2 <= bytes.count else { throw .truncated }
                let target = (len & 0x3F) << 8 | Int(bytes[at + 1])
                guard target < limit else { throw .badPointer }
                if resume == nil { resume = at + 2 }
                limit = target
                at = target
            default:
                throw .badLabel   // 0x40 / 0x80: extended label types, obsolete
            }
        }
    }
}
