import Agent
import Capture
import JSONSupport
import Packets
import Probing
import Records
import Testing

/// The story's reverse probe as the agent's capture shows it: the server opens a
/// connection from its port 80 to the client's port 80, the client's SYN-ACK arrives with
/// TTL 60 and DF, the payload leaves, and a RST claiming to be the client arrives with
/// TTL 57, IP ID 1, no DF (the lab's `reverse-port-80` rule).
struct ReverseConnection {
    static let agent = IPv4Address(198, 18, 9, 2), requester = IPv4Address(198, 18, 1, 2)
    let flow = PayloadFlow(local: .v4(agent), localPort: 80, remote: .v4(requester), remotePort: 80)
    let isn: UInt32 = 1_000, peerISN: UInt32 = 50_000
    let payload = Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8)
    var packets: [PayloadPacket] = []

    init() {
        add(0, tcp(out: true, seq: isn, ack: 0, flags: .syn))
        add(1, tcp(out: false, seq: peerISN, ack: isn + 1, flags: [.syn, .ack], ttl: 60, df: true))
        add(1, tcp(out: true, seq: isn + 1, ack: peerISN + 1, flags: .ack))
        add(2, tcp(out: true, seq: isn + 1, ack: peerISN + 1, flags: [.psh, .ack], payload: payload))
    }

    mutating func add(_ ms: Int, _ p: IPPacket) {
        let reparsed = (try? IPPacket.parse(p.serialized())) ?? p
        packets.append(PayloadPacket(packet: reparsed, timestamp: CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: UInt32(ms) * 1_000_000)))
    }

    func tcp(out: Bool, seq: UInt32, ack: UInt32, flags: TCPFlags, ttl: UInt8 = 64, ipID: UInt16 = 0, df: Bool = true,
             payload: [UInt8] = []) -> IPPacket {
        let (s, d) = out ? (Self.agent, Self.requester) : (Self.requester, Self.agent)
        let segment = TCPSegment(sourcePort: 80, destinationPort: 80, sequenceNumber: seq, acknowledgmentNumber: ack,
                                 flags: flags, window: 502, payload: payload[...])
        return IPPacket(IPv4Header(identification: ipID, flags: df ? .dontFragment : [], ttl: ttl, proto: 6, source: s, destination: d),
                        .tcp(segment))
    }

    var dataEnd: UInt32 { isn + 1 + UInt32(payload.count) }

    func observe() -> (PayloadObservation, ReverseAssessment) {
        let o = PayloadObservation.classify(flow: flow, dataSequence: isn + 1, dataLength: payload.count, packets: packets)
        return (o, ReverseAssessment.assess(o, packets: packets, flow: flow))
    }
}

@Suite struct ReverseAssessmentTests {
    @Test func theStorysForgedResetIsAnInjectors() {
        var c = ReverseConnection()
        c.add(3, c.tcp(out: false, seq: c.peerISN + 1, ack: 0, flags: .rst, ttl: 57, ipID: 1, df: false))
        let (o, a) = c.observe()
        #expect(o.outcome == .rst)
        #expect(a.resetBy == "injector" && a.injected)
        #expect(a.reasons == ["TTL 57 means 7 hops; the requester's SYN-ACK came from 4 (TTL 60).",
                              "DF is clear where the requester's SYN-ACK has it set."])
        #expect(a.peer?.ttl == 60)
        #expect(DirectionVerdict.reverseBlocked(outcome: o.outcome, injected: a.injected) == true)
    }

    @Test func theRequestersOwnResetIsThePeers() {
        var c = ReverseConnection()
        c.add(3, c.tcp(out: false, seq: c.peerISN + 1, ack: c.dataEnd, flags: [.rst, .ack], ttl: 60, df: true))
        let (o, a) = c.observe()
        #expect(o.outcome == .rst && a.resetBy == "peer" && !a.injected)
        #expect(a.reasons.contains("TTL 60 means 4 hops, as for the requester's SYN-ACK."))
        #expect(DirectionVerdict.reverseBlocked(outcome: o.outcome, injected: a.injected) == false)
    }

    @Test func anAcknowledgedPayloadPassed() {
        var c = ReverseConnection()
        c.add(3, c.tcp(out: false, seq: c.peerISN + 1, ack: c.dataEnd, flags: .ack, ttl: 60))
        let (o, a) = c.observe()
        #expect(o.outcome == .ack && a.resetBy == nil && !a.injected)
        #expect(DirectionVerdict.reverseBlocked(outcome: o.outcome, injected: a.injected) == false)
    }

    @Test func withoutTheSYNACKNothingDecides() {
        var c = ReverseConnection()
        c.packets.remove(at: 1)
        c.add(3, c.tcp(out: false, seq: c.peerISN + 1, ack: 0, flags: .rst, ttl: 57, ipID: 1, df: false))
        let (_, a) = c.observe()
        #expect(a.resetBy == "unknown" && !a.injected && a.peer == nil)
    }

    /// The lab's censor resets as soon as the handshake's last ACK passes: the kernel
    /// reports a failed connect, the capture shows the handshake and the forged reset.
    @Test func aResetBeforeThePayloadIsAResetNotAFailedConnection() throws {
        var c = ReverseConnection()
        c.packets.removeLast()   // no payload left
        c.add(1, c.tcp(out: false, seq: c.peerISN + 1, ack: 0, flags: .rst, ttl: 57, ipID: 1, df: false))
        let failed = PayloadObservation.notConnected("connecting to 198.18.1.2 port 80 failed: Connection reset by peer")
        let o = ReverseFlow.observation(failed, packets: c.packets, flow: c.flow)
        #expect(o.outcome == .rst && o.from == .v4(ReverseConnection.requester) && o.fingerprint?.ttl == 57)
        #expect(o.socketError == failed.socketError)
        let a = ReverseAssessment.assess(o, packets: c.packets, flow: c.flow)
        #expect(a.resetBy == "injector" && a.injected)
        #expect(ReverseFlow.handshakeCompleted(c.packets, flow: c.flow) && !ReverseFlow.payloadSent(c.packets, flow: c.flow))
        let report = ReverseReport(target: .v4(ReverseConnection.requester), source: .v4(ReverseConnection.agent),
                                   request: AgentReverseRequest(sourcePort: 80, destinationPort: 80, payload: .httpHost("example.com")),
                                   observation: o, assessment: a, handshake: true, payloadSent: false, evidenceBase64: "")
        #expect(ReverseReport.line(try ReverseRecord(json: try JSONParser.parse(report.record.json.serialized())))
            == "reverse 198.18.9.2:80 > 198.18.1.2:80: reset by an injector after the handshake, before the payload (ttl 57, ip id 1, no DF)")
        // Without the SYN-ACK the failure stands; a refused connection (RST answering the SYN) too.
        var refused = ReverseConnection()
        refused.packets = [refused.packets[0]]
        refused.add(1, refused.tcp(out: false, seq: 0, ack: refused.isn + 1, flags: [.rst, .ack], ttl: 60))
        #expect(ReverseFlow.observation(failed, packets: refused.packets, flow: refused.flow) == failed)
        // An observation that is not a failed connection is kept as it is.
        let ack = PayloadObservation(outcome: .ack)
        #expect(ReverseFlow.observation(ack, packets: c.packets, flow: c.flow) == ack)
    }

    @Test func directionSentences() {
        #expect(DirectionVerdict.summary(forward: true, reverse: true) == "acts on both directions")
        #expect(DirectionVerdict.summary(forward: true, reverse: false) == "acts on the forward direction only")
        #expect(DirectionVerdict.summary(forward: false, reverse: true) == "acts on the reverse direction only")
        #expect(DirectionVerdict.summary(forward: false, reverse: false) == "acts on neither direction")
        #expect(DirectionVerdict.summary(forward: true, reverse: nil).contains("inconclusive"))
        #expect(DirectionVerdict.record(forward: true, reverse: nil).json.serialized()
            == #"{"forward":true,"reverse":null,"summary":"acts on the forward direction; the reverse direction is inconclusive"}"#)
        #expect(DirectionVerdict.reverseBlocked(outcome: .timeout, injected: false) == nil)
        #expect(DirectionVerdict.reverseBlocked(outcome: .notConnected, injected: false) == nil)
    }

    @Test func theReportAndItsLine() throws {
        var c = ReverseConnection()
        c.add(3, c.tcp(out: false, seq: c.peerISN + 1, ack: 0, flags: .rst, ttl: 57, ipID: 1, df: false))
        let (o, a) = c.observe()
        let request = AgentReverseRequest(sourcePort: 80, destinationPort: 80, payload: .httpHost("example.com"))
        let report = ReverseReport(target: .v4(ReverseConnection.requester), source: .v4(ReverseConnection.agent),
                                   request: request, observation: o, assessment: a,
                                   handshake: ReverseFlow.handshakeCompleted(c.packets, flow: c.flow),
                                   payloadSent: ReverseFlow.payloadSent(c.packets, flow: c.flow), evidenceBase64: "AAAA")
        let body = try JSONParser.parse(report.record.json.serialized())
        #expect(body["outcome"] == "rst" && body["reset_by"] == "injector" && body["blocked"] == .bool(true))
        #expect(body["connected"] == .bool(true) && body["payload_sent"] == .bool(true))
        #expect(body["ttl"] == .int(64) && body["evidence_pcapng"] == "AAAA")
        #expect(body["fingerprint"]?["ttl"] == .int(57) && body["peer_fingerprint"]?["ttl"] == .int(60))
        #expect(ReverseReport.line(try ReverseRecord(json: body)) == "reverse 198.18.9.2:80 > 198.18.1.2:80: reset by an injector (ttl 57, ip id 1, no DF)")
        // A body that is no reverse result reads as nothing known, which still gives a line.
        #expect((try? ReverseRecord(json: .array([]))) == nil)
        #expect(ReverseReport.line(ReverseRecord()).hasPrefix("reverse ?:? > ?:?"))
    }
}
