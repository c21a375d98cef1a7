import Packets
import Probing
import Testing

/// ICMP echo and plain UDP probes: layout, Paris checksum control, answer recognition.
@Suite struct EchoAndUDPProbeTests {
    @Test(arguments: [false, true])
    func echoRequestLayout(ipv6: Bool) throws {
        let probe = try ModulesFixture.builder(ipv6: ipv6).icmpEcho(index: 7, identifier: 0x1234, sequence: 0x0102,
                                                                    payloadSize: 56, ttl: 5, ipID: 77)
        ModulesFixture.expectWellFormed(probe)
        #expect(probe.bytes.count == (ipv6 ? 40 : 20) + 8 + 56)
        let icmp = try #require(probe.packet.transport.icmp)
        #expect(icmp.type == (ipv6 ? 128 : 8) && icmp.code == 0)
        #expect(icmp.identifier == 0x1234 && icmp.sequence == 0x0102)
        #expect(icmp.body.count == 56)
        #expect(probe.module == "icmp" && probe.label == "icmp echo ttl 5 #7" && probe.ttl == 5)
        if case .v4(let h) = probe.packet.header { #expect(h.identification == 77 && h.proto == 1 && h.dontFragment) }
        if case .v6(let h) = probe.packet.header { #expect(h.nextHeader == 58 && h.extensionHeaders.isEmpty) }
    }

    @Test(arguments: [false, true], [UInt16(0x0000), 0x0001, 0x8000, 0xBEEF, 0xFFFE])
    func constantICMPChecksumWhateverTheSequence(ipv6: Bool, target: UInt16) throws {
        let builder = try ModulesFixture.builder(ipv6: ipv6)
        for sequence in stride(from: 0, through: 65535, by: 4099) {
            let probe = try builder.icmpEcho(index: 0, identifier: 0xCAFE, sequence: UInt16(sequence), payloadSize: 32,
                                             ttl: UInt8(1 + sequence % 30), ipID: UInt16(sequence), constantChecksum: target)
            ModulesFixture.expectWellFormed(probe)
            #expect(probe.packet.transport.icmp?.checksum == target)
            #expect(probe.packet.transport.icmp?.sequence == UInt16(sequence))
            #expect(probe.packet.transport.icmp?.body.dropFirst(2).allSatisfy { $0 == 0 } == true)
        }
    }

    /// ICMPv6's checksum covers the pseudo-header: another source needs another compensation.
    @Test func icmpv6CompensationDependsOnTheAddresses() throws {
        let a = try ProbeBuilder(source: IPAddress("2001:db8::1")!, destination: ModulesFixture.v6Destination)
        let b = try ProbeBuilder(source: IPAddress("2001:db8::7")!, destination: ModulesFixture.v6Destination)
        let pa = try a.icmpEcho(index: 0, identifier: 1, sequence: 1, payloadSize: 2, ttl: 1, ipID: 0, constantChecksum: 0x4242)
        let pb = try b.icmpEcho(index: 0, identifier: 1, sequence: 1, payloadSize: 2, ttl: 1, ipID: 0, constantChecksum: 0x4242)
        #expect(pa.packet.transport.icmp?.checksum == 0x4242 && pb.packet.transport.icmp?.checksum == 0x4242)
        #expect(pa.packet.transport.icmp?.body != pb.packet.transport.icmp?.body)
        ModulesFixture.expectWellFormed(pa)
        ModulesFixture.expectWellFormed(pb)
    }

    @Test func icmpErrors() throws {
        let builder = try ModulesFixture.builder(ipv6: false)
        #expect(throws: ProbeBuildError.unreachableICMPChecksum) {
            try builder.icmpEcho(index: 0, identifier: 1, sequence: 1, payloadSize: 8, ttl: 1, ipID: 0, constantChecksum: 0xFFFF)
        }
        #expect(throws: ProbeBuildError.payloadTooShortForChecksum(payloadSize: 1)) {
            try builder.icmpEcho(index: 0, identifier: 1, sequence: 1, payloadSize: 1, ttl: 1, ipID: 0, constantChecksum: 7)
        }
        #expect(throws: ProbeBuildError.negativePayloadSize(-1)) {
            try builder.icmpEcho(index: 0, identifier: 1, sequence: 1, payloadSize: -1, ttl: 1, ipID: 0)
        }
        #expect(throws: ProbeBuildError.packetTooLarge(length: 65536)) {
            try builder.icmpEcho(index: 0, identifier: 1, sequence: 1, payloadSize: 65508, ttl: 1, ipID: 0)
        }
    }

    @Test(arguments: [false, true])
    func echoReplyRecognition(ipv6: Bool) throws {
        let probe = try ModulesFixture.builder(ipv6: ipv6).icmpEcho(index: 0, identifier: 9, sequence: 300, payloadSize: 16,
                                                                    ttl: 64, ipID: 5, constantChecksum: 0x1111)
        let sent = try #require(probe.packet.transport.icmp)
        func reply(type: UInt8, id: UInt16 = 9, seq: UInt16 = 300) throws -> IPPacket {
            try ModulesFixture.reply(.icmp(ICMPMessage(family: sent.family, type: type, code: 0,
                                                       restOfHeader: UInt32(id) << 16 | UInt32(seq), body: sent.body)), to: probe)
        }
        let replyType: UInt8 = ipv6 ? 129 : 0
        #expect(ICMPEchoKind.recognises(try reply(type: replyType), for: probe))
        #expect(ProbeKinds.recognises(module: "icmp", answer: try reply(type: replyType), probe: probe))
        #expect(!ICMPEchoKind.recognises(try reply(type: replyType, seq: 301), for: probe))
        #expect(!ICMPEchoKind.recognises(try reply(type: replyType, id: 10), for: probe))
        #expect(!ICMPEchoKind.recognises(try reply(type: sent.type), for: probe))   // our own request looped back
        #expect(!ICMPEchoKind.recognises(probe.packet, for: probe))
    }

    // MARK: - UDP

    @Test(arguments: [false, true], [0, 1, 2, 33])
    func udpChecksumIsTheRequestedValue(ipv6: Bool, payloadLength: Int) throws {
        let builder = try ModulesFixture.builder(ipv6: ipv6)
        let payload = (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 5) }
        for target: UInt16 in [1, 0x1234, 0x8000, 0xFFFE, 0xFFFF] {
            let probe = try builder.udp(index: 4, sourcePort: 33000, destinationPort: 33434, payload: payload, ttl: 3,
                                        ipID: 9, checksum: target)
            ModulesFixture.expectWellFormed(probe)
            let udp = try #require(probe.packet.transport.udp)
            #expect(udp.checksum == target)
            #expect(udp.payload.count == max(2, payloadLength))
            #expect(Array(udp.payload.dropFirst(2)) == Array(payload.dropFirst(2)))
            #expect(udp.sourcePort == 33000 && udp.destinationPort == 33434)
            #expect(probe.module == "udp" && probe.label == "udp ttl 3 #4")
        }
    }

    @Test func udpWithoutChecksumRequestKeepsThePayload() throws {
        let payload: [UInt8] = [1, 2, 3, 4, 5]
        let probe = try ModulesFixture.builder(ipv6: false).udp(index: 0, sourcePort: 1, destinationPort: 2, payload: payload,
                                                                ttl: 64, ipID: 0)
        ModulesFixture.expectWellFormed(probe)
        #expect(probe.packet.transport.udp.map { Array($0.payload) } == payload)
        #expect(probe.packet.transport.udp?.length == 13)
    }

    @Test func udpErrors() throws {
        let builder = try ModulesFixture.builder(ipv6: false)
        #expect(throws: ProbeBuildError.zeroUDPChecksum) {
            try builder.udp(index: 0, sourcePort: 1, destinationPort: 2, payload: [1, 2], ttl: 1, ipID: 0, checksum: 0)
        }
        #expect(ProbeBuildError.zeroUDPChecksum.description.contains("no checksum"))
        #expect(throws: ProbeBuildError.packetTooLarge(length: 65536)) {
            try builder.udp(index: 0, sourcePort: 1, destinationPort: 2, payload: [UInt8](repeating: 0, count: 65508),
                            ttl: 1, ipID: 0)
        }
    }

    @Test(arguments: [false, true])
    func udpRecognisesDatagramsFromTheProbedPort(ipv6: Bool) throws {
        let probe = try ModulesFixture.builder(ipv6: ipv6).udp(index: 0, sourcePort: 40001, destinationPort: 7, payload: [9, 9],
                                                               ttl: 64, ipID: 1)
        func answer(from port: UInt16, to dport: UInt16 = 40001) throws -> IPPacket {
            try ModulesFixture.reply(.udp(UDPDatagram(sourcePort: port, destinationPort: dport, payload: [1])), to: probe)
        }
        #expect(UDPKind.recognises(try answer(from: 7), for: probe))
        #expect(ProbeKinds.recognises(module: "udp", answer: try answer(from: 7), probe: probe))
        #expect(!UDPKind.recognises(try answer(from: 8), for: probe))
        #expect(!UDPKind.recognises(try answer(from: 7, to: 40002), for: probe))
        #expect(!UDPKind.recognises(probe.packet, for: probe))   // our own datagram
        #expect(!ProbeKinds.recognises(module: "nonesuch", answer: try answer(from: 7), probe: probe))
    }
}
