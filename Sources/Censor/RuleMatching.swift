import Packets

/// The facts about one packet that rules look at, computed once.
struct PacketFacts {
    var packet: IPPacket
    var direction: PacketDirection
    var proto: UInt8
    var tcp: TCPSegment?
    var sourcePort: UInt16?
    var destinationPort: UInt16?
    var payload: ArraySlice<UInt8>
    /// IPv4 total length, or 40 + IPv6 payload length.
    var ipLength: Int

    init(_ packet: IPPacket, direction: PacketDirection) {
        self.packet = packet
        self.direction = direction
        proto = packet.header.upperLayerProtocol
        switch packet.header {
        case .v4(let h): ipLength = Int(h.totalLength)
        case .v6(let h): ipLength = 40 + Int(h.payloadLength)
        }
        switch packet.transport {
        case .tcp(let t):
            tcp = t
            sourcePort = t.sourcePort
            destinationPort = t.destinationPort
            payload = t.payload
        case .udp(let u):
            sourcePort = u.sourcePort
            destinationPort = u.destinationPort
            payload = u.payload
        case .icmp(let i):
            payload = i.body
        case .tcpPrefix, .fragment, .malformed, .other:
            payload = []
        }
    }

    var isSYN: Bool { tcp.map { $0.flags.contains(.syn) && !$0.flags.contains(.ack) } ?? false }

    var transport: TransportProtocol? {
        switch packet.transport {
        case .tcp: return .tcp
        case .udp: return .udp
        case .icmp: return .icmp
        default: return nil
        }
    }
}

/// What the flow says about the packet: the handshake, and the content of the stream
/// the packet belongs to when the packet carries the bytes that decided it.
struct FlowFacts {
    var established = false
    var content: StreamContent = .needMore
    var carriesContent = false
}

extension RuleMatch {
    /// Whether every condition holds; cheap conditions first.
    func matches(_ p: PacketFacts, _ flow: FlowFacts) -> Bool {
        switch direction {
        case .both: break
        case .clientToServer: if p.direction != .clientToServer { return false }
        case .serverToClient: if p.direction != .serverToClient { return false }
        }
        if let proto, proto != p.transport { return false }
        if let ports = destinationPorts {
            guard let port = p.destinationPort, ports.contains(where: { $0.contains(port) }) else { return false }
        }
        if let ports = sourcePorts {
            guard let port = p.sourcePort, ports.contains(where: { $0.contains(port) }) else { return false }
        }
        if let prefixes = destinationPrefixes, !prefixes.contains(where: { $0.contains(p.packet.destination) }) { return false }
        if let prefixes = sourcePrefixes, !prefixes.contains(where: { $0.contains(p.packet.source) }) { return false }
        if requiresTCP, p.tcp == nil { return false }
        if let syn, syn != p.isSYN { return false }
        if synSizeMin != nil || synSizeMax != nil || synOptions != nil {
            guard p.isSYN else { return false }
            if let lo = synSizeMin, p.ipLength < lo { return false }
            if let hi = synSizeMax, p.ipLength > hi { return false }
            if let names = synOptions, let tcp = p.tcp, !tcp.options.map(\.name).elementsEqual(names) { return false }
        }
        if let established, established != flow.established { return false }
        if let stun, stun != STUNMessage.isSTUN(p.payload) { return false }
        if let needle = payloadContains, !Self.contains(p.payload, needle) { return false }
        if let patterns = httpHost {
            guard flow.carriesContent, case .http(let host?, _) = flow.content,
                  patterns.contains(where: { $0.matches(host) }) else { return false }
        }
        if let patterns = tlsSNI {
            guard flow.carriesContent, case .tls(let sni?, _) = flow.content,
                  patterns.contains(where: { $0.matches(sni) }) else { return false }
        }
        return true
    }

    /// The condition that makes the rule specific, for the log: `tls_sni=…`, `syn_size=60`…
    func describeTrigger(_ p: PacketFacts, _ flow: FlowFacts) -> String {
        if httpHost != nil, case .http(let host?, _) = flow.content { return "http_host=\(host)" }
        if tlsSNI != nil, case .tls(let sni?, _) = flow.content { return "tls_sni=\(sni)" }
        if stun == true { return "stun" }
        if payloadContains != nil { return "payload" }
        if synOptions != nil, let tcp = p.tcp { return "syn_options=" + tcp.options.map(\.name).joined(separator: ",") }
        if synSizeMin != nil || synSizeMax != nil { return "syn_size=\(p.ipLength)" }
        if syn == true { return "syn" }
        if destinationPorts != nil, let port = p.destinationPort { return "dst_port=\(port)" }
        if sourcePorts != nil, let port = p.sourcePort { return "src_port=\(port)" }
        if destinationPrefixes != nil { return "dst=\(p.packet.destination)" }
        if sourcePrefixes != nil { return "src=\(p.packet.source)" }
        if let proto { return "protocol=\(proto.rawValue)" }
        return "any"
    }

    static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        guard haystack.count >= needle.count else { return false }
        var i = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while i <= last {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
