import Packets
import Probing
import Testing
@testable import Analysis

/// SweepImport on a hand-built raw-IP pcap: a retransmitted payload, a connection whose
/// handshake never completed, and a junk UDP packet.
@Suite struct SweepImportSyntheticTests {
    static let client = IPv4Address(198, 18, 1, 2), server = IPv4Address(198, 18, 9, 2)
    static let router = IPv4Address(198, 18, 3, 2)

    static func tcp(out: Bool, port: UInt16, seq: UInt32, ack: UInt32, flags: TCPFlags, ttl: UInt8 = 64,
                    payload: [UInt8] = []) -> IPPacket {
        let (s, d) = out ? (client, server) : (server, client)
        let segment = TCPSegment(sourcePort: out ? port : 80, destinationPort: out ? 80 : port, sequenceNumber: seq,
                                 acknowledgmentNumber: ack, flags: flags, window: 502, payload: payload[...])
        return IPPacket(IPv4Header(identification: 1, ttl: ttl, proto: 6, source: s, destination: d), .tcp(segment))
    }

    static func pcap(_ packets: [[UInt8]]) -> [UInt8] {
        var file: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 101, 0, 0, 0]
        for (i, p) in packets.enumerated() {
            file += le32(1_700_000_000) + le32(i * 1000) + le32(p.count) + le32(p.count) + p
        }
        return file
    }

    static func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    @Test func retransmittedPayloadAndFailedHandshake() throws {
        let request = HTTPRequestPayload(host: "blocked.example").bytes
        let isn: UInt32 = 1000, serverISN: UInt32 = 5000
        var udp = [UInt8](repeating: 0, count: 28)
        udp[0] = 0x45; udp[3] = 28; udp[8] = 64; udp[9] = 17
        let packets: [[UInt8]] = [
            Self.tcp(out: true, port: 40_000, seq: isn, ack: 0, flags: .syn).serialized(),                          // 1
            Self.tcp(out: false, port: 40_000, seq: serverISN, ack: isn + 1, flags: [.syn, .ack]).serialized(),     // 2
            Self.tcp(out: true, port: 40_000, seq: isn + 1, ack: serverISN + 1, flags: .ack).serialized(),          // 3
            Self.tcp(out: true, port: 40_000, seq: isn + 1, ack: serverISN + 1, flags: [.psh, .ack], ttl: 7,
                     payload: request).serialized(),                                                                 // 4
            udp,                                                                                                     // 5
            Self.tcp(out: true, port: 40_000, seq: isn + 1, ack: serverISN + 1, flags: [.psh, .ack], ttl: 7,
                     payload: request).serialized(),                                                                 // 6: retransmission
            Self.tcp(out: false, port: 40_000, seq: serverISN + 1, ack: isn + 1 + UInt32(request.count),
                     flags: [.rst, .ack], ttl: 60).serialized(),                                                     // 7
            Self.tcp(out: true, port: 40_001, seq: 9000, ack: 0, flags: .syn).serialized(),                          // 8: never answered
            Self.tcp(out: true, port: 40_001, seq: 9000, ack: 0, flags: .syn).serialized(),                          // 9: its retransmission
        ]
        let capture = try SweepImport.read(bytes: Self.pcap(packets), name: "synthetic.pcap")
        let sweep = try #require(capture.sweeps.first)
        #expect(capture.sweeps.count == 1)
        #expect(sweep.domain == "blocked.example")
        #expect(sweep.target == .v4(Self.server))
        #expect(sweep.port == 80)
        #expect(sweep.probes.count == 1)
        let probe = try #require(sweep.probes.first)
        #expect(probe.ttl == 7)
        #expect(probe.observation.outcome == .rst)
        #expect(probe.frames == [4, 7])
        #expect(capture.notes == ["1 connection sent no payload and carried no TTL label, so it is left out."])
    }
}
