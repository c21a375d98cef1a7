import Censor
import Foundation
import Packets
import Testing

/// Hostile and heavy input: the engine never traps, stays bounded, and is fast enough.
@Suite struct EngineRobustnessTests {
    static let everything = policy("""
        clients: [198.18.1.0/24, "2001:db8:1::/64"]
        rules:
          - {name: a, match: {syn_size_min: 60, syn_options: [mss, sackOK, TS, nop, wscale]}, action: inject, inject: {to: both}}
          - {name: b, match: {http_host: {contains: blocked}}, action: inject, inject: [{flags: FPA, payload: "x"}, {to: server}]}
          - {name: c, match: {tls_sni: blocked.example, established: true}, action: inject-and-accept, residual_seconds: 5}
          - {name: d, match: {stun: true}, action: drop}
          - {name: e, match: {payload_contains: "evil"}, action: throttle, rate_kbit: 10}
        """)

    @Test func randomAndMutatedPacketsNeverTrap() {
        var e = CensorEngine(policy: Self.everything)
        var rng = SystemRandomNumberGenerator()
        let seeds: [[UInt8]] = [
            Wire.tcp("198.18.1.2", "198.18.3.2", sport: 1, dport: 443, seq: 1, ack: 1, flags: [.psh, .ack],
                     payload: TLS.clientHello(sni: "blocked.example")).serialized(),
            Wire.tcp("198.18.1.2", "198.18.3.2", sport: 1, dport: 80, seq: 1, flags: .syn, options: Wire.linuxSYNOptions).serialized(),
            Wire.tcp("2001:db8:1::2", "2001:db8:3::2", sport: 1, dport: 80, seq: 1, ack: 1, flags: [.psh, .ack],
                     payload: Array("GET / HTTP/1.1\r\nHost: blocked\r\n\r\n".utf8)).serialized(),
            Wire.udp("198.18.1.2", "198.18.3.2", sport: 1, dport: 3478,
                     payload: [0, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42] + [UInt8](repeating: 0, count: 12)).serialized(),
        ]
        var handled = 0
        for i in 0..<20_000 {
            var bytes: [UInt8]
            if i % 4 == 0 {
                bytes = (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if !bytes.isEmpty { bytes[0] = Bool.random(using: &rng) ? 0x45 : 0x60 }
            } else {
                bytes = seeds[i % seeds.count]
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                bytes = Array(bytes.prefix(Int.random(in: 20...bytes.count, using: &rng)))
            }
            guard let p = try? IPPacket.parse(bytes) else { continue }
            let d = e.handle(p, at: Double(i) / 1000)
            for f in d.forged { #expect((try? IPPacket.parse(f.bytes)) != nil) }
            handled += 1
        }
        #expect(handled > 10_000)
    }

    @Test func flowTableStaysBounded() {
        var e = CensorEngine(policy: Self.everything)
        for i in 0..<40_000 {
            let p = Wire.tcp("198.18.1.\(i % 200 + 1)", "198.18.3.2", sport: UInt16(1024 + i / 200), dport: 443,
                             seq: UInt32(i), ack: 1, flags: [.psh, .ack], payload: Array(TLS.clientHello(sni: "x.example").prefix(100)))
            _ = e.handle(p, at: Double(i) * 0.0001)
        }
        #expect(e.flowCount <= 16_384)
        // Idle flows expire.
        _ = e.handle(Wire.tcp("198.18.1.9", "198.18.3.9", sport: 1, dport: 2, seq: 1, flags: .syn), at: 10_000)
        #expect(e.flowCount <= 2)
    }

    /// Cost per packet on a realistic mix (handshakes, HTTP and TLS first bytes, bulk
    /// data) through a five-rule policy. Printed for the record; the bound only catches
    /// pathologies (debug builds on a shared 2-core machine are slow).
    @Test func perPacketCost() {
        var packets: [IPPacket] = []
        for i in 0..<500 {
            var c = Connection()
            c.clientPort = UInt16(20000 + i)
            c.serverPort = i % 2 == 0 ? 443 : 80
            let syn = Wire.tcp(c.client, c.server, sport: c.clientPort, dport: c.serverPort, seq: c.clientSeq, flags: .syn,
                               options: [.maximumSegmentSize(1460)])
            packets.append(syn)
            c.clientSeq &+= 1
            packets.append(Wire.tcp(c.server, c.client, sport: c.serverPort, dport: c.clientPort, seq: c.serverSeq,
                                    ack: c.clientSeq, flags: [.syn, .ack]))
            c.serverSeq &+= 1
            let first = i % 2 == 0 ? TLS.clientHello(sni: "site\(i).example") : Array("GET / HTTP/1.1\r\nHost: site\(i)\r\n\r\n".utf8)
            packets.append(Wire.tcp(c.client, c.server, sport: c.clientPort, dport: c.serverPort, seq: c.clientSeq,
                                    ack: c.serverSeq, flags: [.psh, .ack], payload: first))
            for k in 0..<6 {
                packets.append(Wire.tcp(c.server, c.client, sport: c.serverPort, dport: c.clientPort,
                                        seq: c.serverSeq &+ UInt32(k * 1400), ack: c.clientSeq, flags: .ack,
                                        payload: [UInt8](repeating: 0x55, count: 1400)))
            }
        }
        var e = CensorEngine(policy: Self.everything)
        let start = ContinuousClock.now
        var t = 0.0
        for p in packets {
            t += 0.00001
            _ = e.handle(p, at: t)
        }
        let elapsed = ContinuousClock.now - start
        let micros = Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6
        let perPacket = micros / Double(packets.count)
        print("censor engine: \(packets.count) packets, \(String(format: "%.2f", perPacket)) µs per packet")
        #expect(perPacket < 500)
    }
}
