import Capture
import Packets
import Probing
import Testing

@Suite struct CorrelatorBehaviourTests {
    @Test func duplicatesAreCountedOnTheFirstAnswer() throws {
        let probe = synProbe(0)
        var correlator = Correlator(probes: [probe])
        let synAck = tcpAnswer(to: probe, flags: [.syn, .ack], ttl: 52)
        #expect(correlator.observe(synAck, at: Net.time(10)).answer != nil)
        #expect(correlator.observe(synAck, at: Net.time(1010)) == .duplicate(0))
        #expect(correlator.observe(synAck, at: Net.time(3010)) == .duplicate(0))
        let answers = correlator.answers(for: 0)
        #expect(answers.count == 1 && answers.first?.duplicates == 2 && answers.first?.timestamp == Net.time(10))
        #expect(correlator.counts.duplicates == 2 && correlator.counts.answers == 1)
    }

    @Test func forgedRstAndGenuineSynAckAreBothKept() throws {
        let probe = synProbe(0, seq: 1000)
        var correlator = Correlator(probes: [probe])
        _ = correlator.observe(tcpAnswer(to: probe, flags: .rst, seq: 0, ack: 1000, ttl: 58, id: 1), at: Net.time(16))
        _ = correlator.observe(tcpAnswer(to: probe, flags: [.syn, .ack], ttl: 52), at: Net.time(141))
        // The same flags with another TTL is another answer too.
        _ = correlator.observe(tcpAnswer(to: probe, flags: [.syn, .ack], ttl: 51), at: Net.time(142))
        #expect(correlator.answers(for: 0).map(\.kind) == [.rst, .synAck, .synAck])
        #expect(correlator.answers(for: 0).map(\.fingerprint.ttl) == [58, 52, 51])
        #expect(correlator.counts.answers == 3 && correlator.counts.answeredProbes == 1 && correlator.counts.duplicates == 0)
    }

    @Test func sendTimeFromTheCaptureBeatsTheClock() throws {
        let probes = [synProbe(0, sport: 1), synProbe(1, sport: 2)]
        var correlator = Correlator(probes: probes)
        correlator.noteSent(0, at: Net.time(100))
        correlator.noteSent(1, at: Net.time(100))
        // Probe 0 seen leaving 3 ms after the clock said.
        #expect(correlator.observe(probes[0].packet, at: Net.time(103)) == .sent(0))
        #expect(correlator.counts.sentSeen == 1)
        let a0 = try #require(correlator.observe(tcpAnswer(to: probes[0], flags: [.syn, .ack]), at: Net.time(143)).answer)
        let a1 = try #require(correlator.observe(tcpAnswer(to: probes[1], flags: [.syn, .ack]), at: Net.time(150)).answer)
        #expect(a0.rttNanoseconds == 40_000_000)
        #expect(a1.rttNanoseconds == 50_000_000)
        #expect(correlator.sendTimes == [0: Net.time(103), 1: Net.time(100)])
    }

    @Test func rttIsNilWithoutSendTimeOrWhenNegative() throws {
        let probes = [synProbe(0, sport: 1), synProbe(1, sport: 2)]
        var correlator = Correlator(probes: probes)
        #expect(correlator.observe(tcpAnswer(to: probes[0], flags: [.syn, .ack]), at: Net.time(5)).answer?.rttNanoseconds == nil)
        correlator.noteSent(1, at: Net.time(50))
        #expect(correlator.observe(tcpAnswer(to: probes[1], flags: [.syn, .ack]), at: Net.time(40)).answer?.rttNanoseconds == nil)
        // A send time learnt later applies to answers already recorded.
        correlator.noteSent(0, at: Net.time(1))
        #expect(correlator.answers(for: 0).first?.rttNanoseconds == 4_000_000)
    }

    @Test func sentProbeWithKernelFilledIPIDIsRecognised() throws {
        let probe = synProbe(0, id: 0)
        var correlator = Correlator(probes: [probe])
        var leaving = probe.packet
        if case .v4(var h) = leaving.header { h.identification = 0x5151; leaving.header = .v4(h) }
        #expect(correlator.observe(wire(leaving), at: Net.time(1)) == .sent(0))
        // Any other change is not our probe.
        var changed = probe.packet
        if case .tcp(var t) = changed.transport { t.window = 1; changed.transport = .tcp(t) }
        #expect(correlator.observe(wire(changed), at: Net.time(2)) == .unrelated)
    }

    @Test func capturedFramesAreDecodedAndTimestamped() throws {
        let probe = synProbe(0)
        var correlator = Correlator(probes: [probe])
        let sent = CapturedPacket(timestamp: Net.time(1), linkType: .ethernet,
                                  data: Frame.encapsulate(probe.bytes + [0, 0, 0, 0, 0, 0], linkType: .ethernet)[...])
        #expect(correlator.observe(sent) == .sent(0))
        let answer = tcpAnswer(to: probe, flags: [.syn, .ack]).serialized()
        let got = correlator.observe(CapturedPacket(timestamp: Net.time(21), linkType: .linuxSLL2,
                                                    data: Frame.encapsulate(answer, linkType: .linuxSLL2)[...]))
        #expect(got.answer?.rttNanoseconds == 20_000_000)
    }

    @Test func randomBytesAreUnrelated() throws {
        let probes = [synProbe(0), udpProbe(1), echoProbe(2)]
        var correlator = Correlator(probes: probes)
        var rng = SplitMix64(seed: 7)
        var hostile: [[UInt8]] = [[], [0x45], [0x60, 0, 0], Array(repeating: 0xFF, count: 60), Array(repeating: 0x45, count: 60)]
        for n in 0..<3000 {
            var bytes = (0..<(n % 120)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Half of them look like IPv4 or IPv6 headers, so the parsers go deeper.
            if n % 2 == 0, !bytes.isEmpty { bytes[0] = n % 4 == 0 ? 0x45 : 0x60 }
            hostile.append(bytes)
        }
        for (i, bytes) in hostile.enumerated() {
            for link in [LinkType.raw, .ethernet, .linuxSLL, .null] {
                #expect(correlator.observe(CapturedPacket(timestamp: Net.time(i), linkType: link, data: bytes[...])) == .unrelated)
            }
        }
        #expect(correlator.counts.unrelated == hostile.count * 4)
    }

    /// Cut short before its identifiers, an answer is unrelated; with them, it is the same answer.
    @Test func truncatedAnswersMatchOnlyWithTheirIdentifiers() throws {
        let probes = [synProbe(0), udpProbe(1), echoProbe(2)]
        let cases: [(answer: IPPacket, probe: Int, needed: Int)] = [
            (tcpAnswer(to: probes[0], flags: .rst, ack: 1000), 0, 40),                            // a whole TCP header
            (echoReply(to: probes[2]), 2, 28),                                                    // ICMP header: id, seq
            (icmpError(quoting: probes[1], from: Net.router4, quoteLength: 1000), 1, 20 + 8 + 20 + 4), // quoted ports
        ]
        for c in cases {
            var correlator = Correlator(probes: probes)
            let bytes = c.answer.serialized()
            for cut in 0...bytes.count {
                let got = correlator.observe(CapturedPacket(timestamp: Net.time(cut), linkType: .raw, data: bytes.prefix(cut)))
                switch got {
                case .unrelated: #expect(cut < c.needed, "cut \(cut) of \(c.answer)")
                case .answer(let a): #expect(cut == c.needed && a.probeIndex == c.probe, "cut \(cut)")
                case .duplicate(let i): #expect(cut > c.needed && i == c.probe)
                default: Issue.record("cut \(cut): \(got)")
                }
            }
            #expect(correlator.counts.answers == 1)
        }
    }

    @Test func quoteShowsRewrittenMSSAndTOS() throws {
        let probe = synProbe(0, tos: 0, options: [.maximumSegmentSize(1460), .sackPermitted])
        var correlator = Correlator(probes: [probe])
        let clamped = icmpError(quoting: probe, from: Net.router4, quoteLength: 1000) { p in
            if case .v4(var h) = p.header { h.tos = 0x28; p.header = .v4(h) }
            if case .tcp(var t) = p.transport { t.options[0] = .maximumSegmentSize(1360); p.transport = .tcp(t) }
        }
        let a = try #require(correlator.observe(clamped, at: Net.time(1)).answer)
        #expect(a.quoteDifferences.contains(QuoteDifference(field: "tos", sent: "0x00", quoted: "0x28")))
        #expect(a.quoteDifferences.contains(QuoteDifference(field: "mss", sent: "1460", quoted: "1360")))
        #expect(a.quoteDifferences.map(\.field).sorted() == ["mss", "tos"])   // the icmpError helper keeps the old TCP checksum
        #expect(a.quotedTTL == 1)
    }

    @Test func quoteDifferencesFieldByField() throws {
        let sent = synProbe(0, sport: 1000, seq: 5, id: 9, options: [.maximumSegmentSize(1460), .windowScale(7)]).packet
        var q = sent
        if case .v4(var h) = q.header { h.identification = 10; h.flags = .dontFragment; h.totalLength = 99; h.ttl = 3; q.header = .v4(h) }
        if case .tcp(var t) = q.transport {
            t.sourcePort = 1001; t.window = 1; t.checksum = 0xABCD; t.options = [.maximumSegmentSize(1400)]
            q.transport = .tcp(t)
        }
        let fields = QuoteDifference.differences(sent: sent, quoted: q).map(\.field)
        #expect(fields == ["ip_id", "df", "ip_length", "sport", "window", "tcp_checksum", "tcp_options", "mss"])
        // An 8-byte quote says nothing about the window or the options.
        let bytes = q.serialized(fillLengths: false, fillChecksums: false)
        let short = try IPPacket.parse(Array(bytes.prefix(28))[...], quoted: true)
        #expect(QuoteDifference.differences(sent: sent, quoted: short).map(\.field) == ["ip_id", "df", "ip_length", "sport"])
        #expect(QuoteDifference.differences(sent: sent, quoted: sent).isEmpty)
    }

    @Test func quoteDifferencesIPv6AndUDPAndEcho() throws {
        let sent = udpProbe(0, src: Net.client6, dst: Net.server6).packet
        var q = sent
        if case .v6(var h) = q.header { h.trafficClass = 4; h.flowLabel = 0xABC; h.hopLimit = 1; q.header = .v6(h) }
        if case .udp(var u) = q.transport { u.checksum = 1; u.length = 9; q.transport = .udp(u) }
        #expect(QuoteDifference.differences(sent: sent, quoted: q).map(\.field) == ["traffic_class", "flow_label", "udp_length", "udp_checksum"])
        let echo = echoProbe(0).packet
        var qe = echo
        if case .icmp(var m) = qe.transport { m.restOfHeader = 0x1234_0009; qe.transport = .icmp(m) }
        #expect(QuoteDifference.differences(sent: echo, quoted: qe) == [QuoteDifference(field: "echo_seq", sent: "1", quoted: "9")])
    }

    @Test func quotedIPIDMismatchStillMatchesAndIsReported() throws {
        let probe = synProbe(0, id: 4242)
        var correlator = Correlator(probes: [probe])
        let rewritten = icmpError(quoting: probe, from: Net.router4) { p in
            if case .v4(var h) = p.header { h.identification = 1; p.header = .v4(h) }
        }
        let a = try #require(correlator.observe(rewritten, at: Net.time(1)).answer)
        #expect(a.quoteDifferences == [QuoteDifference(field: "ip_id", sent: "4242", quoted: "1")])
    }
}
