import Censor
import Packets
import Testing

/// Actions: forged packet fingerprints and sequence numbers, blockpages, residual
/// blocking, throttling.
@Suite struct EngineActionTests {
    static let request = Array("GET / HTTP/1.1\r\nHost: blocked.example\r\n\r\n".utf8)

    static func engine(inject: String, action: String = "inject", extra: String = "") -> CensorEngine {
        CensorEngine(policy: policy("""
            clients: [198.18.1.0/24]
            rules:
              - name: r
                match: {http_host: blocked.example}
                action: \(action)
                inject: \(inject)
            \(extra)
            """))
    }

    @Test func blockpageWithFINIsInWindowAndTheRequestGoesOn() throws {
        var e = Self.engine(inject: #"{to: client, flags: FPA, payload: "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"}"#,
                            action: "inject-and-accept")
        var c = Connection()
        c.handshake(&e)
        let serverNext = c.serverSeq
        let (d, _) = c.clientData(&e, Self.request)
        #expect(d.verdict == .accept)
        let page = try #require(d.forgedPackets.first)
        let tcp = try #require(page.transport.tcp)
        #expect(tcp.flags == [.fin, .psh, .ack])
        #expect(tcp.sequenceNumber == serverNext)
        #expect(tcp.acknowledgmentNumber == c.clientSeq)   // acknowledges the whole request
        #expect(Array(tcp.payload) == Array("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".utf8))
        #expect(page.transportChecksumIsValid == true)
    }

    @Test func rstToServerAfterAForwardedTriggerFollowsIt() throws {
        var e = Self.engine(inject: "{to: server, flags: R}", action: "inject-and-accept")
        var c = Connection()
        c.handshake(&e)
        let (d, _) = c.clientData(&e, Self.request)
        // The server receives the request first, so the RST must come at its end (RFC 5961: exactly rcv.nxt).
        #expect(d.forgedPackets.first?.transport.tcp?.sequenceNumber == c.clientSeq)
    }

    @Test func fingerprintsTTLIPIDWindowDFCopies() throws {
        var e = Self.engine(inject: "[{ttl: {copy_minus: 3}, ip_id: copy, window: copy}, {ttl: 200, ip_id: increment, copies: 3}, {ip_id: zero}, {ip_id: 7777, df: true, window: 1234}]")
        var c = Connection()
        c.handshake(&e)
        let trigger = Wire.tcp(c.client, c.server, sport: c.clientPort, dport: c.serverPort, seq: c.clientSeq, ack: c.serverSeq,
                               flags: [.psh, .ack], window: 502, payload: Self.request, ttl: 61, id: 31337)
        let d = c.send(&e, trigger)
        let f = d.forged
        try #require(f.count == 6)
        #expect(f[0].ttl == 58 && f[0].ipID == 31337 && f[0].window == 502 && !f[0].dontFragment)
        #expect(f[1...3].map(\.ipID) == [1, 2, 3])
        #expect(f[1...3].allSatisfy { $0.ttl == 200 })
        // ip_id zero: DF is forced on, or Linux would put a random ID in.
        #expect(f[4].ipID == 0 && f[4].dontFragment)
        #expect(f[5].ipID == 7777 && f[5].dontFragment && f[5].window == 1234)
        for p in d.forgedPackets {
            guard case .v4(let h) = p.header else { Issue.record("not IPv4"); continue }
            #expect(p.headerChecksumIsValid == true)
            #expect(p.transportChecksumIsValid == true)
            #expect(h.totalLength == 40)
        }
        // The counter goes on with the next trigger; a TTL cannot go below 1.
        let low = Wire.tcp(c.client, c.server, sport: c.clientPort, dport: c.serverPort, seq: c.clientSeq, ack: c.serverSeq,
                           flags: [.psh, .ack], payload: Self.request, ttl: 2)
        let again = c.send(&e, low).forged
        #expect(again[0].ttl == 1)
        #expect(again[1].ipID == 4)
    }

    @Test func rstToClientUsesWhatTheCensorForwardedFromTheServer() throws {
        var e = Self.engine(inject: "{flags: RA}")
        var c = Connection()
        c.handshake(&e)
        let staleAck = c.serverSeq
        _ = c.serverData(&e, [UInt8](repeating: 0x41, count: 700))   // banner the client has not acked yet
        let trigger = Wire.tcp(c.client, c.server, sport: c.clientPort, dport: c.serverPort, seq: c.clientSeq, ack: staleAck,
                               flags: [.psh, .ack], payload: Self.request)
        let rst = try #require(c.send(&e, trigger).forgedPackets.first?.transport.tcp)
        #expect(rst.sequenceNumber == c.serverSeq)   // past the 700 bytes in flight to the client
    }

    @Test func oneWayPathFallsBackToTheTriggersAck() throws {
        // Asymmetric routing: the censor sees only the client's packets.
        var e = Self.engine(inject: "{flags: RA}")
        let trigger = Wire.tcp("198.18.1.2", "198.18.3.2", sport: 999, dport: 80, seq: 5, ack: 0xABCDEF,
                               flags: [.psh, .ack], payload: Self.request)
        let rst = try #require(e.handle(trigger, at: 0).forgedPackets.first?.transport.tcp)
        #expect(rst.sequenceNumber == 0xABCDEF)
        #expect(rst.acknowledgmentNumber == 5 + UInt32(Self.request.count))
    }

    @Test func residualBlockingOfClientServerPort() throws {
        var e = CensorEngine(policy: policy("""
            clients: [198.18.1.0/24]
            rules:
              - name: sni
                match: {tls_sni: blocked.example}
                action: inject
                inject: {flags: RA}
                residual_seconds: 90
            """))
        var c = Connection()
        c.serverPort = 443
        c.time = 10
        c.handshake(&e)
        #expect(c.clientData(&e, TLS.clientHello(sni: "blocked.example")).0.rule == "sni")
        func syn(_ client: String, _ port: UInt16, at t: Double) -> CensorDecision {
            e.handle(Wire.tcp(client, "198.18.3.2", sport: 41000, dport: port, seq: 7, flags: .syn), at: t)
        }
        let hit = syn("198.18.1.2", 443, at: 50)
        #expect(hit.rule == "sni" && hit.trigger == "residual" && hit.verdict == .drop)
        #expect(hit.forgedPackets.first?.transport.tcp?.acknowledgmentNumber == 8)
        // The server's answers on that 3-tuple are blocked too.
        let synAck = Wire.tcp("198.18.3.2", "198.18.1.2", sport: 443, dport: 41001, seq: 1, ack: 8, flags: [.syn, .ack])
        #expect(e.handle(synAck, at: 50).trigger == "residual")
        #expect(syn("198.18.1.2", 80, at: 50) == .pass)       // another port
        #expect(syn("198.18.1.3", 443, at: 50) == .pass)      // another client
        #expect(syn("198.18.1.2", 443, at: 100.5) == .pass)   // expired (10.0x + 90)
    }

    @Test func throttleShapesTheWholeFlowAfterTheTrigger() throws {
        // 80 kbit/s = 10 000 bytes/s; bucket 3000 bytes; at most 0.55 s of queue.
        var e = CensorEngine(policy: policy("""
            clients: [198.18.1.0/24]
            rules:
              - {name: slow, match: {tls_sni: slow.example}, action: throttle, rate_kbit: 80, burst_bytes: 3000, max_delay_ms: 550}
            """))
        var c = Connection()
        c.serverPort = 443
        c.handshake(&e)
        #expect(c.clientData(&e, TLS.clientHello(sni: "slow.example")).0.verdict == .accept)  // within the burst
        let t0 = c.time
        var verdicts: [CensorDecision.Verdict] = []
        for _ in 0..<10 {
            let p = Wire.tcp(c.server, c.client, sport: 443, dport: c.clientPort, seq: c.serverSeq, ack: c.clientSeq,
                             flags: .ack, payload: [UInt8](repeating: 0, count: 960))   // 1000 bytes on the wire
            c.serverSeq &+= 960
            verdicts.append(e.handle(p, at: t0).verdict)
        }
        // Burst of 3000: three go at once, then one every 0.1 s; 0.6 s would be too long: drops.
        #expect(Array(verdicts[0..<3]) == [.accept, .accept, .accept])
        for (i, v) in verdicts[3..<8].enumerated() {
            guard case .delay(let until) = v else { Issue.record("packet \(i + 3): \(v)"); continue }
            #expect(abs(until - t0 - 0.1 * Double(i + 1)) < 1e-9)
        }
        #expect(Array(verdicts[8...]) == [.drop, .drop])
        // The flow stays throttled (its own bucket per direction), and is logged as such.
        let ack = Wire.tcp(c.client, c.server, sport: c.clientPort, dport: 443, seq: c.clientSeq, ack: c.serverSeq, flags: .ack)
        let d = e.handle(ack, at: t0 + 1)
        #expect(d.verdict == .accept && d.rule == "slow" && d.trigger == "throttled-flow")
        // Other flows are not.
        var other = Connection()
        other.clientPort = 40100
        #expect(other.handshake(&e).allSatisfy { $0 == .pass })
    }

    @Test func tokenBucketHoldsTheRateOverTime() {
        var spec = ThrottleSpec(rateKbit: 150)
        spec.maxDelayMilliseconds = 60_000
        var bucket = TokenBucket(spec: spec, at: 0)
        // A sender that always has a 1500-byte packet ready: 2 MB takes (2 MB - burst) / rate.
        var now = 0.0
        var sent = 0
        while sent < 2_000_000 {
            guard let release = bucket.schedule(bytes: 1500, at: now, spec: spec) else { Issue.record("dropped"); return }
            now = release
            sent += 1500
        }
        let expected = Double(sent - spec.burstBytes) / spec.bytesPerSecond
        #expect(abs(now - expected) < 0.02, "took \(now) s, expected \(expected) s")
        // An idle bucket fills up to the burst again, not beyond.
        #expect(bucket.schedule(bytes: 3000, at: now + 100, spec: spec) == now + 100)
        #expect(bucket.schedule(bytes: 1500, at: now + 100, spec: spec)! > now + 100)
    }
}
