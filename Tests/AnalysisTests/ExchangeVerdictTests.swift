import Capture
import Packets
import Probing
import Testing
@testable import Analysis

/// A full-TTL connection as a capture with a snap length shows it: packets serialised, then
/// cut to their first bytes, as the engine's bulk transfers capture them.
struct CapturedConnection {
    static let client = IPv4Address(198, 18, 0, 2), server = IPv4Address(198, 18, 9, 2)
    static let flow = PayloadFlow(local: .v4(client), localPort: 40_100, remote: .v4(server), remotePort: 80)
    let clientISN: UInt32 = 1_000, serverISN: UInt32 = 0xFFFF_FFF0   // the server's stream wraps past 2^32
    var packets: [CapturedPacket] = []
    var snap = 96

    static func ts(_ ms: Double) -> CaptureTimestamp {
        CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: UInt32(ms * 1_000_000))
    }

    mutating func add(_ ms: Double, out: Bool, seq: UInt32, ack: UInt32 = 0, flags: TCPFlags, ttl: UInt8 = 60, payload: [UInt8] = []) {
        let (s, d) = out ? (Self.client, Self.server) : (Self.server, Self.client)
        let segment = TCPSegment(sourcePort: out ? 40_100 : 80, destinationPort: out ? 80 : 40_100, sequenceNumber: seq,
                                 acknowledgmentNumber: ack, flags: flags, window: 502, options: [], payload: payload[...])
        let bytes = IPPacket(IPv4Header(identification: 7, flags: .dontFragment, ttl: ttl, proto: 6, source: s, destination: d),
                             .tcp(segment)).serialized()
        packets.append(CapturedPacket(timestamp: Self.ts(ms), linkType: .raw, data: bytes.prefix(snap), originalLength: bytes.count))
    }

    /// SYN, SYN-ACK, our request at 1 ms.
    static func opened(synAckTTL: UInt8 = 60) -> CapturedConnection {
        var c = CapturedConnection()
        c.add(0, out: true, seq: c.clientISN, flags: .syn, ttl: 64)
        c.add(0.5, out: false, seq: c.serverISN, ack: c.clientISN + 1, flags: [.syn, .ack], ttl: synAckTTL)
        c.add(1, out: true, seq: c.clientISN + 1, ack: c.serverISN &+ 1, flags: [.psh, .ack], ttl: 64,
              payload: Array("GET /bytes/3000 HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        return c
    }

    var observation: ExchangeObservation { ExchangeObservation.read(packets, flow: Self.flow) }
}

@Suite struct ExchangeObservationTests {
    @Test func bytesAndRateComeFromTheHeadersOfCutPackets() {
        var c = CapturedConnection.opened()
        let head = Array("HTTP/1.1 200 OK\r\nContent-Length: 2960\r\n\r\n".utf8)
        let first = head + [UInt8](repeating: 0x41, count: 1000 - head.count)
        c.add(11, out: false, seq: c.serverISN &+ 1, ack: 0, flags: .ack, payload: first)
        c.add(21, out: false, seq: c.serverISN &+ 1001, flags: .ack, payload: [UInt8](repeating: 0x42, count: 1000))
        c.add(21, out: false, seq: c.serverISN &+ 1001, flags: .ack, payload: [UInt8](repeating: 0x42, count: 1000))   // a retransmission counts once
        c.add(31, out: false, seq: c.serverISN &+ 2001, flags: [.fin, .ack], payload: [UInt8](repeating: 0x43, count: 1000))
        let o = c.observation
        #expect(o.outcome == .data && o.connected && o.ended)
        #expect(o.bytes == 3000)
        #expect(o.firstLine == "HTTP/1.1 200 OK")
        #expect(o.seconds.map { abs($0 - 0.030) < 1e-6 } == true)
        #expect(o.bytesPerSecond.map { abs($0 - 100_000) < 1 } == true)
        #expect(o.synAck?.ttl == 60 && o.firstData?.ttl == 60)
    }

    @Test func aTransferWeCutCountsUntilOurStop() {
        // Bursts (GRO) until 1.7 s, then our RST at 2 s: the rate counts the silent end too.
        var c = CapturedConnection.opened()
        c.add(500, out: false, seq: c.serverISN &+ 1, flags: .ack, payload: Array("HTTP/1.1 200 OK\r\n\r\n".utf8) + [UInt8](repeating: 0, count: 9981))
        c.add(1701, out: false, seq: c.serverISN &+ 10_001, flags: .ack, payload: [UInt8](repeating: 0, count: 10_000))
        c.add(2001, out: true, seq: c.clientISN + 40, flags: [.rst, .ack], ttl: 64)
        let o = c.observation
        #expect(o.cut && !o.ended && o.bytes == 20_000)
        #expect(o.seconds.map { abs($0 - 2.0) < 1e-6 } == true)
        #expect(o.bytesPerSecond.map { abs($0 - 10_000) < 1 } == true)
    }

    @Test func aResetSYNIsARefusalWithItsSender() {
        var c = CapturedConnection()
        c.add(0, out: true, seq: c.clientISN, flags: .syn, ttl: 64)
        c.add(0.3, out: false, seq: 0, ack: c.clientISN + 1, flags: [.rst, .ack], ttl: 62)
        let o = c.observation
        #expect(o.outcome == .notConnected && o.refusal == .reset && o.refusedBy?.ttl == 62)
        #expect(o.bytesPerSecond == nil)
    }

    @Test func silenceAndAResetRequest() {
        var silent = CapturedConnection()
        silent.add(0, out: true, seq: silent.clientISN, flags: .syn, ttl: 64)
        #expect(silent.observation.outcome == .notConnected && silent.observation.refusal == .silence)
        var reset = CapturedConnection.opened()
        reset.add(2, out: false, seq: reset.serverISN &+ 1, flags: [.rst, .ack], ttl: 62)
        #expect(reset.observation.outcome == .rst && reset.observation.bytes == 0)
        #expect(CapturedConnection.opened().observation.outcome == .timeout)
    }

    @Test func anotherConnectionsPacketsAreNotCounted() {
        var c = CapturedConnection.opened()
        var other = CapturedConnection()
        other.add(5, out: false, seq: 5, flags: .ack, payload: [1, 2, 3])
        c.packets += other.packets.map { p in
            var bytes = Array(p.data)
            bytes[22] = 0x9C; bytes[23] = 0x41   // another destination port (40001)
            return CapturedPacket(timestamp: p.timestamp, linkType: .raw, data: bytes[...])
        }
        #expect(c.observation.bytes == 0)
    }
}

@Suite struct ThrottlingTests {
    static func transfer(_ bytes: Int, ms: Double, ended: Bool = true) -> ExchangeObservation {
        ExchangeObservation(outcome: bytes > 0 ? .data : .timeout, synAck: nil, firstLine: "HTTP/1.1 200 OK", bytes: bytes,
                            started: CapturedConnection.ts(0), requested: CapturedConnection.ts(1), firstDataAt: CapturedConnection.ts(2),
                            lastDataAt: CapturedConnection.ts(1 + ms), stoppedAt: ended ? nil : CapturedConnection.ts(1 + ms), ended: ended)
    }

    static func input(_ controls: [ExchangeObservation], _ test: ExchangeObservation) -> TransferInput {
        TransferInput(object: "/bytes/1048576", controls: controls, test: test, minBytes: 256 << 10, ratio: 4,
                      testName: "TLS SNI throttled.example", controlName: "TLS SNI example.com")
    }

    @Test func aTestCutByTimeFarBelowTheControlsIsThrottled() {
        let f = Throttling.judge(Self.input([Self.transfer(1 << 20, ms: 10), Self.transfer(1 << 20, ms: 20)],
                                            Self.transfer(37_000, ms: 1999, ended: false)))
        #expect(f.judged && f.throttled)
        #expect((f.ratio ?? 0) > 1000)
        #expect(f.control?.bytesPerSecond == Self.transfer(1 << 20, ms: 20).bytesPerSecond)   // the slower control
        #expect(f.detail.contains("148 kbit/s for TLS SNI throttled.example"))
    }

    @Test func aTestSlowOnceButFastOnTheRetestIsNotThrottled() {
        var input = Self.input([Self.transfer(1 << 20, ms: 10), Self.transfer(1 << 20, ms: 12)], Self.transfer(1 << 20, ms: 400))
        #expect(Throttling.judge(input).throttled)   // one slow download alone would say throttle
        input.retests = [Self.transfer(1 << 20, ms: 15)]
        let f = Throttling.judge(input)
        #expect(f.judged && !f.throttled && f.ratio == 1.25)
        #expect(f.test.bytesPerSecond == Self.transfer(1 << 20, ms: 15).bytesPerSecond)   // the faster test
        // Both test downloads slow: throttled, and the detail says which one was judged.
        input.retests = [Self.transfer(40_000, ms: 1999, ended: false)]
        let both = Throttling.judge(input)
        #expect(both.throttled && both.detail.contains("the faster of 2 test downloads"))
    }

    @Test func alikeRatesAreNotThrottling() {
        let f = Throttling.judge(Self.input([Self.transfer(1 << 20, ms: 10), Self.transfer(1 << 20, ms: 12)],
                                            Self.transfer(1 << 20, ms: 30)))
        #expect(f.judged && !f.throttled && f.ratio == 2.5)
    }

    @Test func tooSmallAnObjectIsNotJudged() {
        let small = Throttling.judge(Self.input([Self.transfer(612, ms: 1), Self.transfer(612, ms: 1)], Self.transfer(612, ms: 50)))
        #expect(!small.judged && !small.throttled && small.detail.contains("--object"))
        // The test ended short of min_bytes: a different object, not a rate.
        let short = Throttling.judge(Self.input([Self.transfer(1 << 20, ms: 10), Self.transfer(1 << 20, ms: 10)],
                                                Self.transfer(5000, ms: 100)))
        #expect(!short.judged)
        // A test that drew nothing is not throttling either (the sweep judges blocking).
        #expect(!Throttling.judge(Self.input([Self.transfer(1 << 20, ms: 10)], Self.transfer(0, ms: 0))).judged)
    }
}

@Suite struct ResidualBlockingTests {
    static let target = IPAddress("198.18.9.2")!
    static let mid = IPAddress("198.18.2.2")!, isp = IPAddress("198.18.1.1")!

    static func fingerprint(_ source: IPAddress, ttl: UInt8, flags: TCPFlags? = nil) -> Fingerprint {
        Fingerprint(source: source, ttl: ttl, ipID: 0, dontFragment: true, tos: 0, length: 40, flags: flags)
    }

    /// The host's echo replies arrive with TTL 60 (4 hops).
    static var profile: GenuineProfile {
        let reply = IPPacket(IPv4Header(ttl: 60, proto: 1, source: IPv4Address(198, 18, 9, 2), destination: IPv4Address(198, 18, 0, 2)),
                             .icmp(ICMPMessage(family: .v4, type: 0, code: 0, body: [0, 1, 0, 1][...])))
        let answer = Answer(probeIndex: 0, kind: .echoReply, basis: .echo, timestamp: CapturedConnection.ts(0), rttNanoseconds: 500_000,
                            fingerprint: fingerprint(target, ttl: 60), quotedTTL: nil, quoteDifferences: [], duplicates: 0, packet: reply)
        return GenuineProfile(target: target, echoReplies: [answer], trials: [])
    }

    static func exceeded(_ router: IPAddress, at ms: Double) -> PayloadObservation {
        PayloadObservation(outcome: .timeExceeded, from: router, fingerprint: fingerprint(router, ttl: 62), sentAt: CapturedConnection.ts(ms))
    }

    static func refused(at ms: Double) -> PayloadObservation {
        var o = PayloadObservation.notConnected("refused")
        o.sentAt = CapturedConnection.ts(ms)
        return o
    }

    /// TTL 1-3 time exceeded for both; at TTL 4 the test draws a reset forged with TTL 62
    /// (the censor at mid), and the control is refused from then on.
    static var steps: [PayloadStep] {
        let routers = [isp, mid, IPAddress("198.18.3.2")!]
        var steps = routers.enumerated().map { i, r in
            PayloadStep(ttl: i + 1, test: exceeded(r, at: Double(i * 100)), control: exceeded(r, at: Double(i * 100 + 50)))
        }
        steps[2].control.from = mid   // the control reaches mid at TTL 3 (read as `before`)
        let reset = PayloadObservation(outcome: .rst, from: target, fingerprint: fingerprint(target, ttl: 62, flags: [.rst, .ack]),
                                       sentAt: CapturedConnection.ts(300))
        steps.append(PayloadStep(ttl: 4, test: reset, control: refused(at: 350)))
        return steps
    }

    static var answered: ExchangeObservation { ThrottlingTests.transfer(800, ms: 1) }
    static func refusedExchange(at ms: Double) -> ExchangeObservation {
        ExchangeObservation(outcome: .notConnected, refusal: .reset, refusedBy: fingerprint(target, ttl: 62, flags: [.rst, .ack]),
                            started: CapturedConnection.ts(ms))
    }

    @Test func controlsRefusedAfterTheTestAreResidualBlocking() throws {
        let input = ResidualInput(before: Self.answered, after: [Self.refusedExchange(at: 1400), Self.refusedExchange(at: 2300)],
                                  otherPort: 443, otherPortObservation: Self.answered)
        let r = try #require(ResidualBlocking.analyse(Self.steps, input, target: Self.target, port: 80, profile: Self.profile))
        #expect(r.triggerTTL == 4 && r.scope == .addressPort && r.how == "reset" && !r.byHost)
        #expect(r.secondsObserved == 2.0)   // from the test at 300 ms to the last refusal at 2300 ms
        #expect(r.detail.contains("port 443 of the same address still connects"))
        let finding = PayloadFinding.analyse(Self.steps, target: Self.target, port: 80, profile: Self.profile,
                                             testName: "HTTP Host blocked.example", residual: r)
        #expect(finding.verdict == .rstInjection)
        #expect(finding.location?.ttl == 4 && finding.location?.before == Self.mid)
        #expect(finding.injector?.ttl == 62)
        // Without the residual finding the same sweep reads as reachable: the bug this fixes.
        #expect(PayloadFinding.analyse(Self.steps, target: Self.target, port: 80, profile: Self.profile, testName: "t").verdict == .reachable)
    }

    @Test func oneFailureAloneOrNoBaselineIsNotResidualBlocking() {
        var steps = Self.steps
        steps[3].control = Self.exceeded(IPAddress("198.18.9.1")!, at: 350)
        let single = ResidualInput(before: Self.answered, after: [Self.refusedExchange(at: 1400)])
        #expect(ResidualBlocking.analyse(steps, single, target: Self.target, port: 80, profile: Self.profile) == nil)
        // Nothing ever connected before the test: no baseline.
        let never = Self.steps.map { PayloadStep(ttl: $0.ttl, test: $0.test, control: Self.refused(at: 1)) }
        let noBaseline = ResidualInput(before: Self.refusedExchange(at: 0), after: [Self.refusedExchange(at: 1400), Self.refusedExchange(at: 2300)])
        #expect(ResidualBlocking.analyse(never, noBaseline, target: Self.target, port: 80, profile: Self.profile) == nil)
        // The control after the sweep works: nothing residual.
        let fine = ResidualInput(before: Self.answered, after: [Self.answered])
        #expect(ResidualBlocking.analyse(Self.steps, fine, target: Self.target, port: 80, profile: Self.profile) == nil)
    }

    @Test func aTestThatPassedButSetOffABlockIsNeverReachable() throws {
        var steps = Self.steps
        steps[3].test = PayloadObservation(outcome: .data, from: Self.target, fingerprint: Self.fingerprint(Self.target, ttl: 60, flags: [.psh, .ack]),
                                           responseBytes: 600, firstBytes: "HTTP/1.1 200 OK", sentAt: CapturedConnection.ts(300))
        let silent = ExchangeObservation(outcome: .notConnected, refusal: .silence, started: CapturedConnection.ts(1400))
        let input = ResidualInput(before: Self.answered, after: [silent, silent], otherPort: 443,
                                  otherPortObservation: ExchangeObservation(outcome: .notConnected, refusal: .silence))
        let r = try #require(ResidualBlocking.analyse(steps, input, target: Self.target, port: 80, profile: Self.profile))
        #expect(r.how == "silence" && r.scope == .address)
        let finding = PayloadFinding.analyse(steps, target: Self.target, port: 80, profile: Self.profile, testName: "t", residual: r)
        #expect(finding.verdict == .drop && finding.location == nil)
    }
}
