import Censor
import Foundation
import JSONSupport
import Packets
import Testing

/// The JSON line logged per decision (Docs/censor.md, "The log").
@Suite struct DecisionLogTests {
    @Test func decisionLineNamesRuleTriggerPacketAndForgedPackets() throws {
        var e = CensorEngine(policy: policy(EngineSYNTests.storyPolicy))
        let syn = try IPPacket.parse(Wire.hex(EngineSYNTests.syn60))
        let d = e.handle(syn, at: 5)
        let line = DecisionRecord.json(d, packet: syn, direction: .clientToServer, loggedAt: 1_700_000_000.25, decidedAt: 5).serialized()
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix(#"{"time":1700000000.25,"event":"decision","rule":"browser-syn","action":"inject","verdict":"drop","trigger":"syn_size=60","direction":"client-to-server","packet":{"src":"192.168.0.2","dst":"159.89.184.10","ttl":19,"ip_id":54902,"df":false,"length":60,"proto":"tcp","sport":42193,"dport":80,"flags":"S","seq":2785663221,"ack":0,"window":5840,"options":["mss","sackOK","TS","nop","wscale"],"payload_len":0}"#))
        #expect(line.hasSuffix(#""forged":[{"to":"client","src":"159.89.184.10","dst":"192.168.0.2","flags":"R","seq":0,"ack":2785663221,"ttl":8,"ip_id":1,"df":false,"window":5840,"payload_len":0}]}"#))
    }

    @Test func delayedVerdictsCarryTheirDelay() throws {
        let d = CensorDecision(verdict: .delay(until: 10.0125), rule: "slow", action: .throttle, trigger: "throttled-flow")
        let p = Wire.udp("198.18.1.2", "198.18.3.2", sport: 1, dport: 2, payload: [1, 2])
        let json = DecisionRecord.json(d, packet: p, direction: .serverToClient, loggedAt: 1, decidedAt: 10)
        #expect(json["verdict"] == .string("delay"))
        #expect(json["delay_ms"] == .double(12.5))
        #expect(json["forged"] == .array([]))
        #expect(json["packet"]?["proto"] == .string("udp"))
    }
}
