import Capture
import Packets
import Probing
import Testing
@testable import Analysis

/// UDP verdicts from real probe packets and the answers a network would send, matched by
/// the correlator as in a live run.
@Suite struct DatagramAnalysisTests {
    static let client = IPAddress("198.18.1.2")!
    static let target = IPAddress("198.18.20.5")!
    static let router = IPAddress("198.18.5.2")!

    struct Run {
        var echo: Probe
        var stun: Probe
        var correlator: Correlator
    }

    func probes(_ target: IPAddress = target) throws -> Run {
        let builder = try ProbeBuilder(source: Self.client, destination: target)
        let echo = try builder.icmpEcho(index: 0, identifier: 0x4242, sequence: 1, payloadSize: 56, ttl: 64, ipID: 7)
        let stun = try builder.stunBinding(index: 1, sourcePort: 61001, destinationPort: 3478, transactionID: Array(1...12),
                                           ttl: 64, ipID: 8, label: "stun binding port 3478")
        return Run(echo: echo, stun: stun, correlator: Correlator(probes: [echo, stun]))
    }

    func header(_ src: IPAddress, _ dst: IPAddress, proto: UInt8, ttl: UInt8) -> NetworkHeader {
        guard case .v4(let s) = src, case .v4(let d) = dst else { preconditionFailure("IPv4 in these tests") }
        return .v4(IPv4Header(identification: 99, ttl: ttl, proto: proto, source: s, destination: d))
    }

    func observe(_ run: inout Run, _ packet: IPPacket, ms: Int = 1) {
        let parsed = (try? IPPacket.parse(packet.serialized())) ?? packet
        _ = run.correlator.observe(parsed, at: CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: UInt32(ms) * 1_000_000))
    }

    func echoReply(_ run: Run, ttl: UInt8 = 60) -> IPPacket {
        let m = run.echo.packet.transport.icmp!
        return IPPacket(header: header(run.echo.destination, Self.client, proto: 1, ttl: ttl),
                        transport: .icmp(ICMPMessage(family: .v4, type: 0, code: 0, restOfHeader: m.restOfHeader, body: m.body)))
    }

    /// An ICMP destination unreachable from `from` quoting the STUN probe (IP header + 8 bytes).
    func unreachable(_ run: Run, from: IPAddress, code: UInt8) -> IPPacket {
        let quote = Array(run.stun.bytes.prefix(28))
        return IPPacket(header: header(from, Self.client, proto: 1, ttl: 61),
                        transport: .icmp(ICMPMessage(family: .v4, type: 3, code: code, restOfHeader: 0, body: quote[...])))
    }

    func input(_ run: Run) -> DatagramInput {
        DatagramInput(target: run.stun.destination, port: 3478, echoReplies: run.correlator.answers(for: 0),
                      trials: [DatagramTrial(probe: run.stun, answers: run.correlator.answers(for: 1))])
    }

    @Test("A STUN answer from the host: reachable")
    func stunAnswer() throws {
        var run = try probes()
        let response = STUNMessage(type: 0x0101, transactionID: Array(1...12)).encoded()
        observe(&run, IPPacket(header: header(Self.target, Self.client, proto: 17, ttl: 60),
                               transport: .udp(UDPDatagram(sourcePort: 3478, destinationPort: 61001, payload: response[...]))))
        let r = DatagramAnalysis.analyse(input(run))
        #expect(r.verdict == .reachable)
        #expect(r.summary.contains("stun-response"))
        #expect(r.evidence.first?.answers.first?.kind == .stunResponse)
    }

    @Test("The host's own port unreachable: reachable but closed")
    func closedPort() throws {
        var run = try probes()
        observe(&run, unreachable(run, from: Self.target, code: 3))
        let r = DatagramAnalysis.analyse(input(run))
        #expect(r.verdict == .reachable && r.summary.contains("closed"))
    }

    @Test("A router's host unreachable: host-down; administratively prohibited: icmp-unreachable")
    func routerRefusals() throws {
        var down = try probes()
        observe(&down, unreachable(down, from: Self.router, code: 1))
        let d = DatagramAnalysis.analyse(input(down))
        #expect(d.verdict == .hostDown && d.trigger.kind == "none" && !d.verdict.isBlocking)
        var refused = try probes()
        observe(&refused, unreachable(refused, from: Self.router, code: 13))
        let r = DatagramAnalysis.analyse(input(refused))
        #expect(r.verdict == .icmpUnreachable && r.trigger.kind == "port")
        #expect(r.summary.contains("198.18.5.2") && r.summary.contains("code 13"))
    }

    @Test("Silence while the host answers echo: a drop on the port, low confidence; total silence: unreachable, not a block, unless another vantage reaches the host")
    func silence() throws {
        var run = try probes()
        observe(&run, echoReply(run))
        let r = DatagramAnalysis.analyse(input(run))
        #expect(r.verdict == .drop && r.trigger.kind == "port" && r.summary.contains("confidence low"))
        let nothing = DatagramAnalysis.analyse(input(try probes()))
        #expect(nothing.verdict == .unreachable && !nothing.verdict.isBlocking && nothing.trigger.kind == "none")
        #expect(nothing.summary.contains("Not called a block"))
        // No trace ran (a script without one): the summary does not speak of traces going silent.
        #expect(nothing.summary.contains("no trace was run") && !nothing.summary.contains("every trace"), "\(nothing.summary)")
        var controlled = input(try probes())
        controlled.controls = [VantageControl(vantage: "vantage eu-1", reachable: true, detail: "the STUN binding drew a response")]
        let blocked = DatagramAnalysis.analyse(controlled)
        #expect(blocked.verdict == .drop && blocked.trigger.kind == "address" && blocked.summary.contains("vantage eu-1"))
    }

    @Test("A time exceeded to a full-TTL probe is a routing loop: unreachable, not a block")
    func loop() throws {
        var run = try probes()
        let quote = Array(run.echo.bytes.prefix(28))
        observe(&run, IPPacket(header: header(Self.router, Self.client, proto: 1, ttl: 62),
                               transport: .icmp(ICMPMessage(family: .v4, type: 11, code: 0, restOfHeader: 0, body: quote[...]))))
        var i = input(run)
        i.echoProbes = [(run.echo, run.correlator.answers(for: 0))]
        let r = DatagramAnalysis.analyse(i)
        #expect(r.verdict == .unreachable && !r.verdict.isBlocking && r.summary.contains("loop") && r.summary.contains("198.18.5.2"))
    }

    @Test("The JSON is investigate's, with no SYN trials")
    func json() throws {
        var run = try probes()
        observe(&run, echoReply(run))
        let json = DatagramAnalysis.analyse(input(run)).record(Investigation.ReportContext()).json.serialized()
        #expect(json.contains("\"schema\":\"censorscope.investigation/1\"") && json.contains("\"verdict\":\"drop\"")
                && json.contains("\"syn_variants\":[]") && json.contains("\"port\":3478"))
    }

    @Test("Injector copies are counted per probe: three distinct forged packets are three copies, not one")
    func copiesPerProbe() throws {
        var run = try probes()
        observe(&run, unreachable(run, from: Self.router, code: 13))
        let a = try #require(run.correlator.answers(for: 1).first)
        var other = a
        other.probeIndex = 0
        var copied = a
        copied.duplicates = 2
        #expect(PathLocalisation.copies([a, a, a]) == 3)
        #expect(PathLocalisation.copies([copied]) == 3)
        #expect(PathLocalisation.copies([a, other]) == 1)
    }
}
