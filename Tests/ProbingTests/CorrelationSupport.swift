// Probes and answers built from Packets types, as the probe modules and the network would
// make them: every packet is serialised (lengths and checksums filled) and parsed back, so
// the correlator sees exactly what a capture would give it.
import Capture
import Packets
import Probing

enum Net {
    static let client4 = IPAddress("198.18.0.2")!
    static let server4 = IPAddress("198.18.9.2")!
    static let router4 = IPAddress("198.18.5.1")!
    static let router5 = IPAddress("198.18.6.1")!
    static let other4 = IPAddress("198.18.0.77")!
    static let client6 = IPAddress("2001:db8:1::2")!
    static let server6 = IPAddress("2001:db8:9::2")!
    static let router6 = IPAddress("2001:db8:5::1")!

    static func time(_ ms: Int) -> CaptureTimestamp {
        CaptureTimestamp(seconds: 1_700_000_000 + Int64(ms / 1000), nanoseconds: UInt32(ms % 1000) * 1_000_000)
    }
}

/// Serialises (lengths, checksums) and parses back.
func wire(_ packet: IPPacket) -> IPPacket {
    (try? IPPacket.parse(packet.serialized())) ?? packet
}

func ipHeader(_ src: IPAddress, _ dst: IPAddress, proto: UInt8, ttl: UInt8 = 64, id: UInt16 = 0,
              tos: UInt8 = 0, df: Bool = false, flowLabel: UInt32 = 0) -> NetworkHeader {
    switch (src, dst) {
    case (.v4(let s), .v4(let d)):
        return .v4(IPv4Header(tos: tos, identification: id, flags: df ? .dontFragment : [], ttl: ttl, proto: proto, source: s, destination: d))
    case (.v6(let s), .v6(let d)):
        return .v6(IPv6Header(trafficClass: tos, flowLabel: flowLabel, nextHeader: proto, hopLimit: ttl, source: s, destination: d))
    default:
        fatalError("mixed address families in a test")
    }
}

func makeProbe(_ index: Int, module: String, _ packet: IPPacket) -> Probe {
    let bytes = packet.serialized()
    return Probe(index: index, module: module, label: "\(module) #\(index)", packet: wire(packet), bytes: bytes)
}

/// A SYN (browser-like options unless given).
func synProbe(_ index: Int, src: IPAddress = Net.client4, dst: IPAddress = Net.server4, sport: UInt16 = 40000,
              dport: UInt16 = 80, seq: UInt32 = 1000, ttl: UInt8 = 64, id: UInt16 = 4242, tos: UInt8 = 0,
              options: [TCPOption] = [.maximumSegmentSize(1460), .sackPermitted, .timestamps(value: 1, echoReply: 0), .noOperation, .windowScale(7)],
              payload: [UInt8] = []) -> Probe {
    let proto: UInt8 = 6
    let tcp = TCPSegment(sourcePort: sport, destinationPort: dport, sequenceNumber: seq, flags: .syn, window: 29200,
                         options: options, payload: payload[...])
    return makeProbe(index, module: "syn", IPPacket(header: ipHeader(src, dst, proto: proto, ttl: ttl, id: id, tos: tos), transport: .tcp(tcp)))
}

func udpProbe(_ index: Int, module: String = "udp", src: IPAddress = Net.client4, dst: IPAddress = Net.server4,
              sport: UInt16 = 33434, dport: UInt16 = 33434, ttl: UInt8 = 64, id: UInt16 = 7, payload: [UInt8] = [1, 2, 3, 4]) -> Probe {
    makeProbe(index, module: module, IPPacket(header: ipHeader(src, dst, proto: 17, ttl: ttl, id: id),
                                              transport: .udp(UDPDatagram(sourcePort: sport, destinationPort: dport, payload: payload[...]))))
}

func echoProbe(_ index: Int, src: IPAddress = Net.client4, dst: IPAddress = Net.server4, id: UInt16 = 0x1234,
               seq: UInt16 = 1, ttl: UInt8 = 64) -> Probe {
    let v6: Bool
    if case .v6 = dst { v6 = true } else { v6 = false }
    let m = ICMPMessage(family: v6 ? .v6 : .v4, type: v6 ? 128 : 8, code: 0, restOfHeader: UInt32(id) << 16 | UInt32(seq),
                        body: [UInt8](repeating: 0x61, count: 16)[...])
    return makeProbe(index, module: "icmp", IPPacket(header: ipHeader(src, dst, proto: v6 ? 58 : 1, ttl: ttl, id: id), transport: .icmp(m)))
}

/// A TCP segment from the probe's destination back to its source.
func tcpAnswer(to probe: Probe, flags: TCPFlags, seq: UInt32 = 777, ack: UInt32? = nil, ttl: UInt8 = 52,
               id: UInt16 = 0, window: UInt16 = 29200, from source: IPAddress? = nil,
               sport: UInt16? = nil, dport: UInt16? = nil) -> IPPacket {
    let t = probe.packet.transport.tcp!
    let seg = TCPSegment(sourcePort: sport ?? t.destinationPort, destinationPort: dport ?? t.sourcePort, sequenceNumber: seq,
                         acknowledgmentNumber: ack ?? (t.sequenceNumber &+ 1), flags: flags, window: window)
    return wire(IPPacket(header: ipHeader(source ?? probe.destination, probe.source, proto: 6, ttl: ttl, id: id), transport: .tcp(seg)))
}

/// An ICMP error from `router` quoting the first `quoteLength` bytes of the probe as it
/// arrived there (TTL 1), after `rewrite` changed it on the way; by default the IP header
/// and 8 bytes, as RFC 792 routers quote.
func icmpError(quoting probe: Probe, from router: IPAddress, type: UInt8? = nil, code: UInt8 = 0, ttl: UInt8 = 250,
               quoteLength: Int? = nil, to destination: IPAddress? = nil, extensions: [UInt8] = [],
               rewrite: (inout IPPacket) -> Void = { _ in }) -> IPPacket {
    var arrived = probe.packet
    switch arrived.header {
    case .v4(var h): h.ttl = 1; arrived.header = .v4(h)
    case .v6(var h): h.hopLimit = 1; arrived.header = .v6(h)
    }
    rewrite(&arrived)
    let bytes = arrived.serialized(fillLengths: false, fillChecksums: false)
    let v6: Bool
    if case .v6 = probe.packet.header { v6 = true } else { v6 = false }
    var quote = Array(bytes.prefix(quoteLength ?? (arrived.header.headerLength + 8)))
    var rest: UInt32 = 0
    if !extensions.isEmpty {
        // RFC 4884: pad the quote to 128 bytes and give its length in words.
        quote += [UInt8](repeating: 0, count: max(0, 128 - quote.count))
        rest = v6 ? UInt32(quote.count / 8) << 24 : UInt32(quote.count / 4) << 16
    }
    let m = ICMPMessage(family: v6 ? .v6 : .v4, type: type ?? (v6 ? 3 : 11), code: code, restOfHeader: rest,
                        body: (quote + extensions)[...])
    return wire(IPPacket(header: ipHeader(router, destination ?? probe.source, proto: v6 ? 58 : 1, ttl: ttl), transport: .icmp(m)))
}

func echoReply(to probe: Probe, ttl: UInt8 = 52, id: UInt16? = nil, seq: UInt16? = nil, from source: IPAddress? = nil) -> IPPacket {
    let m = probe.packet.transport.icmp!
    let v6 = m.family == .v6
    let reply = ICMPMessage(family: m.family, type: v6 ? 129 : 0, code: 0,
                            restOfHeader: UInt32(id ?? m.identifier!) << 16 | UInt32(seq ?? m.sequence!), body: m.body)
    return wire(IPPacket(header: ipHeader(source ?? probe.destination, probe.source, proto: v6 ? 58 : 1, ttl: ttl), transport: .icmp(reply)))
}

func udpAnswer(to probe: Probe, payload: [UInt8], ttl: UInt8 = 52, sport: UInt16? = nil) -> IPPacket {
    let u = probe.packet.transport.udp!
    return wire(IPPacket(header: ipHeader(probe.destination, probe.source, proto: 17, ttl: ttl),
                         transport: .udp(UDPDatagram(sourcePort: sport ?? u.destinationPort, destinationPort: u.sourcePort, payload: payload[...]))))
}

extension Correlator.Observation {
    var answer: Answer? { if case .answer(let a) = self { return a }; return nil }
}
