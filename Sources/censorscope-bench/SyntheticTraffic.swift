import Packets

/// A deterministic mix of the packets a censorship measurement captures: SYNs of every
/// size, SYN-ACKs, data with timestamps, forged and genuine RSTs, ICMP time-exceeded with
/// quotes, UDP. Ethernet-framed, so the benchmark parses the link layer too.
struct SyntheticTraffic {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    private mutating func next() -> UInt64 {
        // SplitMix64: fast, deterministic, good enough for a traffic mix.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func frame() -> [UInt8] {
        let r = next()
        // A campaign's shape: a few vantage addresses, 256 targets, 4096 source ports.
        let src = IPv4Address(198, 18, 0, UInt8(truncatingIfNeeded: r >> 8) & 0x0F)
        let dst = IPv4Address(198, 18, 200, UInt8(truncatingIfNeeded: r >> 24))
        let sport = UInt16(truncatingIfNeeded: r >> 32) & 0x0FFF | 0x8000
        let seq = UInt32(truncatingIfNeeded: r >> 20)
        let packet: IPPacket
        switch r % 10 {
        case 0, 1:   // browser-like SYN, 60 bytes
            packet = IPPacket(IPv4Header(identification: UInt16(truncatingIfNeeded: r), flags: .dontFragment, proto: 6, source: src, destination: dst),
                              .tcp(TCPSegment(sourcePort: sport, destinationPort: 80, sequenceNumber: seq, flags: .syn, window: 29200,
                                              options: [.maximumSegmentSize(1460), .sackPermitted, .timestamps(value: seq, echoReply: 0), .noOperation, .windowScale(7)])))
        case 2:      // traceroute -T style SYN, 44 bytes
            packet = IPPacket(IPv4Header(identification: UInt16(truncatingIfNeeded: r), ttl: UInt8(r % 30 + 1), proto: 6, source: src, destination: dst),
                              .tcp(TCPSegment(sourcePort: sport, destinationPort: 80, sequenceNumber: seq, flags: .syn, window: 5840,
                                              options: [.maximumSegmentSize(1460)])))
        case 3, 4:   // data segment with timestamps
            packet = IPPacket(IPv4Header(identification: UInt16(truncatingIfNeeded: r), flags: .dontFragment, proto: 6, source: dst, destination: src),
                              .tcp(TCPSegment(sourcePort: 80, destinationPort: sport, sequenceNumber: seq, acknowledgmentNumber: seq &+ 1,
                                              flags: [.psh, .ack], window: 229,
                                              options: [.noOperation, .noOperation, .timestamps(value: seq, echoReply: seq &- 7)],
                                              payload: [UInt8](repeating: 0x41, count: Int(r % 200))[...])))
        case 5:      // SYN-ACK
            packet = IPPacket(IPv4Header(flags: .dontFragment, ttl: 51, proto: 6, source: dst, destination: src),
                              .tcp(TCPSegment(sourcePort: 80, destinationPort: sport, sequenceNumber: seq, acknowledgmentNumber: seq &+ 1,
                                              flags: [.syn, .ack], window: 29200, options: [.maximumSegmentSize(1440)])))
        case 6:      // forged RST as in the founding story
            packet = IPPacket(IPv4Header(identification: 1, ttl: 8, proto: 6, source: dst, destination: src),
                              .tcp(TCPSegment(sourcePort: 80, destinationPort: sport, acknowledgmentNumber: seq, flags: .rst, window: 5840)))
        case 7, 8:   // time exceeded quoting a SYN
            var quoted = IPPacket(IPv4Header(identification: UInt16(truncatingIfNeeded: r), ttl: 1, proto: 6, source: src, destination: dst),
                                  .tcp(TCPSegment(sourcePort: sport, destinationPort: 80, sequenceNumber: seq, flags: .syn, window: 5840,
                                                  options: [.maximumSegmentSize(1460)]))).serialized()
            quoted = Array(quoted.prefix(28))
            packet = IPPacket(IPv4Header(ttl: 250, proto: 1, source: IPv4Address(198, 18, 1, UInt8(r % 30)), destination: src),
                              .icmp(ICMPMessage(family: .v4, type: 11, code: 0, body: quoted[...])))
        default:     // UDP (DNS/STUN-sized)
            packet = IPPacket(IPv4Header(proto: 17, source: src, destination: dst),
                              .udp(UDPDatagram(sourcePort: sport, destinationPort: 53, payload: [UInt8](repeating: 7, count: 40)[...])))
        }
        return Frame.encapsulate(packet.serialized(), linkType: .ethernet)
    }
}
