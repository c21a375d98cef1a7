import Censor
import Packets
import Testing

/// Content triggers: HTTP Host, TLS SNI (reassembled), STUN, raw payload, established.
@Suite struct EngineContentTests {
    static let hostPolicy = """
        clients: [198.18.1.0/24]
        rules:
          - name: blocked-host
            match: {http_host: blocked.example}
            action: inject
            inject: {to: both, flags: RA}
          - name: blocked-sni
            match: {tls_sni: [blocked.example, {contains: telegram}]}
            action: inject
            inject: {to: both, flags: RA}
        """

    static func request(host: String) -> [UInt8] {
        Array("GET /index.html HTTP/1.1\r\nUser-Agent: curl/8.0\r\nHost: \(host)\r\nAccept: */*\r\n\r\n".utf8)
    }

    @Test func httpHostTriggerResetsBothEndsInWindow() throws {
        var e = CensorEngine(policy: policy(Self.hostPolicy))
        var c = Connection()
        #expect(c.handshake(&e).allSatisfy { $0 == .pass })
        let requestSeq = c.clientSeq
        let serverNext = c.serverSeq
        let (d, _) = c.clientData(&e, Self.request(host: "Blocked.Example:8080"))
        #expect(d.verdict == .drop)
        #expect(d.trigger == "http_host=Blocked.Example")
        let forged = d.forgedPackets
        try #require(forged.count == 2)
        // To the client, as from the server: seq = the server's next byte, ack = past the request.
        let toClient = try #require(forged[0].transport.tcp)
        #expect(forged[0].destination == IPAddress(c.client))
        #expect(toClient.sequenceNumber == serverNext)
        #expect(toClient.acknowledgmentNumber == c.clientSeq)
        #expect(toClient.flags == [.rst, .ack])
        // To the server, as from the client: the request was dropped, so seq = its first byte.
        let toServer = try #require(forged[1].transport.tcp)
        #expect(forged[1].destination == IPAddress(c.server))
        #expect(toServer.sequenceNumber == requestSeq)
        #expect(toServer.acknowledgmentNumber == serverNext)
        #expect(toServer.sourcePort == c.clientPort && toServer.destinationPort == c.serverPort)
    }

    @Test func otherHostsPassAndDomainsMatchOnLabelBoundaries() {
        for (host, blocked) in [("example.org", false), ("notblocked.example", false), ("www.blocked.example.", true),
                                ("BLOCKED.EXAMPLE", true), ("blocked.example.org", false)] {
            var e = CensorEngine(policy: policy(Self.hostPolicy))
            var c = Connection()
            c.handshake(&e)
            #expect((c.clientData(&e, Self.request(host: host)).0.rule != nil) == blocked, "host \(host)")
        }
    }

    @Test func httpRequestSplitAcrossSegmentsAndItsRetransmission() {
        var e = CensorEngine(policy: policy(Self.hostPolicy))
        var c = Connection()
        c.handshake(&e)
        let request = Self.request(host: "blocked.example")
        #expect(c.clientData(&e, Array(request[..<30])).0 == .pass)   // cut inside "Host"
        let seq = c.clientSeq
        let (d, trigger) = c.clientData(&e, Array(request[30...]))
        #expect(d.rule == "blocked-host")
        // The client's stack retransmits the dropped segment: caught again.
        #expect(c.send(&e, trigger).rule == "blocked-host")
        #expect(trigger.transport.tcp?.sequenceNumber == seq)
    }

    @Test func sniInOneSegment() {
        var e = CensorEngine(policy: policy(Self.hostPolicy))
        var c = Connection()
        c.serverPort = 443
        c.handshake(&e)
        let d = c.clientData(&e, TLS.clientHello(sni: "blocked.example")).0
        #expect(d.rule == "blocked-sni")
        #expect(d.trigger == "tls_sni=blocked.example")
    }

    @Test(arguments: [[40], [10, 200], [3, 4], [100, 150], [5, 60, 61]])
    func sniSplitAcrossTwoAndThreeSegments(cuts: [Int]) {
        var e = CensorEngine(policy: policy(Self.hostPolicy))
        var c = Connection()
        c.serverPort = 443
        c.handshake(&e)
        let hello = TLS.clientHello(sni: "web.telegram.org")
        let bounds = [0] + cuts + [hello.count]
        for i in 0..<(bounds.count - 1) {
            let d = c.clientData(&e, Array(hello[bounds[i]..<bounds[i + 1]])).0
            if i < bounds.count - 2 {
                #expect(d == .pass, "segment \(i) of \(cuts) should pass: the SNI is not complete yet")
            } else {
                #expect(d.rule == "blocked-sni", "the last segment completes the ClientHello")
                #expect(d.trigger == "tls_sni=web.telegram.org")
            }
        }
    }

    @Test func sniOutOfOrderSegmentsAndTwoTLSRecords() {
        var e = CensorEngine(policy: policy(Self.hostPolicy))
        var c = Connection()
        c.serverPort = 443
        c.handshake(&e)
        let hello = TLS.clientHelloInTwoRecords(sni: "blocked.example", cut: 50)
        let base = c.clientSeq
        func segment(_ r: Range<Int>) -> IPPacket {
            Wire.tcp(c.client, c.server, sport: c.clientPort, dport: 443, seq: base &+ UInt32(r.lowerBound),
                     ack: c.serverSeq, flags: [.psh, .ack], payload: Array(hello[r]))
        }
        #expect(c.send(&e, segment(120..<hello.count)) == .pass)   // arrives first, held aside
        #expect(c.send(&e, segment(0..<60)) == .pass)
        #expect(c.send(&e, segment(60..<120)).rule == "blocked-sni")  // fills the hole
    }

    @Test func notTLSNotHTTPAndOtherSNIsPass() {
        var e = CensorEngine(policy: policy(Self.hostPolicy))
        var c = Connection()
        c.handshake(&e)
        #expect(c.clientData(&e, TLS.clientHello(sni: "allowed.example")).0 == .pass)
        var c2 = Connection()
        c2.clientPort = 40001
        c2.handshake(&e)
        #expect(c2.clientData(&e, TLS.clientHello(sni: nil)).0 == .pass)
        var c3 = Connection()
        c3.clientPort = 40002
        c3.handshake(&e)
        #expect(c3.clientData(&e, Array("SSH-2.0-OpenSSH_9.2\r\n".utf8)).0 == .pass)
        // Once decided "not HTTP", later bytes are not inspected.
        #expect(c3.clientData(&e, Self.request(host: "blocked.example")).0 == .pass)
    }

    @Test func establishedOnlyAfterTheHandshake() {
        let p = policy("""
            clients: [198.18.1.0/24]
            rules:
              - {name: est, match: {http_host: blocked.example, established: true}, action: drop}
            """)
        var e = CensorEngine(policy: p)
        var c = Connection()
        // No handshake seen (the censor came up mid-flow): the request alone is not enough.
        #expect(c.clientData(&e, Self.request(host: "blocked.example")).0 == .pass)
        var c2 = Connection()
        c2.clientPort = 40001
        c2.handshake(&e)
        #expect(c2.clientData(&e, Self.request(host: "blocked.example")).0.rule == "est")
    }

    @Test func stunAndPayloadMatches() {
        var e = CensorEngine(policy: policy("""
            clients: [198.18.1.0/24]
            rules:
              - {name: stun, match: {protocol: udp, stun: true}, action: drop}
              - {name: bittorrent, match: {payload_contains: "BitTorrent protocol"}, action: drop}
              - {name: magic, match: {protocol: udp, payload_hex: "deadbeef"}, action: drop}
            """))
        let binding: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42] + [UInt8](repeating: 7, count: 12)
        #expect(e.handle(Wire.udp("198.18.1.2", "198.18.3.2", sport: 5000, dport: 3478, payload: binding), at: 0).rule == "stun")
        var badLength = binding
        badLength[3] = 8   // announces 8 attribute bytes that are not there
        #expect(e.handle(Wire.udp("198.18.1.2", "198.18.3.2", sport: 5000, dport: 3478, payload: badLength), at: 0) == .pass)
        #expect(e.handle(Wire.udp("198.18.1.2", "198.18.3.2", sport: 5000, dport: 53, payload: [0x12, 0x34, 1, 0, 0, 1]), at: 0) == .pass)
        let handshake = [19] + Array("BitTorrent protocol".utf8) + [UInt8](repeating: 0, count: 8)
        #expect(e.handle(Wire.tcp("198.18.1.2", "198.18.3.2", sport: 1, dport: 6881, seq: 1, ack: 1, flags: [.psh, .ack],
                                  payload: handshake), at: 0).rule == "bittorrent")
        #expect(e.handle(Wire.udp("198.18.1.2", "198.18.3.2", sport: 1, dport: 2, payload: [0, 0xDE, 0xAD, 0xBE, 0xEF]), at: 0).rule == "magic")
    }

    /// Blocking QUIC while TCP 443 passes, as deployed censors do: the port rule drops the
    /// client's Initial, so no Version Negotiation can come back; TLS on TCP 443 goes on.
    @Test func quicIsDroppedByAUDPPortRule() throws {
        var e = CensorEngine(policy: policy("""
            clients: [198.18.1.0/24]
            rules:
              - {name: no-quic, match: {direction: client-to-server, protocol: udp, dst_port: 443}, action: drop}
            """))
        let initial = try QUICInitial.encode(version: 0x1A2A_3A4A, destinationConnectionID: [1, 2, 3, 4, 5, 6, 7, 8],
                                             sourceConnectionID: [9, 9])
        let decision = e.handle(Wire.udp("198.18.1.2", "198.18.9.2", sport: 61_000, dport: 443, payload: initial), at: 0)
        #expect(decision.rule == "no-quic" && decision.action == .drop)
        #expect(e.handle(Wire.tcp("198.18.1.2", "198.18.9.2", sport: 61_001, dport: 443, seq: 1, ack: 0, flags: .syn,
                                  payload: []), at: 0) == .pass)
        #expect(e.handle(Wire.udp("198.18.1.2", "198.18.9.2", sport: 61_000, dport: 3478, payload: initial), at: 0) == .pass)
    }

    @Test func inspectionOfEveryPrefixAndOfHostileBytes() {
        let hello = TLS.clientHello(sni: "blocked.example")
        for n in 1..<hello.count { #expect(StreamContent.inspect(Array(hello[..<n])) == .needMore, "prefix \(n)") }
        #expect(StreamContent.inspect(hello) == .tls(sni: "blocked.example", end: hello.count))
        let request = Self.request(host: "a.example")
        let throughHost = Array("GET /index.html HTTP/1.1\r\nUser-Agent: curl/8.0\r\nHost: a.example\r\n".utf8).count
        #expect(StreamContent.inspect(request) == .http(host: "a.example", end: throughHost))
        #expect(StreamContent.inspect(Array("GET http://proxy.example:3128/x HTTP/1.1\r\n\r\n".utf8))
            == .http(host: "proxy.example", end: 44))
        #expect(StreamContent.inspect(Array("HTTP/1.1 200 OK\r\n".utf8)) == .other)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var bytes = Bool.random(using: &rng) ? hello : request
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = StreamContent.inspect(Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng))))
        }
    }
}
