import Censor
import Packets
import Testing

/// `disturb`: random holds (reordering) and copies (duplication), decided by the pure
/// engine from a seeded generator.
@Suite struct EngineDisturbTests {
    static func engine(_ disturb: String, match: String = "{direction: server-to-client}") -> CensorEngine {
        CensorEngine(policy: policy("""
            clients: [198.18.1.0/24]
            rules:
              - name: chaos
                match: \(match)
                action: disturb
                disturb: \(disturb)
            """))
    }

    /// Echo replies from the server to the client, one per millisecond, as `ping -i 0.001` draws them.
    static let replies: [IPPacket] = (0..<10_000).map { i in
        Wire.reparse(IPPacket(IPv4Header(identification: UInt16(i), ttl: 63, proto: 1, source: Wire.v4("198.18.9.2"),
                                         destination: Wire.v4("198.18.1.2")),
                              .icmp(ICMPMessage(family: .v4, type: 0, code: 0, restOfHeader: UInt32(0x1234_0000 | (i & 0xFFFF)), body: [0xAB, 0xCD]))))
    }

    static func run(_ e: inout CensorEngine, _ packets: [IPPacket] = replies) -> [(time: Double, decision: CensorDecision)] {
        packets.enumerated().map { i, p in
            let t = 100 + Double(i) / 1000
            return (t, e.handle(p, at: t))
        }
    }

    @Test func duplicatesAboutTheGivenFractionWithTheGivenCopies() {
        var e = Self.engine("{duplicate: 0.3, copies: 2, seed: 7}")
        let decisions = Self.run(&e)
        let duplicated = decisions.filter { !$0.decision.duplicates.isEmpty }
        let fraction = Double(duplicated.count) / Double(decisions.count)
        // 10 000 draws at p = 0.3: σ ≈ 0.0046.
        #expect(abs(fraction - 0.3) < 0.02, "duplicated \(fraction)")
        #expect(duplicated.allSatisfy { $0.decision.duplicates.count == 2 })
        // No delay asked: originals go at once, copies right after them.
        #expect(decisions.allSatisfy { $0.decision.verdict == .accept && $0.decision.action == .disturb && $0.decision.rule == "chaos" })
        #expect(duplicated.allSatisfy { d in d.decision.duplicates.allSatisfy { $0 == d.time } })
    }

    @Test func holdsAreUniformWithinTheRangeAndReorderPackets() throws {
        var e = Self.engine("{delay_ms: [5, 25], duplicate: 0.5, seed: 11}")
        let decisions = Self.run(&e)
        var holds: [Double] = []
        var releases: [Double] = []
        for (time, d) in decisions {
            guard case .delay(let until) = d.verdict else { Issue.record("not held: \(d.verdict)"); return }
            holds.append((until - time) * 1000)
            releases.append(until)
            // Each copy after the original, within its own hold of the same range.
            for c in d.duplicates { #expect(c - until >= 0.005 - 1e-9 && c - until <= 0.025 + 1e-9) }
        }
        let lo = try #require(holds.min()), hi = try #require(holds.max())
        #expect(lo >= 5 - 1e-9 && hi <= 25 + 1e-9)
        #expect(lo < 5.1 && hi > 24.9, "the range is used to its ends: \(lo)…\(hi)")
        let mean = holds.reduce(0, +) / Double(holds.count)
        #expect(abs(mean - 15) < 0.3, "mean hold \(mean) ms")
        // Packets 1 ms apart, holds 5–25 ms: many are let go before an earlier one.
        let overtaken = zip(releases, releases.dropFirst()).filter { $0.0 > $0.1 }.count
        #expect(overtaken > 3000, "\(overtaken) of 9 999 neighbours swapped")
    }

    @Test func aSeedReproducesTheDecisionsAndAnotherSeedDoesNot() {
        var a = Self.engine("{duplicate: 0.3, delay_ms: [0, 20], seed: 42}")
        var b = Self.engine("{duplicate: 0.3, delay_ms: [0, 20], seed: 42}")
        var c = Self.engine("{duplicate: 0.3, delay_ms: [0, 20], seed: 43}")
        let packets = Array(Self.replies.prefix(2000))
        let da = Self.run(&a, packets).map(\.decision), db = Self.run(&b, packets).map(\.decision)
        let dc = Self.run(&c, packets).map(\.decision)
        #expect(da == db)
        #expect(da != dc)
        // Without a seed each engine draws its own.
        var u = Self.engine("{duplicate: 0.3, delay_ms: [0, 20]}"), v = Self.engine("{duplicate: 0.3, delay_ms: [0, 20]}")
        #expect(Self.run(&u, packets).map(\.decision) != Self.run(&v, packets).map(\.decision))
    }

    @Test func aFixedDelayHoldsEveryPacketThatLong() {
        var e = Self.engine("{delay_ms: 7, seed: 1}")
        for (time, d) in Self.run(&e, Array(Self.replies.prefix(100))) {
            #expect(d.verdict == .delay(until: time + 0.007))
            #expect(d.duplicates.isEmpty)
        }
    }

    @Test func onlyMatchingPacketsAreDisturbedAndTTL1IsNeverCopied() {
        var e = Self.engine("{duplicate: 1, delay_ms: [1, 2], seed: 3}")
        // The client's request passes untouched (the rule is server-to-client).
        let request = Wire.tcp("198.18.1.2", "198.18.9.2", sport: 40000, dport: 80, seq: 1, flags: .syn)
        #expect(e.handle(request, at: 1) == .pass)
        // Time-exceeded from a router beyond the censor, quoting the client's probe: disturbed.
        let probe = Wire.tcp("198.18.1.2", "198.18.9.2", sport: 40001, dport: 80, seq: 9, flags: .syn, ttl: 1).serialized()
        let exceeded = Wire.reparse(IPPacket(IPv4Header(ttl: 63, proto: 1, source: Wire.v4("198.18.3.2"), destination: Wire.v4("198.18.1.2")),
                                             .icmp(ICMPMessage(family: .v4, type: 11, code: 0, body: probe.prefix(28)))))
        let d = e.handle(exceeded, at: 2)
        #expect(d.rule == "chaos" && d.duplicates.count == 1)
        guard case .delay(let until) = d.verdict else { Issue.record("not held"); return }
        #expect(until >= 2.001 && until <= 2.002)
        // A packet that expires here is held (the kernel answers it) but never copied.
        let dying = Wire.tcp("198.18.9.2", "198.18.1.2", sport: 80, dport: 40000, seq: 5, flags: [.syn, .ack], ttl: 1)
        let last = e.handle(dying, at: 3)
        #expect(last.rule == "chaos" && last.duplicates.isEmpty)
        // Neighbour discovery and other link-scoped packets are not forwarded, so not copied.
        for (dst, hop) in [("ff02::1:ff00:2", 255), ("fe80::1", 255), ("2001:db8:1::2", 255)] as [(String, UInt8)] {
            let ns = Wire.reparse(IPPacket(IPv6Header(nextHeader: 58, hopLimit: hop, source: IPv6Address("2001:db8:2::1")!,
                                                      destination: IPv6Address(dst)!),
                                           .icmp(ICMPMessage(family: .v6, type: 135, code: 0, body: [0, 0, 0, 0]))))
            let nd = e.handle(ns, at: 4)
            #expect(nd.rule == "chaos" && nd.duplicates.isEmpty == dst.hasPrefix("f"), "\(dst)")
        }
        for dst in ["224.0.0.5", "255.255.255.255", "169.254.1.1", "127.0.0.1"] {
            let p = Wire.reparse(IPPacket(IPv4Header(ttl: 64, proto: 17, source: Wire.v4("198.18.9.2"), destination: Wire.v4(dst)),
                                          .udp(UDPDatagram(sourcePort: 1, destinationPort: 2, payload: [1]))))
            #expect(e.handle(p, at: 5).duplicates.isEmpty, "\(dst)")
        }
    }

    @Test func disturbedTCPStaysTrackedLikeForwardedTCP() {
        // Later rules still see the flow: the handshake goes through a disturb rule on the
        // way back, and an established-only rule catches the client's data.
        var e = CensorEngine(policy: policy("""
            clients: [198.18.1.0/24]
            rules:
              - {name: chaos, match: {direction: server-to-client}, action: disturb, disturb: {duplicate: 0.5, delay_ms: [0, 20]}}
              - {name: est, match: {established: true, direction: client-to-server}, action: drop}
            """))
        var c = Connection()
        c.server = "198.18.9.2"
        let hs = c.handshake(&e)
        #expect(hs[1].rule == "chaos")
        #expect(c.clientData(&e, Array("x".utf8)).0.rule == "est")
    }
}
