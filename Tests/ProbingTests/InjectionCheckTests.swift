// The founding story (seeds/003): a browser's SYN answered by a forged RST. x.x.x.x is
// recovered as 159.89.184.10 from the story's traceroute -T hex dumps (9f59 b80a); rebuilt
// from the tcpdump text with that address, both packets reproduce the checksums tcpdump
// printed, which confirms it and the RST's ack field (= the SYN's seq).
import Capture
import Packets
import Probing
import Testing

enum FoundingStory {
    static let client = IPv4Address(192, 168, 0, 13)
    static let server = IPv4Address(159, 89, 184, 10)

    /// 23:38:18.908971 192.168.0.13.41722 > x.x.x.x.80: Flags [S], cksum 0xd52f, seq 1092877667, length 60
    static let syn = IPPacket(
        IPv4Header(identification: 59563, flags: .dontFragment, ttl: 64, proto: 6, source: client, destination: server),
        .tcp(TCPSegment(sourcePort: 41722, destinationPort: 80, sequenceNumber: 1_092_877_667, flags: .syn, window: 29200,
                        options: [.maximumSegmentSize(1460), .sackPermitted, .timestamps(value: 3_908_771_289, echoReply: 0),
                                  .noOperation, .windowScale(7)])))

    /// 23:38:18.925014 x.x.x.x.80 > 192.168.0.13.41722: Flags [R], cksum 0x43e5, seq 0, win 29200 (ttl 58, id 1)
    static let forgedRST = IPPacket(
        IPv4Header(identification: 1, ttl: 58, proto: 6, source: server, destination: client),
        .tcp(TCPSegment(sourcePort: 80, destinationPort: 41722, sequenceNumber: 0, acknowledgmentNumber: 1_092_877_667,
                        flags: .rst, window: 29200)))

    /// `ping`: 72 bytes from x.x.x.x: ttl=52 — the host's own replies.
    static let pingReply = Fingerprint(source: .v4(server), ttl: 52, ipID: 0, dontFragment: false, tos: 0, length: 84,
                                       icmpType: 0, icmpCode: 0)

    static func probe() -> Probe {
        Probe(index: 0, module: "syn", label: "syn linux", packet: wire(syn), bytes: syn.serialized())
    }
}

@Suite struct InjectionCheckTests {
    @Test func rebuiltPacketsCarryTheStorysChecksums() throws {
        let syn = try IPPacket.parse(FoundingStory.syn.serialized())
        let rst = try IPPacket.parse(FoundingStory.forgedRST.serialized())
        #expect(syn.transport.tcp?.checksum == 0xD52F)
        #expect(rst.transport.tcp?.checksum == 0x43E5)
        #expect(FoundingStory.syn.serialized().count == 60 && FoundingStory.forgedRST.serialized().count == 40)
    }

    @Test func foundingStoryRSTIsInjected() throws {
        let probe = FoundingStory.probe()
        var correlator = Correlator(probes: [probe])
        #expect(correlator.observe(wire(FoundingStory.syn), at: CaptureTimestamp(seconds: 1_524_602_298, nanoseconds: 908_971_000)) == .sent(0))
        let rst = try #require(correlator.observe(wire(FoundingStory.forgedRST),
                                                  at: CaptureTimestamp(seconds: 1_524_602_298, nanoseconds: 925_014_000)).answer)
        #expect(rst.kind == .rst && rst.basis == .flow && rst.rttNanoseconds == 16_043_000)
        // The retransmitted SYN's RST is a copy: same flags, TTL and source.
        #expect(correlator.observe(wire(FoundingStory.forgedRST), at: CaptureTimestamp(seconds: 1_524_602_299, nanoseconds: 948_956_000)) == .duplicate(0))

        let verdict = InjectionCheck.assess(rst, probe: probe, siblings: correlator.answers(for: 0), reference: [FoundingStory.pingReply])
        #expect(verdict.injected)
        #expect(verdict.reasons.count == 2)
        #expect(verdict.reasons.contains { $0.contains("RFC 9293 §3.10.7.1") })
        #expect(verdict.reasons.contains("TTL 58 means 6 hops; the host's own replies come from 12 hops."))
    }

    /// The story's traceroute -T captures, byte for byte: a 60-byte SYN answered by a forged
    /// RST (TTL 8, IP ID 1), and a 44-byte SYN answered by the server's SYN-ACK (TTL 51).
    static let bigSYN = "4500 003c d676 0000 1306 b937 c0a8 0002 9f59 b80a a4d1 0050 a609 d8f5 0000 0000 a002 16d0 e900 0000 0204 05b4 0402 080a 6285 a97f 0000 0000 0103 0302"
    static let ttl8RST = "4500 0028 0001 0000 0806 9ac1 9f59 b80a c0a8 0002 0050 a4d1 0000 0000 a609 d8f5 5004 16d0 5ce1 0000 0000 0000 0000"
    static let smallSYN = "4500 002c f1ed 0000 1306 9dd0 c0a8 0002 9f59 b80a e2c9 0050 e569 3ed5 0000 0000 6002 16d0 61ef 0000 0204 05b4"
    static let synAck = "4500 002c 0000 4000 3306 2fbe 9f59 b80a c0a8 0002 0050 e2c9 97a3 5f23 e569 3ed6 6012 7210 0feb 0000 0204 05a0 0000"

    @Test func traceTCPCapturesFromTheStory() throws {
        let big = try Hex.decode(Self.bigSYN), small = try Hex.decode(Self.smallSYN)
        let probes = [Probe(index: 0, module: "syn", label: "60-byte", packet: try IPPacket.parse(big), bytes: big),
                      Probe(index: 1, module: "syn", label: "44-byte", packet: try IPPacket.parse(small), bytes: small)]
        var correlator = Correlator(probes: probes)
        func observe(_ hex: String, ms: Int) throws -> Correlator.Observation {
            correlator.observe(CapturedPacket(timestamp: Net.time(ms), linkType: .raw, data: try Hex.decode(hex)[...]))
        }
        #expect(try observe(Self.bigSYN, ms: 0) == .sent(0))
        #expect(try observe(Self.smallSYN, ms: 1) == .sent(1))
        let rst = try #require(try observe(Self.ttl8RST, ms: 26).answer)
        let synAck = try #require(try observe(Self.synAck, ms: 160).answer)
        #expect(rst.probeIndex == 0 && rst.kind == .rst && rst.basis == .flow && rst.fingerprint.ttl == 8 && rst.fingerprint.ipID == 1)
        #expect(synAck.probeIndex == 1 && synAck.kind == .synAck && synAck.basis == .acknowledgment)
        #expect(synAck.rttNanoseconds == 159_000_000)

        // The genuine SYN-ACK is the reference: TTL 8 (from 32) and TTL 51 (from 64) are different guesses, no evidence alone.
        let verdict = InjectionCheck.assess(rst, probe: probes[0], siblings: [rst], reference: [synAck.fingerprint])
        #expect(verdict.injected)
        #expect(verdict.reasons.count == 1 && verdict.reasons[0].contains("RST without ACK answered a SYN"))
        let genuine = InjectionCheck.assess(synAck, probe: probes[1], siblings: [synAck], reference: [synAck.fingerprint])
        #expect(!genuine.injected)
        #expect(genuine.reasons.contains("TTL 51 means 13 hops, as for the host's own replies."))
    }

    @Test func differentInitialTTLGuessesAloneAreNoEvidence() throws {
        let probe = synProbe(0)
        let synAck = try Answer.made(to: probe, tcpAnswer(to: probe, flags: [.syn, .ack], ttl: 120))
        let reference = Fingerprint(source: Net.server4, ttl: 52, ipID: 0, dontFragment: true, tos: 0, length: 84)
        let verdict = InjectionCheck.assess(synAck, probe: probe, siblings: [synAck], reference: [reference])
        #expect(!verdict.injected)
        #expect(verdict.reasons.contains { $0.contains("different initial TTLs") })
    }

    @Test func hopDistanceAgainstEveryReference() throws {
        let probe = synProbe(0)
        let rstAck = try Answer.made(to: probe, tcpAnswer(to: probe, flags: [.rst, .ack], seq: 0, ttl: 60))
        // ECMP: the host's replies come from 11 and 12 hops.
        let refs = [52, 53].map { Fingerprint(source: Net.server4, ttl: UInt8($0), ipID: 0, dontFragment: true, tos: 0, length: 84) }
        let verdict = InjectionCheck.assess(rstAck, probe: probe, siblings: [], reference: refs)
        #expect(verdict.injected && verdict.reasons == ["TTL 60 means 4 hops; the host's own replies come from 11 or 12 hops."])
        let fromOtherHost = [Fingerprint(source: Net.other4, ttl: 52, ipID: 0, dontFragment: true, tos: 0, length: 84)]
        let unknown = InjectionCheck.assess(rstAck, probe: probe, siblings: [], reference: fromOtherHost)
        #expect(!unknown.injected && unknown.reasons.contains { $0.hasPrefix("No packets known to come from 198.18.9.2") })
    }

    @Test func conflictingSiblingsWithoutReference() throws {
        let probe = synProbe(0, seq: 1000)
        var correlator = Correlator(probes: [probe])
        let rst = try #require(correlator.observe(tcpAnswer(to: probe, flags: [.rst, .ack], seq: 0, ttl: 58), at: Net.time(16)).answer)
        let synAck = try #require(correlator.observe(tcpAnswer(to: probe, flags: [.syn, .ack], ttl: 52), at: Net.time(141)).answer)
        let siblings = correlator.answers(for: 0)
        let r = InjectionCheck.assess(rst, probe: probe, siblings: siblings, reference: [])
        #expect(r.injected && r.reasons == ["The same probe also drew a syn-ack from 198.18.9.2 with TTL 52 and no reference decides between them: the RST is taken as the forgery."])
        let s = InjectionCheck.assess(synAck, probe: probe, siblings: siblings, reference: [])
        #expect(!s.injected && s.reasons.contains { $0.contains("the RST, not this answer, is taken as the forgery") })
    }

    @Test func conflictingSiblingsDecidedByTheReference() throws {
        let probe = synProbe(0, seq: 1000)
        var correlator = Correlator(probes: [probe])
        // Here the forgery is the SYN-ACK (a middlebox completing handshakes) and the RST genuine.
        let synAck = try #require(correlator.observe(tcpAnswer(to: probe, flags: [.syn, .ack], ttl: 61), at: Net.time(5)).answer)
        let rst = try #require(correlator.observe(tcpAnswer(to: probe, flags: [.rst, .ack], seq: 0, ttl: 52), at: Net.time(141)).answer)
        let reference = [Fingerprint(source: Net.server4, ttl: 52, ipID: 0, dontFragment: true, tos: 0, length: 84)]
        let siblings = correlator.answers(for: 0)
        let forged = InjectionCheck.assess(synAck, probe: probe, siblings: siblings, reference: reference)
        #expect(forged.injected && forged.reasons.count == 2)
        #expect(forged.reasons.last?.contains("this answer is the one whose hop distance disagrees") == true)
        let genuine = InjectionCheck.assess(rst, probe: probe, siblings: siblings, reference: reference)
        #expect(!genuine.injected && genuine.reasons.contains { $0.contains("that one is the forgery") })
    }

    @Test func genuineAnswerSaysWhatWasChecked() throws {
        let probe = synProbe(0)
        let synAck = try Answer.made(to: probe, tcpAnswer(to: probe, flags: [.syn, .ack], ttl: 52))
        let reference = [Fingerprint(source: Net.server4, ttl: 52, ipID: 0, dontFragment: true, tos: 0, length: 84)]
        let verdict = InjectionCheck.assess(synAck, probe: probe, siblings: [synAck], reference: reference)
        #expect(!verdict.injected)
        #expect(verdict.reasons == [
            "Its TCP flags (SA) are ones a conforming stack sends in answer to a SYN.",
            "TTL 52 means 12 hops, as for the host's own replies.",
            "No other answer of another kind came from 198.18.9.2 with a different TTL.",
        ])
    }
}

extension Answer {
    /// The answer a fresh correlator makes of `packet` for `probe`.
    static func made(to probe: Probe, _ packet: IPPacket) throws -> Answer {
        var c = Correlator(probes: [probe])
        return try #require(c.observe(packet, at: Net.time(1)).answer, "\(packet) does not answer \(probe.label)")
    }
}
