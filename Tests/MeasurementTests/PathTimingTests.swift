import Analysis
import Capture
import Packets
import Probing
import Testing
@testable import Measurement

/// How long runs wait: the rule on round trips, and what a campaign's runs teach the others.
@Suite struct PathTimingTests {
    static let client = IPAddress("198.18.1.2")!
    static let router = IPAddress("198.18.5.2")!

    @Test("The wait is 4 × RTT + 50 ms, at least 150 ms, at most the cap; nothing known waits the cap")
    func waitRule() {
        #expect(WaitRule.timeout(rttMilliseconds: nil, cap: .seconds(2)) == .seconds(2))
        #expect(WaitRule.timeout(rttMilliseconds: 0.3, cap: .seconds(2)) == .milliseconds(150))
        #expect(WaitRule.timeout(rttMilliseconds: 100, cap: .seconds(2)) == .milliseconds(450))
        #expect(WaitRule.timeout(rttMilliseconds: 800, cap: .seconds(2)) == .seconds(2))
        #expect(WaitRule.timeout(rttMilliseconds: .infinity, cap: .seconds(1)) == .seconds(1))
        #expect(WaitRule.timeout(rttMilliseconds: -1, cap: .seconds(1)) == .seconds(1))
    }

    /// An echo to `target` sent at t = 0 and what answered it `milliseconds` later: the host's
    /// reply, or `router`'s host unreachable quoting it.
    func answers(_ target: String, milliseconds: UInt32, unreachable: Bool = false) throws -> [Answer] {
        let destination = try #require(IPAddress(target))
        guard case .v4(let d) = destination, case .v4(let c) = Self.client, case .v4(let r) = Self.router else { return [] }
        let probe = try ProbeBuilder(source: Self.client, destination: destination)
            .icmpEcho(index: 0, identifier: 7, sequence: 1, payloadSize: 56, ttl: 64, ipID: 1, label: "echo")
        var correlator = Correlator(probes: [probe])
        let start = CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: 0)
        correlator.noteSent(0, at: start)
        let m = try #require(probe.packet.transport.icmp)
        let packet = unreachable
            ? IPPacket(header: .v4(IPv4Header(identification: 9, ttl: 62, proto: 1, source: r, destination: c)),
                       transport: .icmp(ICMPMessage(family: .v4, type: 3, code: 1, restOfHeader: 0, body: probe.bytes[...])))
            : IPPacket(header: .v4(IPv4Header(identification: 9, ttl: 60, proto: 1, source: d, destination: c)),
                       transport: .icmp(ICMPMessage(family: .v4, type: 0, code: 0, restOfHeader: m.restOfHeader, body: m.body)))
        let parsed = (try? IPPacket.parse(packet.serialized())) ?? packet
        let at = CaptureTimestamp(seconds: start.seconds + Int64(milliseconds / 1000), nanoseconds: milliseconds % 1000 * 1_000_000)
        _ = correlator.observe(parsed, at: at)
        return correlator.answers(for: 0)
    }

    @Test("Round trips are kept per prefix, else for the vantage; a late unreachable marks its prefix and is no RTT")
    func learnsPerPrefix() throws {
        let timing = PathTiming()
        #expect(timing.estimate(for: IPAddress("198.18.20.1")!) == nil)
        let echo = try answers("198.18.20.1", milliseconds: 12)
        #expect(echo.first?.rttMilliseconds == 12)
        timing.learn(echo, destination: IPAddress("198.18.20.1")!)
        #expect(timing.estimate(for: IPAddress("198.18.20.9")!).map { $0.milliseconds == 12 && $0.samePrefix } == true)
        #expect(timing.estimate(for: IPAddress("198.18.22.9")!).map { $0.milliseconds == 12 && !$0.samePrefix } == true)
        #expect(!timing.lateUnreachables(near: IPAddress("198.18.29.3")!))
        // A router's host unreachable 3 s later (ARP gave up): the prefix waits, the RTTs stay.
        let late = try answers("198.18.29.1", milliseconds: 3000, unreachable: true)
        #expect(late.first?.kind == .unreachable)
        timing.learn(late, destination: IPAddress("198.18.29.1")!)
        #expect(timing.lateUnreachables(near: IPAddress("198.18.29.3")!))
        #expect(!timing.lateUnreachables(near: IPAddress("198.18.22.3")!))
        #expect(timing.estimate(for: IPAddress("198.18.29.3")!).map { !$0.samePrefix && $0.milliseconds == 12 } == true)
        // The slowest of the recent answers counts.
        timing.learn(try answers("198.18.20.2", milliseconds: 40), destination: IPAddress("198.18.20.2")!)
        #expect(timing.estimate(for: IPAddress("198.18.20.3")!)?.milliseconds == 40)
    }
}
