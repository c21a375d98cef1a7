import JSONSupport
import Packets
import Probing
import Testing

/// The QUIC kind: an Initial of at least 1200 bytes with a reserved version, answered by
/// Version Negotiation matched on the connection IDs it echoes, swapped.
@Suite struct QUICProbeTests {
    static func probe(_ index: Int = 0, src: IPAddress = Net.client4, dst: IPAddress = Net.server4, sport: UInt16 = 61_000,
                      seed: UInt64 = 1, values: [String: KindValue] = [:]) throws -> Probe {
        var random = SplitMix64(seed: seed)
        let arguments = try ProbeKinds.arguments(for: QUICKind.self, values: values)
        return try ProbeKinds.datagramProbe(QUICKind.self, builder: try ProbeBuilder(source: src, destination: dst), index: index,
                                            sourcePort: sport, ipID: UInt16(index), arguments: arguments, random: &random)
    }

    static func header(_ probe: Probe) throws -> QUICLongHeader {
        let udp = try #require(probe.packet.transport.udp)
        return try #require(QUICLongHeader(parsing: udp.payload))
    }

    /// The server's answer to `probe`: its IDs swapped (or as `edit` changes them).
    static func negotiation(to probe: Probe, versions: [UInt32] = [QUICVersion.v1, QUICVersion.v2],
                            edit: (inout QUICVersionNegotiation) -> Void = { _ in }) throws -> IPPacket {
        var vn = QUICVersionNegotiation.answering(try header(probe), supportedVersions: versions)
        edit(&vn)
        return udpAnswer(to: probe, payload: vn.encoded())
    }

    @Test(arguments: [false, true])
    func initialIsAClientsFirstDatagram(ipv6: Bool) throws {
        let probe = try Self.probe(3, src: ipv6 ? Net.client6 : Net.client4, dst: ipv6 ? Net.server6 : Net.server4)
        ModulesFixture.expectWellFormed(probe)
        let udp = try #require(probe.packet.transport.udp)
        #expect(udp.payload.count == 1200 && udp.destinationPort == 443 && udp.sourcePort == 61_000)
        #expect(probe.bytes.count == (ipv6 ? 40 : 20) + 8 + 1200)
        if case .v4(let h) = probe.packet.header { #expect(h.dontFragment) }
        let h = try Self.header(probe)
        #expect(h.firstByte == 0xC3 && QUICVersion.isReserved(h.version))
        #expect(h.destinationConnectionID.count == 8 && h.sourceConnectionID.count == 8)
        #expect(h.destinationConnectionID != h.sourceConnectionID)
        #expect(probe.module == "quic" && probe.label == "quic initial \(QUICVersion.hex(h.version)) ttl 64 #3")
        #expect(QUICKind.offeredVersion(of: probe) == h.version)
        // Another seed, other identifiers.
        let other = try Self.header(try Self.probe(3, seed: 2))
        #expect(other.destinationConnectionID != h.destinationConnectionID && other.version != h.version)
    }

    @Test func parametersShapeTheInitial() throws {
        let probe = try Self.probe(values: ["offered_version": .integer(0x1A2A_3A4A), "dcid_length": .integer(20),
                                            "scid_length": .integer(0), "size": .integer(1452), "port": .integer(8443)])
        let h = try Self.header(probe)
        #expect(h.version == 0x1A2A_3A4A && h.destinationConnectionID.count == 20 && h.sourceConnectionID.isEmpty)
        #expect(probe.packet.transport.udp?.payload.count == 1452 && probe.packet.transport.udp?.destinationPort == 8443)
    }

    @Test(arguments: [0, 1])
    func versionNegotiationMatchesByItsConnectionIDs(_ family: Int) throws {
        let (c, s) = family == 0 ? (Net.client4, Net.server4) : (Net.client6, Net.server6)
        let probes = [try Self.probe(0, src: c, dst: s, seed: 10), try Self.probe(1, src: c, dst: s, sport: 61_001, seed: 11)]
        var correlator = Correlator(probes: probes)
        let a = correlator.observe(try Self.negotiation(to: probes[1]), at: Net.time(1)).answer
        #expect(a?.kind == QUICKind.responseKind && a?.basis == .transaction && a?.probeIndex == 1)
        let fields = QUICKind.resultFields(probe: probes[1], answer: a)
        #expect(fields.map(\.key) == ["offered_version", "versions"])
        #expect(fields[1].value == .array([.string("0x00000001"), .string("0x6b3343cf")]))
        #expect(QUICKind.textDetail(try #require(a)) == "versions 0x00000001, 0x6b3343cf")
        #expect(QUICKind.recognises(try Self.negotiation(to: probes[1]), for: probes[1]))
        #expect(!QUICKind.recognises(try Self.negotiation(to: probes[1]), for: probes[0]))
        // The same answer again is a copy; the other probe's own answer is its own.
        #expect(correlator.observe(try Self.negotiation(to: probes[1]), at: Net.time(2)) == .duplicate(1))
        #expect(correlator.observe(try Self.negotiation(to: probes[0], versions: [1]), at: Net.time(2)).answer?.probeIndex == 0)
    }

    /// Anything but our IDs, echoed swapped, on our flow reversed, is no answer.
    @Test func versionNegotiationWithOtherIDsIsRefused() throws {
        let probe = try Self.probe()
        var correlator = Correlator(probes: [probe])
        let h = try Self.header(probe)
        let refused: [(String, IPPacket)] = [
            ("IDs not swapped", try Self.negotiation(to: probe) { vn in
                vn.destinationConnectionID = h.destinationConnectionID
                vn.sourceConnectionID = h.sourceConnectionID
            }),
            ("one byte of the DCID changed", try Self.negotiation(to: probe) { $0.sourceConnectionID[7] ^= 1 }),
            ("SCID cut short", try Self.negotiation(to: probe) { $0.destinationConnectionID.removeLast() }),
            ("SCID longer", try Self.negotiation(to: probe) { $0.destinationConnectionID.append(0) }),
            ("from another port", udpAnswer(to: probe, payload: QUICVersionNegotiation.answering(h, supportedVersions: [1]).encoded(),
                                            sport: 444)),
            ("our own Initial reflected", udpAnswer(to: probe, payload: Array(try #require(probe.packet.transport.udp).payload))),
            ("no version listed", udpAnswer(to: probe, payload: Array(QUICVersionNegotiation.answering(h, supportedVersions: [1])
                .encoded().dropLast(4)))),
        ]
        for (what, packet) in refused {
            #expect(correlator.observe(packet, at: Net.time(1)) == .unrelated, "\(what)")
        }
        #expect(correlator.counts.answers == 0)
        #expect(QUICKind.resultFields(probe: probe, answer: nil)[1].value == .null)
    }

    /// A closed port answers ICMP port unreachable quoting the Initial; routers quote 28
    /// bytes (RFC 792), Linux up to 576.
    @Test(arguments: [0, 1])
    func portUnreachableQuotingTheInitial(_ family: Int) throws {
        let (c, s) = family == 0 ? (Net.client4, Net.server4) : (Net.client6, Net.server6)
        let probe = try Self.probe(src: c, dst: s)
        for quoteLength in [family == 0 ? 28 : 48, family == 0 ? 548 : 1232] {
            var correlator = Correlator(probes: [probe])
            let error = icmpError(quoting: probe, from: s, type: family == 0 ? 3 : 1, code: family == 0 ? 3 : 4, quoteLength: quoteLength)
            let a = correlator.observe(error, at: Net.time(1)).answer
            #expect(a?.kind == .portUnreachable && a?.basis == .quote && a?.probeIndex == 0, "quote of \(quoteLength) bytes")
            #expect(a.map { $0.kind.resultWord } == "icmp")
            #expect(QUICKind.resultFields(probe: probe, answer: a)[1].value == .null)
        }
    }

    /// Two kinds' answers do not pass for each other: a STUN response on a QUIC flow is a stray.
    @Test func otherKindsAnswersAreStrays() throws {
        let probe = try Self.probe()
        var correlator = Correlator(probes: [probe])
        let stun = STUNMessage(type: STUNMessage.bindingSuccess, transactionID: Array(1...12)).encoded()
        #expect(correlator.observe(udpAnswer(to: probe, payload: stun), at: Net.time(1)) == .unrelated)
        var dns = DNSMessage(id: 1)
        dns.isResponse = true
        #expect(correlator.observe(udpAnswer(to: probe, payload: dns.encoded()), at: Net.time(1)) == .unrelated)
    }
}
