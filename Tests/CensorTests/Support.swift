import Censor
import Packets
import Testing

/// Packets as they reach the censor: built with Packets, serialised (lengths and
/// checksums filled) and parsed back, as the daemon parses what NFQUEUE hands it.
enum Wire {
    static func v4(_ s: String) -> IPv4Address { IPv4Address(s)! }

    static func tcp(_ src: String, _ dst: String, sport: UInt16, dport: UInt16, seq: UInt32, ack: UInt32 = 0,
                    flags: TCPFlags, window: UInt16 = 64240, options: [TCPOption] = [],
                    payload: [UInt8] = [], ttl: UInt8 = 64, id: UInt16 = 4242, df: Bool = true) -> IPPacket {
        let segment = TCPSegment(sourcePort: sport, destinationPort: dport, sequenceNumber: seq,
                                 acknowledgmentNumber: ack, flags: flags, window: window,
                                 options: options, payload: payload[...])
        let packet: IPPacket
        if let s = IPv4Address(src), let d = IPv4Address(dst) {
            packet = IPPacket(IPv4Header(identification: id, flags: df ? .dontFragment : [], ttl: ttl, proto: 6,
                                         source: s, destination: d), .tcp(segment))
        } else {
            packet = IPPacket(IPv6Header(nextHeader: 6, hopLimit: ttl, source: IPv6Address(src)!,
                                         destination: IPv6Address(dst)!), .tcp(segment))
        }
        return reparse(packet)
    }

    static func udp(_ src: String, _ dst: String, sport: UInt16, dport: UInt16, payload: [UInt8]) -> IPPacket {
        reparse(IPPacket(IPv4Header(ttl: 64, proto: 17, source: v4(src), destination: v4(dst)),
                         .udp(UDPDatagram(sourcePort: sport, destinationPort: dport, payload: payload[...]))))
    }

    static func reparse(_ p: IPPacket) -> IPPacket { try! IPPacket.parse(p.serialized()) }

    /// Linux's SYN options: 60 bytes in all, as in the founding story's browser SYN.
    static let linuxSYNOptions: [TCPOption] = [.maximumSegmentSize(1460), .sackPermitted,
                                               .timestamps(value: 1_652_926_847, echoReply: 0), .noOperation, .windowScale(7)]

    static func hex(_ s: String) -> [UInt8] {
        let digits = Array(s.filter(\.isHexDigit).utf8)
        return stride(from: 0, to: digits.count - 1, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
    }
}

/// A TCP connection between a client and a server, with the sequence numbers kept, so
/// tests can walk it through the engine packet by packet.
struct Connection {
    var client = "198.18.1.2"
    var server = "198.18.3.2"
    var clientPort: UInt16 = 40000
    var serverPort: UInt16 = 80
    var clientSeq: UInt32 = 1_000_000
    var serverSeq: UInt32 = 0xFFFF_FF00   // wraps during the test, on purpose
    var time = 0.0

    /// SYN, SYN-ACK, ACK through the engine; returns their decisions.
    @discardableResult
    mutating func handshake(_ e: inout CensorEngine) -> [CensorDecision] {
        var out: [CensorDecision] = []
        out.append(send(&e, Wire.tcp(client, server, sport: clientPort, dport: serverPort, seq: clientSeq, flags: .syn,
                                     options: Wire.linuxSYNOptions)))
        clientSeq &+= 1
        out.append(send(&e, Wire.tcp(server, client, sport: serverPort, dport: clientPort, seq: serverSeq,
                                     ack: clientSeq, flags: [.syn, .ack])))
        serverSeq &+= 1
        out.append(send(&e, Wire.tcp(client, server, sport: clientPort, dport: serverPort, seq: clientSeq,
                                     ack: serverSeq, flags: .ack)))
        return out
    }

    /// Client data segment; advances the client's sequence number.
    mutating func clientData(_ e: inout CensorEngine, _ bytes: [UInt8]) -> (CensorDecision, IPPacket) {
        let p = Wire.tcp(client, server, sport: clientPort, dport: serverPort, seq: clientSeq, ack: serverSeq,
                         flags: [.psh, .ack], payload: bytes)
        clientSeq &+= UInt32(bytes.count)
        return (send(&e, p), p)
    }

    mutating func serverData(_ e: inout CensorEngine, _ bytes: [UInt8]) -> (CensorDecision, IPPacket) {
        let p = Wire.tcp(server, client, sport: serverPort, dport: clientPort, seq: serverSeq, ack: clientSeq,
                         flags: [.psh, .ack], payload: bytes)
        serverSeq &+= UInt32(bytes.count)
        return (send(&e, p), p)
    }

    mutating func send(_ e: inout CensorEngine, _ p: IPPacket) -> CensorDecision {
        time += 0.001
        return e.handle(p, at: time)
    }
}

/// ClientHello bytes (one TLS record) with the given SNI, like a browser's.
enum TLS {
    static func clientHello(sni: String?, padding: Int = 300) -> [UInt8] {
        var exts: [UInt8] = []
        if let sni {
            let name = Array(sni.utf8)
            let entry: [UInt8] = [0] + be16(name.count) + name
            let list = be16(entry.count) + entry
            exts += be16(0) + be16(list.count) + list
        }
        exts += be16(0x0a) + be16(4) + be16(2) + be16(0x001d)                   // supported_groups: x25519
        exts += be16(0x0015) + be16(padding) + [UInt8](repeating: 0, count: padding)  // padding
        var body: [UInt8] = [3, 3] + [UInt8](repeating: 0xAB, count: 32)       // version, random
        body += [32] + [UInt8](repeating: 0xCD, count: 32)                     // session id
        body += be16(4) + [0x13, 0x01, 0x13, 0x02]                             // cipher suites
        body += [1, 0]                                                         // compression: null
        body += be16(exts.count) + exts
        let handshake: [UInt8] = [1, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        return [0x16, 3, 1] + be16(handshake.count) + handshake
    }

    /// The same ClientHello cut into two TLS records (as some circumvention tools do).
    static func clientHelloInTwoRecords(sni: String, cut: Int) -> [UInt8] {
        let one = clientHello(sni: sni)
        let handshake = Array(one[5...])
        let a = Array(handshake[..<cut]), b = Array(handshake[cut...])
        return [0x16, 3, 1] + be16(a.count) + a + [0x16, 3, 1] + be16(b.count) + b
    }

    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
}

func policy(_ yaml: String) -> CensorPolicy {
    do { return try CensorPolicy.parse(yaml: yaml, file: "test.yaml") } catch {
        Issue.record("policy does not parse: \(error)")
        return CensorPolicy(clients: [], rules: [])
    }
}

extension CensorDecision {
    var forgedPackets: [IPPacket] { forged.compactMap { try? IPPacket.parse($0.bytes) } }
}
