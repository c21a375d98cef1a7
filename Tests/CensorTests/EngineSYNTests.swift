import Censor
import Packets
import Testing

/// SYN triggers: size, options, direction, ports — and the founding story's packets.
@Suite struct EngineSYNTests {
    /// The 2018 Rostelecom DPI, from the capture in seeds/003: a 60-byte browser SYN is
    /// dropped and answered with RST seq 0 / ack = SYN seq, TTL 8, IP ID 1, window copied;
    /// the 44-byte traceroute SYN passes.
    static let storyPolicy = """
        clients: [192.168.0.0/16]
        rules:
          - name: browser-syn
            match:
              direction: client-to-server
              protocol: tcp
              dst_port: 80
              syn_size_min: 60
            action: inject
            inject: {to: client, flags: R, ttl: 8, ip_id: 1, window: copy}
        """
    static let syn44 = "4500 002c f1ed 0000 1306 9dd0 c0a8 0002 9f59 b80a e2c9 0050 e569 3ed5 0000 0000 6002 16d0 61ef 0000 0204 05b4"
    static let syn60 = """
        4500 003c d676 0000 1306 b937 c0a8 0002 9f59 b80a a4d1 0050 a609 d8f5 0000 0000
        a002 16d0 e900 0000 0204 05b4 0402 080a 6285 a97f 0000 0000 0103 0302
        """
    static let storyRST = "4500 0028 0001 0000 0806 9ac1 9f59 b80a c0a8 0002 0050 a4d1 0000 0000 a609 d8f5 5004 16d0 5ce1 0000"

    @Test func foundingStory44ByteSYNPasses() throws {
        var e = CensorEngine(policy: policy(Self.storyPolicy))
        let d = e.handle(try IPPacket.parse(Wire.hex(Self.syn44)), at: 1)
        #expect(d == .pass)
    }

    @Test func foundingStory60ByteSYNGetsTheStorysRSTByteForByte() throws {
        var e = CensorEngine(policy: policy(Self.storyPolicy))
        let d = e.handle(try IPPacket.parse(Wire.hex(Self.syn60)), at: 1)
        #expect(d.verdict == .drop)
        #expect(d.rule == "browser-syn")
        #expect(d.trigger == "syn_size=60")
        try #require(d.forged.count == 1)
        #expect(d.forged[0].bytes == Wire.hex(Self.storyRST))
        #expect(d.forged[0].to == .client)
    }

    @Test func rstAckOnASYNAcknowledgesIt() throws {
        var e = CensorEngine(policy: policy("""
            clients: [198.18.1.0/24]
            rules:
              - {name: r, match: {syn: true, dst_port: 80}, action: inject, inject: {flags: RA}}
            """))
        let d = e.handle(Wire.tcp("198.18.1.2", "198.18.3.2", sport: 5000, dport: 80, seq: 0xFFFF_FFFF, flags: .syn), at: 0)
        let rst = try #require(d.forgedPackets.first)
        let tcp = try #require(rst.transport.tcp)
        // RFC 9293 SYN-SENT: a RST is taken only with ACK set and ack = ISN + 1 (here wrapping to 0).
        #expect(tcp.flags == [.rst, .ack])
        #expect(tcp.sequenceNumber == 0)
        #expect(tcp.acknowledgmentNumber == 0)
        #expect(tcp.sourcePort == 80 && tcp.destinationPort == 5000)
        #expect(rst.source == IPAddress("198.18.3.2") && rst.destination == IPAddress("198.18.1.2"))
        #expect(rst.transportChecksumIsValid == true)
        #expect(rst.headerChecksumIsValid == true)
    }

    @Test func synSizeBoundsAndExactOptionList() {
        var e = CensorEngine(policy: policy("""
            clients: [198.18.1.0/24]
            rules:
              - {name: sized, match: {syn_size_min: 52, syn_size_max: 56}, action: drop}
              - {name: linux-options, match: {syn_options: [mss, sackOK, TS, nop, wscale]}, action: drop}
            """))
        func syn(_ options: [TCPOption]) -> CensorDecision {
            e.handle(Wire.tcp("198.18.1.2", "198.18.3.2", sport: 1, dport: 2, seq: 9, flags: .syn, options: options), at: 0)
        }
        #expect(syn([.maximumSegmentSize(1460)]) == .pass)                                         // 44
        #expect(syn([.maximumSegmentSize(1460), .sackPermitted, .noOperation, .noOperation, .windowScale(7), .noOperation]).rule == "sized") // 52
        #expect(syn(Wire.linuxSYNOptions).rule == "linux-options")                                 // 60
        // Same options in another order: not the fingerprint.
        #expect(syn([.maximumSegmentSize(1460), .noOperation, .windowScale(7), .sackPermitted,
                     .timestamps(value: 1, echoReply: 0)]) == .pass)
        // A SYN-ACK with the same options is no SYN trigger.
        let synAck = Wire.tcp("198.18.3.2", "198.18.1.2", sport: 2, dport: 1, seq: 5, ack: 10, flags: [.syn, .ack],
                              options: Wire.linuxSYNOptions)
        #expect(e.handle(synAck, at: 0) == .pass)
    }

    @Test func directionPortsAndPrefixes() {
        var e = CensorEngine(policy: policy("""
            clients: [198.18.1.0/24, 2001:db8:1::/64]
            rules:
              - name: reverse
                match: {direction: server-to-client, protocol: tcp, src_port: 80, dst_port: 80}
                action: drop
              - name: range
                match: {direction: client-to-server, dst_port: ["6660-6669", 5222], dst_prefix: 198.18.3.0/24}
                action: drop
              - name: from-one-client
                match: {src_prefix: [198.18.1.77, "2001:db8:1::77"]}
                action: drop
            """))
        // Step 4 of the story: the server connects from port 80 to the client's port 80.
        #expect(e.handle(Wire.tcp("198.18.3.2", "198.18.1.2", sport: 80, dport: 80, seq: 1, flags: .syn), at: 0).rule == "reverse")
        #expect(e.handle(Wire.tcp("198.18.1.2", "198.18.3.2", sport: 80, dport: 80, seq: 1, flags: .syn), at: 0) == .pass)
        #expect(e.handle(Wire.tcp("198.18.1.2", "198.18.3.9", sport: 1, dport: 6667, seq: 1, flags: .syn), at: 0).rule == "range")
        #expect(e.handle(Wire.tcp("198.18.1.2", "198.18.3.9", sport: 1, dport: 5222, seq: 1, flags: .syn), at: 0).rule == "range")
        #expect(e.handle(Wire.tcp("198.18.1.2", "198.18.4.9", sport: 1, dport: 6667, seq: 1, flags: .syn), at: 0) == .pass)
        #expect(e.handle(Wire.tcp("198.18.1.2", "198.18.3.9", sport: 1, dport: 6670, seq: 1, flags: .syn), at: 0) == .pass)
        #expect(e.handle(Wire.udp("198.18.1.77", "198.18.5.1", sport: 1, dport: 53, payload: [1]), at: 0).rule == "from-one-client")
        #expect(e.handle(Wire.tcp("2001:db8:1::77", "2001:db8:3::2", sport: 1, dport: 9, seq: 1, flags: .syn), at: 0).rule == "from-one-client")
        #expect(e.handle(Wire.tcp("2001:db8:1::78", "2001:db8:3::2", sport: 1, dport: 9, seq: 1, flags: .syn), at: 0) == .pass)
    }

    @Test func firstMatchWinsAndAcceptEndsTheSearch() {
        var e = CensorEngine(policy: policy("""
            clients: [198.18.1.0/24]
            rules:
              - {name: allow-icmp, match: {protocol: icmp}, action: accept}
              - {name: drop-all, action: drop}
            """))
        let echo = Wire.reparse(IPPacket(IPv4Header(proto: 1, source: Wire.v4("198.18.1.2"), destination: Wire.v4("198.18.3.2")),
                                         .icmp(ICMPMessage(family: .v4, type: 8, code: 0, restOfHeader: 0x0001_0001))))
        let a = e.handle(echo, at: 0)
        #expect(a.verdict == .accept && a.rule == "allow-icmp")
        #expect(e.handle(Wire.udp("198.18.1.2", "198.18.3.2", sport: 1, dport: 2, payload: []), at: 0).rule == "drop-all")
    }

    @Test func ipv6SYNTriggerForgesAnIPv6RST() throws {
        var e = CensorEngine(policy: policy("""
            clients: ["2001:db8:1::/64"]
            rules:
              - {name: v6, match: {syn_size_min: 80}, action: inject, inject: {flags: RA, ttl: 50}}
            """))
        let syn = Wire.tcp("2001:db8:1::2", "2001:db8:3::2", sport: 4000, dport: 443, seq: 77, flags: .syn,
                           options: Wire.linuxSYNOptions)   // 40 + 40 = 80 bytes
        let d = e.handle(syn, at: 0)
        let rst = try #require(d.forgedPackets.first)
        guard case .v6(let h) = rst.header else { Issue.record("not IPv6"); return }
        #expect(h.hopLimit == 50)
        #expect(rst.source == IPAddress("2001:db8:3::2"))
        #expect(rst.transport.tcp?.acknowledgmentNumber == 78)
        #expect(rst.transportChecksumIsValid == true)
        #expect(d.forged[0].ipID == nil)
    }
}
