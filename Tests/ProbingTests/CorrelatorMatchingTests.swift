import Capture
import Packets
import Probing
import Testing

@Suite struct CorrelatorMatchingTests {
    static let families: [(IPAddress, IPAddress, IPAddress)] = [
        (Net.client4, Net.server4, Net.router4), (Net.client6, Net.server6, Net.router6),
    ]

    @Test(arguments: [0, 1])
    func synAckAndRstAckMatchByAcknowledgment(_ family: Int) throws {
        let (c, s, _) = Self.families[family]
        let probes = [synProbe(0, src: c, dst: s, sport: 40000, seq: 1000), synProbe(1, src: c, dst: s, sport: 40001, seq: 5000)]
        var correlator = Correlator(probes: probes)
        let synAck = try #require(correlator.observe(tcpAnswer(to: probes[1], flags: [.syn, .ack]), at: Net.time(10)).answer)
        #expect(synAck.probeIndex == 1 && synAck.kind == .synAck && synAck.basis == .acknowledgment)
        #expect(synAck.fingerprint.flags == [.syn, .ack] && synAck.fingerprint.acknowledgmentNumber == 5001)
        let rst = try #require(correlator.observe(tcpAnswer(to: probes[0], flags: [.rst, .ack], seq: 0), at: Net.time(11)).answer)
        #expect(rst.probeIndex == 0 && rst.kind == .rst && rst.basis == .acknowledgment)
        #expect(correlator.counts.answers == 2 && correlator.counts.answeredProbes == 2)
    }

    @Test func dataSegmentAcknowledgesPayload() throws {
        let probe = synProbe(0, seq: 100, options: [], payload: Array("GET / HTTP/1.1\r\n\r\n".utf8))
        var correlator = Correlator(probes: [probe])
        // Fast Open accepted: SYN + 18 bytes acknowledged; refused: only the SYN.
        let full = correlator.observe(tcpAnswer(to: probe, flags: [.syn, .ack], ack: 100 + 1 + 18), at: Net.time(1)).answer
        #expect(full?.kind == .synAck)
        let synOnly = correlator.observe(tcpAnswer(to: probe, flags: [.psh, .ack], ack: 101), at: Net.time(2)).answer
        #expect(synOnly?.kind == .tcp && synOnly?.basis == .acknowledgment)
        #expect(correlator.observe(tcpAnswer(to: probe, flags: [.ack], ack: 100), at: Net.time(3)) == .unrelated)
    }

    @Test func bareRstMatchesByUniqueFlowOnly() throws {
        let probe = synProbe(0, sport: 41722, seq: 1_092_877_667)
        var correlator = Correlator(probes: [probe])
        let forged = tcpAnswer(to: probe, flags: .rst, seq: 0, ack: 1_092_877_667, ttl: 58, id: 1)
        let a = try #require(correlator.observe(forged, at: Net.time(16)).answer)
        #expect(a.kind == .rst && a.basis == .flow && a.fingerprint.ttl == 58 && a.fingerprint.ipID == 1)
    }

    @Test func bareRstOnSharedFlowNeedsItsAckToNameOneProbe() throws {
        // Paris traceroute: one 5-tuple, the probe told apart by its seq.
        let probes = (0..<4).map { synProbe($0, sport: 50000, seq: 9000 + UInt32($0) * 100, ttl: UInt8($0 + 1)) }
        var correlator = Correlator(probes: probes)
        let byAck = correlator.observe(tcpAnswer(to: probes[2], flags: .rst, seq: 0, ack: 9200), at: Net.time(1)).answer
        #expect(byAck?.probeIndex == 2 && byAck?.basis == .flow)
        let byAckPlusOne = correlator.observe(tcpAnswer(to: probes[3], flags: .rst, seq: 0, ack: 9301), at: Net.time(1)).answer
        #expect(byAckPlusOne?.probeIndex == 3)
        #expect(correlator.observe(tcpAnswer(to: probes[0], flags: .rst, seq: 0, ack: 0), at: Net.time(2)) == .ambiguous([0, 1, 2, 3]))
        #expect(correlator.counts.ambiguous == 1 && correlator.answers(for: 0).isEmpty && correlator.answers(for: 1).isEmpty)
    }

    @Test(arguments: [0, 1])
    func timeExceededMatchesThroughFullAndEightByteQuotes(_ family: Int) throws {
        let (c, s, r) = Self.families[family]
        let probes = (0..<3).map { synProbe($0, src: c, dst: s, sport: 50000, seq: 100 + UInt32($0), ttl: UInt8($0 + 1)) }
        var correlator = Correlator(probes: probes)
        let ipLength = family == 0 ? 20 : 40
        let short = try #require(correlator.observe(icmpError(quoting: probes[1], from: r, quoteLength: ipLength + 8), at: Net.time(5)).answer)
        #expect(short.probeIndex == 1 && short.kind == .timeExceeded && short.basis == .quote && short.quotedTTL == 1)
        #expect(short.quoteDifferences.isEmpty)
        let full = try #require(correlator.observe(icmpError(quoting: probes[2], from: r, quoteLength: 1000), at: Net.time(6)).answer)
        #expect(full.probeIndex == 2 && full.quoteDifferences.isEmpty)
        #expect(full.fingerprint.icmpType == (family == 0 ? 11 : 3))
    }

    @Test(arguments: [0, 1])
    func unreachableKinds(_ family: Int) throws {
        let (c, s, r) = Self.families[family]
        let udp = udpProbe(0, src: c, dst: s, sport: 33434, dport: 33435)
        let syn = synProbe(1, src: c, dst: s)
        var correlator = Correlator(probes: [udp, syn])
        let port = correlator.observe(icmpError(quoting: udp, from: s, type: family == 0 ? 3 : 1, code: family == 0 ? 3 : 4), at: Net.time(1)).answer
        #expect(port?.kind == .portUnreachable && port?.probeIndex == 0)
        let admin = correlator.observe(icmpError(quoting: syn, from: r, type: family == 0 ? 3 : 1, code: family == 0 ? 13 : 1), at: Net.time(1)).answer
        #expect(admin?.kind == .unreachable && admin?.probeIndex == 1)
        let tooBig = correlator.observe(icmpError(quoting: syn, from: r, type: family == 0 ? 12 : 2), at: Net.time(2)).answer
        #expect(tooBig?.kind == .icmpOther)
    }

    @Test func udpQuoteUsesChecksumThenUniquePorts() throws {
        // Paris UDP traceroute: constant ports, the checksum names the probe.
        let paris = (0..<3).map { udpProbe($0, sport: 40000, dport: 33434, ttl: UInt8($0 + 1), payload: [UInt8($0), 0xAA]) }
        let single = udpProbe(3, sport: 40001, dport: 53)
        var correlator = Correlator(probes: paris + [single])
        #expect(correlator.observe(icmpError(quoting: paris[1], from: Net.router4), at: Net.time(1)).answer?.probeIndex == 1)
        let natted: (inout IPPacket) -> Void = { p in
            if case .udp(var u) = p.transport { u.checksum ^= 0x5555; p.transport = .udp(u) }
        }
        // Rewritten checksum: unique ports still decide, shared ports do not.
        let unique = correlator.observe(icmpError(quoting: single, from: Net.router4, rewrite: natted), at: Net.time(2)).answer
        #expect(unique?.probeIndex == 3)
        #expect(unique?.quoteDifferences.map(\.field) == ["udp_checksum"])
        #expect(correlator.observe(icmpError(quoting: paris[2], from: Net.router4, rewrite: natted), at: Net.time(3)) == .ambiguous([0, 1, 2]))
    }

    @Test(arguments: [0, 1])
    func echoRepliesAndQuotedEchoRequests(_ family: Int) throws {
        let (c, s, r) = Self.families[family]
        let probes = [echoProbe(0, src: c, dst: s, id: 77, seq: 1, ttl: 1), echoProbe(1, src: c, dst: s, id: 77, seq: 2)]
        var correlator = Correlator(probes: probes)
        let reply = correlator.observe(echoReply(to: probes[1]), at: Net.time(1)).answer
        #expect(reply?.kind == .echoReply && reply?.basis == .echo && reply?.probeIndex == 1)
        let quoted = correlator.observe(icmpError(quoting: probes[0], from: r), at: Net.time(1)).answer
        #expect(quoted?.kind == .timeExceeded && quoted?.basis == .quote && quoted?.probeIndex == 0)
        #expect(correlator.observe(echoReply(to: probes[1], seq: 3), at: Net.time(2)) == .unrelated)
        #expect(correlator.observe(echoReply(to: probes[1], from: r), at: Net.time(2)) == .unrelated)
    }

    @Test(arguments: [0, 1])
    func stunAndDNSMatchByTransaction(_ family: Int) throws {
        let (c, s, _) = Self.families[family]
        let tx: [UInt8] = Array(1...12)
        let request = STUNMessage(type: STUNMessage.bindingRequest, transactionID: tx)
        let stun = udpProbe(0, module: "stun", src: c, dst: s, sport: 40000, dport: 3478, payload: request.encoded())
        let query = DNSMessage(id: 0xBEEF, flags: 0x0100, questions: [DNSQuestion(name: DNSName("example.com")!, type: DNSType.a)])
        let dns = udpProbe(1, module: "dns", src: c, dst: s, sport: 40001, dport: 53, payload: query.encoded())
        var correlator = Correlator(probes: [stun, dns])

        let response = STUNMessage.bindingResponse(to: request, source: STUNAddress(address: c, port: 40000), software: nil)
        let a = correlator.observe(udpAnswer(to: stun, payload: response.encoded(fingerprint: true)), at: Net.time(1)).answer
        #expect(a?.kind == .stunResponse && a?.basis == .transaction && a?.probeIndex == 0)
        var wrongTx = response
        wrongTx.transactionID = Array(2...13)
        #expect(correlator.observe(udpAnswer(to: stun, payload: wrongTx.encoded()), at: Net.time(2)) == .unrelated)
        // Our own request reflected back is no response.
        #expect(correlator.observe(udpAnswer(to: stun, payload: request.encoded()), at: Net.time(2)) == .unrelated)

        var reply = query
        reply.isResponse = true
        let d = correlator.observe(udpAnswer(to: dns, payload: reply.encoded()), at: Net.time(3)).answer
        #expect(d?.kind == .dnsResponse && d?.basis == .transaction && d?.probeIndex == 1)
        reply.id = 0xBEEE
        #expect(correlator.observe(udpAnswer(to: dns, payload: reply.encoded()), at: Net.time(4)) == .unrelated)
    }

    @Test func plainUDPNeedsAUniqueFlow() throws {
        let a = udpProbe(0, sport: 40000, dport: 7), b = udpProbe(1, sport: 40000, dport: 7, payload: [9])
        let c = udpProbe(2, sport: 40002, dport: 7)
        var correlator = Correlator(probes: [a, b, c])
        #expect(correlator.observe(udpAnswer(to: c, payload: [1]), at: Net.time(1)).answer?.basis == .flow)
        #expect(correlator.observe(udpAnswer(to: a, payload: [1]), at: Net.time(1)) == .ambiguous([0, 1]))
    }

    @Test func straysAreNeverMatched() throws {
        let probe = synProbe(0, sport: 40000, seq: 1000)
        let echo = echoProbe(1, id: 5, seq: 5)
        var correlator = Correlator(probes: [probe, echo])
        let strays: [IPPacket] = [
            tcpAnswer(to: probe, flags: [.syn, .ack], ack: 1002),                       // wrong ack
            tcpAnswer(to: probe, flags: [.syn, .ack], sport: 81),                       // wrong port
            tcpAnswer(to: probe, flags: [.syn, .ack], dport: 40001),                    // wrong local port
            tcpAnswer(to: probe, flags: [.syn, .ack], from: Net.other4),                // another host
            tcpAnswer(to: probe, flags: .rst, ack: 1000, from: Net.other4),             // bare RST, another host
            icmpError(quoting: probe, from: Net.router4, rewrite: { p in                // quoted seq differs
                if case .tcp(var t) = p.transport { t.sequenceNumber = 999; p.transport = .tcp(t) }
            }),
            icmpError(quoting: probe, from: Net.router4, to: Net.other4),               // error sent to someone else
            icmpError(quoting: probe, from: Net.router4, type: 5, code: 1),             // redirect is no answer
            echoReply(to: echo, id: 6),                                                 // wrong echo id
        ]
        for p in strays { #expect(correlator.observe(p, at: Net.time(1)) == .unrelated, "\(p)") }
        // A packet for another client of the same server.
        var elsewhere = tcpAnswer(to: probe, flags: [.syn, .ack])
        if case .v4(var h) = elsewhere.header { h.destination = IPv4Address(198, 18, 0, 3); elsewhere.header = .v4(h) }
        #expect(correlator.observe(elsewhere, at: Net.time(1)) == .unrelated)
        #expect(correlator.counts.unrelated == strays.count + 1 && correlator.counts.answers == 0)
    }

    @Test func ambiguousIdenticalProbes() throws {
        // The same SYN twice (a retransmission built as two probes): nothing tells their answers apart.
        let probes = [synProbe(0, seq: 1, id: 7), synProbe(1, seq: 1, id: 7)]
        var correlator = Correlator(probes: probes)
        #expect(correlator.observe(tcpAnswer(to: probes[0], flags: [.syn, .ack]), at: Net.time(1)) == .ambiguous([0, 1]))
        #expect(correlator.observe(icmpError(quoting: probes[1], from: Net.router4), at: Net.time(1)) == .ambiguous([0, 1]))
    }

    /// A bare ACK and the data segment after it share their seq; the quote's IP ID, length and
    /// flags tell them apart, even with the DSCP remarked on the way, but nothing else does.
    @Test func sharedSeqQuotesAreToldApartByTheQuotedHeader() throws {
        let ack = makeProbe(0, module: "tcp", IPPacket(header: ipHeader(Net.client4, Net.server4, proto: 6, ttl: 3, id: 100),
                                                       transport: .tcp(TCPSegment(sourcePort: 40000, destinationPort: 80, sequenceNumber: 501,
                                                                                  acknowledgmentNumber: 9, flags: .ack, window: 8192))))
        let get = makeProbe(1, module: "tcp", IPPacket(header: ipHeader(Net.client4, Net.server4, proto: 6, ttl: 3, id: 101),
                                                       transport: .tcp(TCPSegment(sourcePort: 40000, destinationPort: 80, sequenceNumber: 501,
                                                                                  acknowledgmentNumber: 9, flags: [.psh, .ack], window: 8192,
                                                                                  payload: Array("GET / HTTP/1.1\r\n\r\n".utf8)[...]))))
        var correlator = Correlator(probes: [ack, get])
        let remarked = icmpError(quoting: get, from: Net.router4) { p in
            if case .v4(var h) = p.header { h.tos = 0x48; p.header = .v4(h) }
        }
        let a = try #require(correlator.observe(remarked, at: Net.time(1)).answer)
        #expect(a.probeIndex == 1 && a.basis == .quote && a.quoteDifferences.map(\.field) == ["tos"])
        #expect(correlator.observe(icmpError(quoting: ack, from: Net.router4, quoteLength: 1000), at: Net.time(2)).answer?.probeIndex == 0)
        // A quote whose IP ID is neither probe's names neither.
        let rewritten = icmpError(quoting: get, from: Net.router5) { p in
            if case .v4(var h) = p.header { h.identification = 7; p.header = .v4(h) }
        }
        #expect(correlator.observe(rewritten, at: Net.time(3)) == .ambiguous([0, 1]))
    }
}
