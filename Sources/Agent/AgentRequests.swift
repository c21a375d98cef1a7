import JSONSupport
import Packets

/// `POST /v1/trace`: trace from the agent back towards the requester.
public struct AgentTraceRequest: Hashable, Sendable {
    /// "tcp", "udp" or "icmp".
    public var method: String
    /// Destination port (tcp and udp; the trace's default when nil).
    public var port: UInt16?
    /// SYN variant for tcp: bare, mss, linux, windows or macos (the trace's default when nil).
    public var variant: String?
    /// Largest TTL (1–64; 30 when nil).
    public var maxTTL: Int?
    /// The address to trace, when not the requester's own (only the token's scope is allowed).
    public var target: IPAddress?

    public static let methods = ["tcp", "udp", "icmp"]
    public static let variants = ["bare", "mss", "linux", "windows", "macos"]
    static let fields = ["method", "port", "variant", "max_ttl", "target"]

    public init(method: String, port: UInt16? = nil, variant: String? = nil, maxTTL: Int? = nil, target: IPAddress? = nil) {
        self.method = method
        self.port = port
        self.variant = variant
        self.maxTTL = maxTTL
        self.target = target
    }

    /// Decodes and validates a request body; a refusal (400) names the field at fault.
    public init(body: [UInt8]) throws(AgentRefusal) {
        let f = try RequestFields(try RequestFields.parse(body), what: "a trace request", allowed: Self.fields)
        guard let method = try f.string("method") else {
            throw .badRequest("field 'method' is missing: give \"tcp\", \"udp\" or \"icmp\"")
        }
        guard Self.methods.contains(method) else {
            throw .badRequest("field 'method' must be \"tcp\", \"udp\" or \"icmp\", not '\(RequestFields.printable(method))'")
        }
        self.method = method
        port = try f.integer("port", in: 1...65535).map { UInt16($0) }
        if method == "icmp", port != nil { throw .badRequest("field 'port' does not apply to method icmp") }
        variant = try f.string("variant")
        if let variant {
            guard method == "tcp" else { throw .badRequest("field 'variant' applies only to method tcp") }
            guard Self.variants.contains(variant) else {
                throw .badRequest("field 'variant' must be one of \(Self.variants.joined(separator: ", ")), not '\(RequestFields.printable(variant))'")
            }
        }
        maxTTL = try f.integer("max_ttl", in: 1...64)
        target = try f.address("target")
    }

    /// The request body.
    public var json: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [("method", .string(method))]
        if let port { fields.append(("port", .number(port))) }
        if let variant { fields.append(("variant", .string(variant))) }
        if let maxTTL { fields.append(("max_ttl", .number(maxTTL))) }
        if let target { fields.append(("target", .string(target.description))) }
        return .object(fields)
    }
}

/// What a reverse connection carries after its handshake.
public enum ReversePayload: Hashable, Sendable {
    /// An HTTP GET with this Host.
    case httpHost(String)
    /// A TLS ClientHello with this SNI.
    case tlsSNI(String)
    /// These bytes.
    case bytes([UInt8])

    /// Longest raw payload: one segment on any path.
    public static let maximumBytes = 1400
    /// Longest host name (DNS limit).
    public static let maximumNameLength = 253

    /// The request's `payload` object.
    /// The key the payload goes under and its value.
    public var key: String {
        switch self {
        case .httpHost: return "http_host"
        case .tlsSNI: return "tls_sni"
        case .bytes: return "hex"
        }
    }

    public var value: String {
        switch self {
        case .httpHost(let h): return h
        case .tlsSNI(let s): return s
        case .bytes(let b): return Hex.encode(b)
        }
    }

    public var json: JSONValue {
        switch self {
        case .httpHost(let h): return .object([("http_host", .string(h))])
        case .tlsSNI(let s): return .object([("tls_sni", .string(s))])
        case .bytes(let b): return .object([("hex", .string(Hex.encode(b)))])
        }
    }

    /// Decodes the `payload` object: exactly one of http_host, tls_sni, hex.
    init(_ value: JSONValue) throws(AgentRefusal) {
        let f = try RequestFields(value, what: "field 'payload'", allowed: ["http_host", "tls_sni", "hex"], prefix: "payload.")
        let given = ["http_host", "tls_sni", "hex"].filter { f.has($0) }
        guard given.count == 1, let key = given.first else {
            throw .badRequest("field 'payload' must hold exactly one of http_host, tls_sni and hex")
        }
        guard let text = try f.string(key) else { throw .badRequest("field 'payload.\(key)' must be a string") }
        switch key {
        case "hex":
            guard text.utf8.count <= 2 * Self.maximumBytes + 64, let bytes = try? Hex.decode(text) else {
                throw .badRequest("field 'payload.hex' must be an even number of hex digits")
            }
            guard bytes.count <= Self.maximumBytes else {
                throw .badRequest("field 'payload.hex' holds \(bytes.count) bytes; at most \(Self.maximumBytes) are sent")
            }
            self = .bytes(bytes)
        default:
            try Self.checkName(text, field: "payload.\(key)", allowPort: key == "http_host")
            self = key == "http_host" ? .httpHost(text) : .tlsSNI(text)
        }
    }

    /// A host name: 1–253 bytes of letters, digits, `-`, `.`, `_` (and `:[]` for a Host
    /// with a port or an IPv6 literal): nothing that could end a header line.
    static func checkName(_ name: String, field: String, allowPort: Bool) throws(AgentRefusal) {
        let bytes = Array(name.utf8)
        guard (1...maximumNameLength).contains(bytes.count) else {
            throw .badRequest("field '\(field)' must be 1 to \(maximumNameLength) bytes long")
        }
        let extra: [UInt8] = allowPort ? Array(":[]".utf8) : []
        let ok = bytes.allSatisfy { b in
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
                || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || extra.contains(b)
        }
        guard ok else {
            throw .badRequest("field '\(field)' may hold only letters, digits, '-', '.' and '_'\(allowPort ? " (and ':' with '[]' for a port or IPv6 address)" : "")")
        }
    }
}

/// `POST /v1/reverse`: a TCP connection from the agent's port `sport` to the requester's
/// port `dport`, the payload sent once the handshake completes.
public struct AgentReverseRequest: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var payload: ReversePayload
    /// TTL of the payload (the handshake goes at full TTL); 64 when nil.
    public var ttl: Int?
    /// The address to connect to, when not the requester's own (only the token's scope is allowed).
    public var target: IPAddress?

    static let fields = ["sport", "dport", "payload", "ttl", "target"]

    public init(sourcePort: UInt16, destinationPort: UInt16, payload: ReversePayload, ttl: Int? = nil, target: IPAddress? = nil) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.payload = payload
        self.ttl = ttl
        self.target = target
    }

    /// Decodes and validates a request body; a refusal (400) names the field at fault.
    public init(body: [UInt8]) throws(AgentRefusal) {
        let f = try RequestFields(try RequestFields.parse(body), what: "a reverse request", allowed: Self.fields)
        guard let sport = try f.integer("sport", in: 1...65535) else {
            throw .badRequest("field 'sport' is missing: give the agent's source port, e.g. 80")
        }
        guard let dport = try f.integer("dport", in: 1...65535) else {
            throw .badRequest("field 'dport' is missing: give the requester's port to connect to, e.g. 80")
        }
        guard let payload = f.value("payload") else {
            throw .badRequest("field 'payload' is missing: give {\"http_host\": NAME}, {\"tls_sni\": NAME} or {\"hex\": BYTES}")
        }
        sourcePort = UInt16(sport)
        destinationPort = UInt16(dport)
        self.payload = try ReversePayload(payload)
        ttl = try f.integer("ttl", in: 1...255)
        target = try f.address("target")
    }

    /// The request body.
    public var json: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("sport", .number(sourcePort)), ("dport", .number(destinationPort)), ("payload", payload.json),
        ]
        if let ttl { fields.append(("ttl", .number(ttl))) }
        if let target { fields.append(("target", .string(target.description))) }
        return .object(fields)
    }
}
