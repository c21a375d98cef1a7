import Packets

/// The human view of decoded packets, close to `tcpdump -nn -v`.
public enum PacketText {
    public static func frame(_ frame: Frame, context: PacketContext = PacketContext()) -> String {
        var prefix = context.timeOfDay.map { $0 + " " } ?? ""
        if let i = context.index, context.seconds == nil { prefix = "#\(i) " }
        var text: String
        switch frame.payload {
        case .ip(let p):
            text = prefix + packet(p, indent: "    ")
        case .notIP(let proto, let bytes):
            text = prefix + "\(PacketJSON.linkName(frame.link)) ethertype 0x\(PacketJSON.hex4(proto)) (not IP), length \(bytes.count)"
        case .undecodable(let error, let bytes):
            text = prefix + "[undecodable: \(error)] length \(bytes.count)"
        }
        if let comment = context.comment { text += "\n    comment: \(comment)" }
        return text
    }

    /// One packet: the IP line, then the transport line indented by `indent`.
    public static func packet(_ p: IPPacket, indent: String = "    ", depth: Int = 0) -> String {
        let proto = p.header.upperLayerProtocol
        let protoName = proto == 58 ? "ICMPv6" : PacketJSON.protocolName(proto).uppercased()
        var head: String
        var ports = (src: "", dst: "")
        if let pp = portPair(p.transport) { ports = (".\(pp.0)", ".\(pp.1)") }
        let endpoints = "\(p.source)\(ports.src) > \(p.destination)\(ports.dst):"
        switch p.header {
        case .v4(let h):
            var flags: [String] = []
            if h.flags.contains(.reserved) { flags.append("+") }
            if h.dontFragment { flags.append("DF") }
            if h.moreFragments { flags.append("+") }
            head = "IP (tos 0x\(String(h.tos, radix: 16)), ttl \(h.ttl), id \(h.identification), offset \(Int(h.fragmentOffset) * 8), "
                + "flags [\(flags.isEmpty ? "none" : flags.joined(separator: ","))], proto \(protoName) (\(proto)), length \(h.totalLength)"
            if !h.options.isEmpty { head += ", options (\(Hex.encode(h.options)))" }
            if depth == 0, p.headerChecksumIsValid == false { head += ", bad cksum \(String(h.checksum, radix: 16))!" }
            head += ")"
        case .v6(let h):
            head = "IP6 (" + (h.trafficClass != 0 ? "class 0x\(String(h.trafficClass, radix: 16)), " : "")
                + (h.flowLabel != 0 ? "flowlabel 0x\(String(h.flowLabel, radix: 16)), " : "")
                + "hlim \(h.hopLimit), next-header \(protoName) (\(proto)) payload length: \(h.payloadLength)"
            if !h.extensionHeaders.isEmpty { head += ", ext [\(h.extensionHeaders.map(\.name).joined(separator: ","))]" }
            head += ")"
        }
        if p.isTruncated { head += " [truncated]" }
        return head + "\n" + indent + endpoints + " " + transport(p, indent: indent, depth: depth)
    }

    static func portPair(_ t: TransportLayer) -> (UInt16, UInt16)? {
        switch t {
        case .tcp(let s): return (s.sourcePort, s.destinationPort)
        case .udp(let u): return (u.sourcePort, u.destinationPort)
        case .tcpPrefix(let p):
            if let a = p.sourcePort, let b = p.destinationPort { return (a, b) }
            return nil
        default: return nil
        }
    }

    static func checksumNote(_ value: UInt16, _ valid: Bool?) -> String {
        let hex = "0x" + PacketJSON.hex4(UInt32(value))
        switch valid {
        case .some(true): return "cksum \(hex) (correct)"
        case .some(false): return "cksum \(hex) (incorrect)"
        case .none: return "cksum \(hex)"
        }
    }

    static func transport(_ p: IPPacket, indent: String, depth: Int) -> String {
        let valid = depth == 0 ? p.transportChecksumIsValid : nil
        switch p.transport {
        case .tcp(let t):
            var s = "Flags [\(t.flags.tcpdumpNotation)], \(checksumNote(t.checksum, valid)), seq \(t.sequenceNumber)"
            if t.flags.contains(.ack) { s += ", ack \(t.acknowledgmentNumber)" }
            s += ", win \(t.window)"
            if t.flags.contains(.urg) { s += ", urg \(t.urgentPointer)" }
            if !t.options.isEmpty { s += ", options [\(t.options.map(optionText).joined(separator: ","))]" }
            return s + ", length \(t.payload.count)"
        case .tcpPrefix(let t):
            var s = "tcp (partial header, \(t.bytes.count) bytes)"
            if let seq = t.sequenceNumber { s += ", seq \(seq)" }
            if let flags = t.flags { s += ", Flags [\(flags.tcpdumpNotation)]" }
            return s
        case .udp(let u):
            return "[udp \(checksumNote(u.checksum, valid))] UDP, length \(u.payload.count)"
        case .icmp(let m):
            var s = (m.family == .v4 ? "ICMP " : "ICMP6, ") + m.name
            if let id = m.identifier, let seq = m.sequence { s += ", id \(id), seq \(seq)" }
            if let mtu = m.mtu { s += ", mtu \(mtu)" }
            s += ", length \(8 + m.body.count)"
            if m.isError {
                if depth < 2, let q = m.quotedPacket {
                    let inner = indent + "    "
                    s += "\n" + inner + packet(q, indent: inner, depth: depth + 1)
                }
                if let ext = m.extensions {
                    for o in ext.objects {
                        if let stack = o.mplsLabelStack {
                            s += "\n" + indent + "    MPLS extension: " + stack.map {
                                "label \($0.label), tc \($0.trafficClass), \($0.bottomOfStack ? "[S], " : "")ttl \($0.ttl)"
                            }.joined(separator: "; ")
                        } else {
                            s += "\n" + indent + "    ICMP extension class \(o.classNumber) type \(o.classType), length \(o.payload.count)"
                        }
                    }
                }
            }
            return s
        case .fragment(let proto, let payload):
            return "ip-proto-\(proto) fragment, length \(payload.count)"
        case .malformed(_, let error, let payload):
            return "[\(error)] length \(payload.count)"
        case .other(let proto, let payload):
            return "ip-proto-\(proto) \(payload.count)"
        }
    }

    static func optionText(_ o: TCPOption) -> String {
        switch o {
        case .maximumSegmentSize(let v): return "mss \(v)"
        case .windowScale(let v): return "wscale \(v)"
        case .timestamps(let v, let e): return "TS val \(v) ecr \(e)"
        case .sack(let blocks): return "sack \(blocks.count) " + blocks.map { "{\($0.left):\($0.right)}" }.joined(separator: "")
        case .userTimeout(let v): return "uto \(v)"
        case .fastOpen(let c): return c.isEmpty ? "tfo cookiereq" : "tfo cookie \(Hex.encode(c))"
        case .multipath(let d): return "mptcp subtype \((d.first ?? 0) >> 4) len \(d.count + 2)"
        case .unknown(let k, let d): return "unknown-\(k) 0x\(Hex.encode(d))"
        case .trailing(let b): return "[bad opt \(Hex.encode(b))]"
        default: return o.name
        }
    }
}
