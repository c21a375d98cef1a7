// DNS messages (RFC 1035, EDNS OPT of RFC 6891): decode with compression, encode with
// suffix compression. Pure: the lab's DNS responder and DNS probes share it.
// Decoding never traps: every length and pointer is checked, pointers may only go backwards.

public struct DNSMessage: Sendable, Equatable {
    public var id: UInt16
    /// The second header word: QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE.
    public var flags: UInt16
    public var questions: [DNSQuestion]
    public var answers: [DNSRecord]
    public var authorities: [DNSRecord]
    public var additionals: [DNSRecord]

    public init(id: UInt16, flags: UInt16 = 0, questions: [DNSQuestion] = [], answers: [DNSRecord] = [],
                authorities: [DNSRecord] = [], additionals: [DNSRecord] = []) {
        self.id = id
        self.flags = flags
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
    }

    public var isResponse: Bool { get { bit(15) } set { set(15, newValue) } }
    public var opcode: UInt8 {
        get { UInt8((flags >> 11) & 0xF) }
        set { flags = flags & ~0x7800 | UInt16(newValue & 0xF) << 11 }
    }
    public var authoritative: Bool { get { bit(10) } set { set(10, newValue) } }
    public var truncated: Bool { get { bit(9) } set { set(9, newValue) } }
    public var recursionDesired: Bool { get { bit(8) } set { set(8, newValue) } }
    public var recursionAvailable: Bool { get { bit(7) } set { set(7, newValue) } }
    public var checkingDisabled: Bool { get { bit(4) } set { set(4, newValue) } }
    /// The header's 4-bit RCODE (an OPT record may extend it).
    public var rcode: DNSRCode {
        get { DNSRCode(rawValue: UInt8(flags & 0xF)) }
        set { flags = flags & ~0xF | UInt16(newValue.rawValue & 0xF) }
    }

    /// The EDNS OPT pseudo-record, if any.
    public var opt: DNSRecord? { additionals.first { $0.type == DNSType.opt } }

    private func bit(_ n: Int) -> Bool { flags & (1 << n) != 0 }
    private mutating func set(_ n: Int, _ on: Bool) { flags = on ? flags | (1 << n) : flags & ~(1 << n) }
}

public struct DNSRCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let noError = DNSRCode(rawValue: 0)
    public static let formatError = DNSRCode(rawValue: 1)
    public static let serverFailure = DNSRCode(rawValue: 2)
    public static let nameError = DNSRCode(rawValue: 3)
    public static let notImplemented = DNSRCode(rawValue: 4)
    public static let refused = DNSRCode(rawValue: 5)

    public var description: String {
        ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]
            .dropFirst(Int(rawValue)).first ?? "RCODE\(rawValue)"
    }
}

public enum DNSType {
    public static let a: UInt16 = 1
    public static let ns: UInt16 = 2
    public static let cname: UInt16 = 5
    public static let soa: UInt16 = 6
    public static let txt: UInt16 = 16
    public static let aaaa: UInt16 = 28
    public static let opt: UInt16 = 41
    public static let any: UInt16 = 255

    public static func name(_ t: UInt16) -> String {
        switch t {
        case a: return "A"
        case ns: return "NS"
        case cname: return "CNAME"
        case soa: return "SOA"
        case txt: return "TXT"
        case aaaa: return "AAAA"
        case opt: return "OPT"
        case any: return "ANY"
        default: return "TYPE\(t)"
        }
    }
}

public enum DNSClass {
    public static let internet: UInt16 = 1
}

public struct DNSQuestion: Sendable, Equatable {
    public var name: DNSName
    public var type: UInt16
    public var qclass: UInt16

    public init(name: DNSName, type: UInt16, qclass: UInt16 = DNSClass.internet) {
        self.name = name
        self.type = type
        self.qclass = qclass
    }
}

public struct DNSRecord: Sendable, Equatable {
    public var name: DNSName
    public var type: UInt16
    /// The class; for OPT, the requester's UDP payload size.
    public var rclass: UInt16
    public var ttl: UInt32
    public var data: [UInt8]

    public init(name: DNSName, type: UInt16, rclass: UInt16 = DNSClass.internet, ttl: UInt32, data: [UInt8]) {
        self.name = name
        self.type = type
        self.rclass = rclass
        self.ttl = ttl
        self.data = data
    }

    public static func a(_ name: DNSName, _ address: IPv4Address, ttl: UInt32) -> DNSRecord {
        DNSRecord(name: name, type: DNSType.a, ttl: ttl, data: address.bytes)
    }

    public static func aaaa(_ name: DNSName, _ address: IPv6Address, ttl: UInt32) -> DNSRecord {
        DNSRecord(name: name, type: DNSType.aaaa, ttl: ttl, data: address.bytes)
    }

    /// An EDNS(0) OPT record advertising `udpPayloadSize`, no options.
    public static func opt(udpPayloadSize: UInt16) -> DNSRecord {
        DNSRecord(name: .root, type: DNSType.opt, rclass: udpPayloadSize, ttl: 0, data: [])
    }

    /// The address an A or AAAA record holds.
    public var address: IPAddress? {
        switch (type, data.count) {
        case (DNSType.a, 4): return .v4(IPv4Address(data[0], data[1], data[2], data[3]))
        case (DNSType.aaaa, 16): return IPv6Address(bytes: data).map { .v6($0) }
        default: return nil
        }
    }
}

/// A domain name as its labels' raw octets (case and any byte preserved).
public struct DNSName: Sendable, Hashable, CustomStringConvertible {
    public var labels: [[UInt8]]

    public static let root = DNSName(labels: [])

    public init(labels: [[UInt8]]) { self.labels = labels }

    /// Dotted text, with or without the final dot. Nil for empty labels or over-long names.
    public init?(_ text: String) {
        var t = Substring(text)
        if t.hasSuffix(".") { t = t.dropLast() }
        if t.isEmpty { self = .root; return }
        let labels = t.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
        guard labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 }) else { return nil }
        self.init(labels: labels)
        guard wireLength <= 255 else { return nil }
    }

    /// Length on the wire, uncompressed.
    public var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.count } }

    /// Dotted text with a final dot; dots, backslashes and unprintable bytes escaped as dig does.
    public var description: String {
        if labels.isEmpty { return "." }
        var s = ""
        for label in labels {
            for b in label {
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    s += "\\" + String(UnicodeScalar(b))
                case 0x21...0x7E: s.unicodeScalars.append(UnicodeScalar(b))
                default:
                    let d = String(b)
                    s += "\\" + String(repeating: "0", count: 3 - d.count) + d
                }
            }
            s += "."
        }
        return s
    }

    /// True when this name equals `other` or lies under it, comparing ASCII case-insensitively.
    public func isWithin(_ other: DNSName) -> Bool {
        guard labels.count >= other.labels.count else { return false }
        return zip(labels.suffix(other.labels.count), other.labels).allSatisfy { DNSName.equalFolded($0, $1) }
    }

    private static func equalFolded(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { fold($0) == fold($1) }
    }

    private static func fold(_ b: UInt8) -> UInt8 { (0x41...0x5A).contains(b) ? b | 0x20 : b }
}

public enum DNSError: Error, Equatable, Sendable {
    case truncated
    case badLabel
    case badPointer
    case nameTooLong
}
