// Thousands of probes of every kind, their answers shuffled with duplicates and strays:
// every answer lands on its own probe, no stray is ever attributed.
import Capture
import Packets
import Probing
import PropertyBased
import Testing

/// A generated run: probes, and captured packets each with what it truly is.
struct CorrelationScenario: Sendable {
    enum Truth: Sendable, Equatable {
        case sent(Int)
        case answer(Int)
        /// Fits no probe, or fits several: must never be attributed.
        case stray
    }

    var probes: [Probe] = []
    var packets: [(IPPacket, Truth)] = []

    init(seed: UInt64, probeCount: Int = 2000) {
        var rng = SplitMix64(seed: seed)
        let locals = [Net.client4, Net.client6]
        let remotes = [[Net.server4, IPAddress("198.18.9.3")!], [Net.server6, IPAddress("2001:db8:9::3")!]]
        var usedSeqs = Set<UInt32>()
        func freshSeq() -> UInt32 {
            var s: UInt32
            repeat { s = UInt32.random(in: 16...UInt32.max - 4096, using: &rng) & ~0xFFF } while !usedSeqs.insert(s).inserted
            return s
        }
        var nextPort: UInt16 = 20000
        var i = 0
        while i < probeCount {
            let fam = Int.random(in: 0...1, using: &rng)
            let (c, s) = (locals[fam], remotes[fam][Int.random(in: 0...1, using: &rng)])
            nextPort &+= 1
            switch Int.random(in: 0..<5, using: &rng) {
            case 0, 1:   // Paris TCP traceroute: one flow, seq names the probe (spaced by 4)
                let base = freshSeq(), ttls = Int.random(in: 2...8, using: &rng)
                for t in 0..<ttls where i < probeCount {
                    probes.append(synProbe(i, src: c, dst: s, sport: nextPort, dport: 443, seq: base + UInt32(t) * 4, ttl: UInt8(t + 1), id: UInt16(i & 0xFFFF)))
                    i += 1
                }
            case 2:      // a single SYN on its own flow
                probes.append(synProbe(i, src: c, dst: s, sport: nextPort, dport: 80, seq: freshSeq(), id: UInt16(i & 0xFFFF)))
                i += 1
            case 3:      // Paris UDP traceroute: the payload makes each checksum differ
                let ttls = Int.random(in: 2...6, using: &rng)
                var sums = Set<UInt16>()
                for t in 0..<ttls where i < probeCount {
                    let p = udpProbe(i, src: c, dst: s, sport: nextPort, dport: 33434, ttl: UInt8(t + 1), payload: [UInt8(t), UInt8(i & 0xFF), UInt8(i >> 8)])
                    guard sums.insert(p.packet.transport.udp!.checksum).inserted else { continue }
                    probes.append(p)
                    i += 1
                }
            default:     // ICMP echo
                probes.append(echoProbe(i, src: c, dst: s, id: nextPort, seq: UInt16(i & 0xFFFF), ttl: UInt8.random(in: 1...64, using: &rng)))
                i += 1
            }
        }
        var portUse: [UInt16: Int] = [:]
        for p in probes { if let t = p.packet.transport.tcp { portUse[t.sourcePort, default: 0] += 1 } }
        for probe in probes {
            let shared = probe.packet.transport.tcp.map { portUse[$0.sourcePort, default: 0] > 1 } ?? false
            addAnswers(probe, router: probe.destination.isV6 ? Net.router6 : Net.router4, sharedFlow: shared, rng: &rng)
        }
        packets.shuffle(using: &rng)
    }

    private mutating func addAnswers(_ p: Probe, router: IPAddress, sharedFlow: Bool, rng: inout SplitMix64) {
        if Int.random(in: 0..<4, using: &rng) == 0 { packets.append((p.packet, .sent(p.index))) }
        let answerIt = Int.random(in: 0..<5, using: &rng) != 0
        var genuine: [IPPacket] = []
        var strays: [IPPacket] = []
        switch p.packet.transport {
        case .tcp(let t):
            if answerIt {
                genuine.append(icmpError(quoting: p, from: router, quoteLength: Bool.random(using: &rng) ? nil : 1000))
                genuine.append(tcpAnswer(to: p, flags: [.syn, .ack], seq: UInt32.random(in: 0...UInt32.max, using: &rng)))
                if Bool.random(using: &rng) { genuine.append(tcpAnswer(to: p, flags: [.rst, .ack], seq: 0, ttl: 58)) }
                // A bare RST names its probe through the ack field (= the SYN's seq).
                genuine.append(tcpAnswer(to: p, flags: .rst, seq: 0, ack: t.sequenceNumber, ttl: 8, id: 1))
            }
            strays.append(tcpAnswer(to: p, flags: [.syn, .ack], ack: t.sequenceNumber &+ 2))
            strays.append(tcpAnswer(to: p, flags: [.syn, .ack], sport: 8080))
            strays.append(tcpAnswer(to: p, flags: [.syn, .ack], dport: t.sourcePort &+ 30000))
            strays.append(tcpAnswer(to: p, flags: [.syn, .ack], from: p.destination.isV6 ? IPAddress("2001:db8:7::7")! : IPAddress("198.18.7.7")!))
            strays.append(icmpError(quoting: p, from: router) { q in
                if case .tcp(var s) = q.transport { s.sequenceNumber ^= 0x8000_0000; q.transport = .tcp(s) }
            })
            // On a shared flow a bare RST whose ack names no probe is ambiguous (on its own flow it would be attributed).
            if sharedFlow { strays.append(tcpAnswer(to: p, flags: .rst, seq: 0, ack: 3)) }
        case .udp:
            if answerIt {
                genuine.append(icmpError(quoting: p, from: Bool.random(using: &rng) ? router : p.destination,
                                         type: p.destination.isV6 ? 1 : 3, code: p.destination.isV6 ? 4 : 3))
            }
            strays.append(icmpError(quoting: p, from: router) { q in
                if case .udp(var u) = q.transport { u.destinationPort = 9; q.transport = .udp(u) }
            })
        case .icmp:
            if answerIt {
                genuine.append(echoReply(to: p))
                genuine.append(icmpError(quoting: p, from: router))
            }
            strays.append(echoReply(to: p, seq: p.packet.transport.icmp!.sequence! &+ 0x8000))
        default:
            break
        }
        for g in genuine {
            packets.append((g, .answer(p.index)))
            // Copies: the same answer again.
            for _ in 0..<Int.random(in: 0...2, using: &rng) { packets.append((g, .answer(p.index))) }
        }
        for s in strays where Int.random(in: 0..<3, using: &rng) == 0 { packets.append((s, .stray)) }
    }
}

extension IPAddress {
    var isV6: Bool { if case .v6 = self { return true }; return false }
}

@Suite struct CorrelatorPropertyTests {
    @Test func shuffledAnswersDuplicatesAndStraysAreNeverMisassigned() async {
        await propertyCheck(count: 12, input: Generator(run: { rng in rng.next() })) { (seed: UInt64) in
            let scenario = CorrelationScenario(seed: seed)
            var correlator = Correlator(probes: scenario.probes)
            var misassigned = 0, lost = 0
            var answered = Set<Int>()
            var genuineCount = 0
            for (n, (packet, truth)) in scenario.packets.enumerated() {
                let got = correlator.observe(packet, at: Net.time(n))
                switch (truth, got) {
                case (.sent(let i), .sent(let j)) where i == j: break
                case (.answer(let i), .answer(let a)) where a.probeIndex == i: answered.insert(i); genuineCount += 1
                case (.answer(let i), .duplicate(let j)) where i == j: genuineCount += 1
                case (.stray, .unrelated), (.stray, .ambiguous): break
                case (.answer, .unrelated), (.answer, .ambiguous): lost += 1
                default: misassigned += 1
                }
            }
            #expect(misassigned == 0, "seed \(seed)")
            #expect(lost == 0, "seed \(seed)")
            let c = correlator.counts
            #expect(c.answers + c.duplicates == genuineCount)
            #expect(c.answeredProbes == answered.count)
            #expect(scenario.probes.allSatisfy { p in correlator.answers(for: p.index).allSatisfy { $0.probeIndex == p.index } })
        }
    }
}
