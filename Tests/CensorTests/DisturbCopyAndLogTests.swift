import Capture
import Censor
import Foundation
import JSONSupport
import Packets
import TestSupport
import Testing

/// The bytes of a disturb copy, and the sampled log of disturb decisions.
@Suite struct DisturbCopyAndLogTests {
    /// Real packets (TCP, ICMP, both ways) from a CenTrace capture.
    static let captured: [[UInt8]] = {
        let path = Repository.root.deletingLastPathComponent()
            .appendingPathComponent("shared/centrace-sample/103.93.208.20_bisexual.org_bisexual.org.pcap").path
        return CaptureFileReader.readAll(path: path).packets.compactMap { try? $0.decode().ip?.serialized() }
    }()

    @Test(.enabled(if: !captured.isEmpty, "needs /work/shared/centrace-sample"))
    func aCopyIsThePacketAsForwarded() throws {
        var copied = 0
        for bytes in Self.captured {
            let original = try IPPacket.parse(bytes)
            guard let copy = ForwardedCopy.bytes(of: bytes) else {
                #expect(original.header.ttl <= 1)
                continue
            }
            copied += 1
            let parsed = try IPPacket.parse(copy)
            #expect(parsed.header.ttl == original.header.ttl - 1)
            #expect(parsed.headerChecksumIsValid == true)
            #expect(parsed.transport == original.transport)
            #expect(copy.count == bytes.count)
            // Only TTL and header checksum differ.
            let changed = zip(bytes, copy).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
            #expect(Set(changed).isSubset(of: [8, 10, 11]), "\(changed)")
        }
        #expect(copied > 10)
    }

    @Test func ipv6HopLimitAndHostileBytes() throws {
        let v6 = Wire.tcp("2001:db8:9::2", "2001:db8:1::2", sport: 443, dport: 40000, seq: 7, flags: [.syn, .ack], ttl: 60).serialized()
        let copy = try #require(ForwardedCopy.bytes(of: v6))
        #expect(copy[7] == 59 && Array(copy[8...]) == Array(v6[8...]) && Array(copy[..<7]) == Array(v6[..<7]))
        let expiring = Wire.tcp("198.18.9.2", "198.18.1.2", sport: 80, dport: 1, seq: 1, flags: .ack, ttl: 1).serialized()
        #expect(ForwardedCopy.bytes(of: expiring) == nil)
        for junk: [UInt8] in [[], [0x45], [0x4F] + [UInt8](repeating: 9, count: 30), [0x60, 0, 0], [0x12, 0, 0, 0]] {
            #expect(ForwardedCopy.bytes(of: junk) == nil, "\(junk)")
        }
    }

    static func decision(hold: Double, copies: Int, at now: Double, rule: String = "chaos") -> CensorDecision {
        CensorDecision(verdict: hold > 0 ? .delay(until: now + hold) : .accept, rule: rule, action: .disturb, trigger: "any",
                       duplicates: Array(repeating: now + hold, count: copies))
    }

    @Test func theSamplerLogsTheFirstDecisionsInFullAndSummarisesEachWindow() throws {
        var s = DisturbLogSampler(fullLines: 20)
        var full = 0
        for i in 0..<1000 {
            let now = 50 + Double(i) / 2000          // 2000 packets/s for half a second
            if s.record(Self.decision(hold: i % 2 == 0 ? 0.010 : 0, copies: i % 4 == 0 ? 1 : 0, at: now), at: now) { full += 1 }
        }
        _ = s.record(Self.decision(hold: 0.002, copies: 2, at: 50.3, rule: "other"), at: 50.3)
        #expect(full == 20)
        let early = s.flush(at: 50.9)
        #expect(early.isEmpty, "the window is not over")
        let out = s.flush(at: 51.0)
        #expect(out.map(\.rule) == ["chaos", "other"])
        let t = try #require(out.first?.tally)
        #expect(t.packets == 1000 && t.logged == 20 && t.delayed == 500 && t.duplicated == 250 && t.copies == 250)
        #expect(abs(t.delaySum / Double(t.packets) - 0.005) < 1e-9 && abs(t.delayMax - 0.010) < 1e-9)
        #expect(out.last?.tally.copies == 2)
        // A new window logs in full again; force flushes it at stop.
        let again = s.record(Self.decision(hold: 0, copies: 0, at: 52), at: 52)
        let notYet = s.flush(at: 52.1)
        let forced = s.flush(at: 52.1, force: true)
        let nothing = s.flush(at: 60, force: true)
        #expect(again && notYet.isEmpty && forced.first?.tally.packets == 1)
        #expect(nothing.isEmpty, "nothing left to say")

        let line = JSONValue.object([("event", .string("disturb-summary"))]
                                    + DisturbLogSampler.fields(rule: "chaos", seconds: 1.0, t)).serialized()
        #expect(line == #"{"event":"disturb-summary","rule":"chaos","seconds":1,"packets":1000,"logged":20,"delayed":500,"delay_ms_mean":5,"delay_ms_max":10,"duplicated":250,"copies":250}"#)
    }

    @Test func aDecisionLineSaysWhenTheCopiesGo() {
        let d = CensorDecision(verdict: .delay(until: 10.012), rule: "chaos", action: .disturb, trigger: "any",
                               duplicates: [10.012, 10.0305])
        let p = Wire.udp("198.18.9.2", "198.18.1.2", sport: 53, dport: 4000, payload: [1])
        let json = DecisionRecord.json(d, packet: p, direction: .serverToClient, loggedAt: 1, decidedAt: 10)
        #expect(json["action"] == .string("disturb") && json["verdict"] == .string("delay") && json["delay_ms"] == .double(12))
        #expect(json["duplicates_ms"] == .array([.double(12), .double(30.5)]))
        let plain = DecisionRecord.json(CensorDecision(verdict: .accept, rule: "a", action: .accept), packet: p,
                                        direction: .serverToClient, loggedAt: 1, decidedAt: 10)
        #expect(plain["duplicates_ms"] == nil)
    }
}
