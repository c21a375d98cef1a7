import JSONSupport
import Packets

/// The JSON view of decoded packets, as `censorscope decode --json` prints it
/// (field list in Docs/data-formats.md).
public enum PacketJSON {
    /// A whole frame with its context.
    public static func frame(_ frame: Frame, context: PacketContext = PacketContext()) -> JSONValue {
        var f: [(key: String, value: JSONValue)] = []
        if let i = context.index { f.append(("index", .number(i))) }
        if let s = context.seconds {
            f.append(("time", .double(Double(s) + Double(context.nanoseconds) / 1e9)))
            f.append(("time_utc", .optional(context.isoTime)))
        }
        if let c = context.capturedLength { f.append(("captured_length", .number(c))) }
        f.append(("link", .string(linkName(frame.link))))
        switch frame.payload {
        case .ip(let p):
            f.append(contentsOf: packetFields(p, depth: 0))
        case .notIP(let proto, let bytes):
            f.append(("ethertype", .string("0x" + hex4(proto))))
            f.append(("payload_len", .number(bytes.count)))
            f.append(("note", "not an IP packet"))
        case .undecodable(let error, let bytes):
            f.append(("error", .string(error.description)))
            f.append(("payload_len", .number(bytes.count)))
        }
        if let comment = context.comment { f.append(("comment", .string(comment))) }
        return .object(f)
    }

    /// An IP packet on its own (hex input, or a quoted packet).
    public static func packet(_ p: IPPacket) -> JSONValue { .object(packetFields(p, depth: 0)) }

    static func packetFields(_ p: IPPacket, depth: Int) -> [(key: String, value: JSONValue)] {
        var f: [(key: String, value: JSONValue)] = []
        switch p.header {
        case .v4(let h):
            f.append(("version", 4))
            f.append(("src", .string(h.source.description)))
            f.append(("dst", .string(h.destination.description)))
            f.append(("ttl", .number(h.ttl)))
            f.append(("ip_id", .number(h.identification)))
            f.append(("df", .bool(h.dontFragment)))
            f.append(("mf", .bool(h.moreFragments)))
            f.append(("frag_offset", .number(Int(h.fragmentOffset) * 8)))
            f.append(("tos", .number(h.tos)))
            f.append(("length", .number(h.totalLength)))
            f.append(("ip_checksum", .number(h.checksum)))
            f.append(("ip_checksum_valid", .optional(p.headerChecksumIsValid)))
            if !h.options.isEmpty { f.append(("ip_options", .string(Hex.encode(h.options)))) }
            if h.flags.contains(.reserved) { f.append(("evil_bit", true)) }
        case .v6(let h):
            f.append(("version", 6))
            f.append(("src", .string(h.source.description)))
            f.append(("dst", .string(h.destination.description)))
            f.append(("ttl", .number(h.hopLimit)))
            f.append(("ip_id", .optional(h.fragment?.identification)))
            f.append(("df", false))
            f.append(("mf", .bool(h.fragment?.more ?? false)))
            f.append(("frag_offset", .number(Int(h.fragment?.offset ?? 0) * 8)))
            f.append(("tos", .number(h.trafficClass)))
            f.append(("flow_label", .number(h.flowLabel)))
            f.append(("length", .number(40 + Int(h.payloadLength))))
            if !h.extensionHeaders.isEmpty {
                f.append(("extension_headers", .array(h.extensionHeaders.map { .string($0.name) })))
            }
        }
        f.append(("protocol", .string(protocolName(p.header.upperLayerProtocol))))
        f.append(("truncated", .bool(p.isTruncated)))
        switch p.transport {
        case .tcp(let t): f.append(("tcp", tcp(t, checksumValid: p.transportChecksumIsValid)))
        case .udp(let u): f.append(("udp", udp(u, checksumValid: p.transportChecksumIsValid)))
        case .icmp(let m): f.append(("icmp", icmp(m, checksumValid: p.transportChecksumIsValid, depth: depth)))
        case .tcpPrefix(let t): f.append(("tcp", tcpPrefix(t)))
        case .fragment(_, let payload):
            f.append(("fragment", ["payload_len": .number(payload.count)]))
        case .malformed(_, let error, let payload):
            f.append(("error", .string(error.description)))
            f.append(("payload_len", .number(payload.count)))
        case .other(_, let payload):
            f.append(("payload_len", .number(payload.count)))
        }
        return f
    }

    public static func tcp(_ t: TCPSegment, checksumValid: Bool?) -> JSONValue {
        [
            "sport": .number(t.sourcePort),
            "dport": .number(t.destinationPort),
            "seq": .number(t.sequenceNumber),
            "ack": .number(t.acknowledgmentNumber),
            "flags": .string(t.flags.letters),
            "window": .number(t.window),
            "options": .array(t.options.map { .string($0.name) }),
            "option_values": .array(t.options.map(optionValue)),
            "header_len": .number(t.headerLength),
            "payload_len": .number(t.payload.count),
            "urgent": .number(t.urgentPointer),
            "checksum": .number(t.checksum),
            "checksum_valid": .optional(checksumValid),
        ]
    }

    static func tcpPrefix(_ t: TCPHeaderPrefix) -> JSONValue {
        [
            "sport": .optional(t.sourcePort),
            "dport": .optional(t.destinationPort),
            "seq": .optional(t.sequenceNumber),
            "ack": .optional(t.acknowledgmentNumber),
            "flags": .optional(t.flags?.letters),
            "window": .optional(t.window),
            "partial": true,
            "bytes": .number(t.bytes.count),
        ]
    }

    static func optionValue(_ o: TCPOption) -> JSONValue {
        switch o {
        case .maximumSegmentSize(let v): return ["name": "mss", "value": .number(v)]
        case .windowScale(let v): return ["name": "wscale", "value": .number(v)]
        case .timestamps(let v, let e): return ["name": "TS", "value": .number(v), "echo": .number(e)]
        case .userTimeout(let v): return ["name": "uto", "value": .number(v)]
        case .sack(let blocks):
            return ["name": "sack", "blocks": .array(blocks.map { [.number($0.left), .number($0.right)] })]
        case .fastOpen(let c): return ["name": "tfo", "cookie": .string(Hex.encode(c))]
        case .multipath(let d): return ["name": "mptcp", "subtype": .number((d.first ?? 0) >> 4), "data": .string(Hex.encode(d))]
        case .md5Signature(let d), .authentication(let d):
            return ["name": .string(o.name), "data": .string(Hex.encode(d))]
        case .unknown(let k, let d): return ["name": .string(o.name), "kind": .number(k), "data": .string(Hex.encode(d))]
        case .trailing(let b): return ["name": "trailing", "data": .string(Hex.encode(b))]
        case .endOfList, .noOperation, .sackPermitted: return ["name": .string(o.name)]
        }
    }

    static func udp(_ u: UDPDatagram, checksumValid: Bool?) -> JSONValue {
        [
            "sport": .number(u.sourcePort),
            "dport": .number(u.destinationPort),
            "length": .number(u.length),
            "payload_len": .number(u.payload.count),
            "checksum": .number(u.checksum),
            "checksum_valid": .optional(checksumValid),
        ]
    }

    static func icmp(_ m: ICMPMessage, checksumValid: Bool?, depth: Int) -> JSONValue {
        var f: [(key: String, value: JSONValue)] = [
            ("type", .number(m.type)), ("code", .number(m.code)), ("name", .string(m.name)),
            ("checksum", .number(m.checksum)), ("checksum_valid", .optional(checksumValid)),
        ]
        if let id = m.identifier { f.append(("id", .number(id))) }
        if let seq = m.sequence { f.append(("seq", .number(seq))) }
        if let mtu = m.mtu { f.append(("mtu", .number(mtu))) }
        if m.isError {
            f.append(("original_length", .number(m.originalDatagramLength)))
            // Quotes nest (an error about an error); two levels say all there is to say.
            if depth < 2, let q = m.quotedPacket {
                f.append(("quoted", .object(packetFields(q, depth: depth + 1))))
            } else {
                f.append(("quoted", .null))
            }
            if let ext = m.extensions {
                f.append(("extensions", .array(ext.objects.map { o in
                    var e: [(key: String, value: JSONValue)] = [
                        ("class", .number(o.classNumber)), ("ctype", .number(o.classType)),
                    ]
                    if let stack = o.mplsLabelStack {
                        e.append(("mpls", .array(stack.map {
                            ["label": .number($0.label), "tc": .number($0.trafficClass),
                             "s": .bool($0.bottomOfStack), "ttl": .number($0.ttl)]
                        })))
                    } else {
                        e.append(("data", .string(Hex.encode(o.payload))))
                    }
                    return .object(e)
                })))
                f.append(("extensions_checksum_valid", .bool(ext.checksumValid)))
            }
        } else {
            f.append(("payload_len", .number(m.body.count)))
        }
        return .object(f)
    }

    public static func linkName(_ l: LinkHeader) -> String {
        switch l {
        case .ethernet: return "ethernet"
        case .linuxCooked: return "sll"
        case .linuxCooked2: return "sll2"
        case .loopback: return "loopback"
        case .raw: return "raw"
        }
    }

    public static func protocolName(_ p: UInt8) -> String {
        switch p {
        case 1: return "icmp"
        case 2: return "igmp"
        case 6: return "tcp"
        case 17: return "udp"
        case 41: return "ipv6"
        case 47: return "gre"
        case 50: return "esp"
        case 58: return "icmp6"
        case 132: return "sctp"
        default: return String(p)
        }
    }

    static func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return s.count >= 4 ? s : String(repeating: "0", count: 4 - s.count) + s
    }
}
