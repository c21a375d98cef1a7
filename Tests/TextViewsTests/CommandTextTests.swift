import Analysis
import Campaigns
import Foundation
import Measurement
import Packets
import ProbeSession
import Probing
import TestSupport
import Testing
import TextViews

/// The commands' human text, rendered in-process from the values the commands render.
@Suite struct CommandTextTests {
    static let client = IPAddress("198.18.1.2")!
    static let target = IPAddress("198.18.9.2")!
    static let router = IPAddress("198.18.2.2")!

    static func fingerprint(_ source: IPAddress, ttl: UInt8, flags: TCPFlags? = nil, icmp: (UInt8, UInt8)? = nil) -> Fingerprint {
        Fingerprint(source: source, ttl: ttl, ipID: 1, dontFragment: false, tos: 0, length: 40, flags: flags,
                    window: flags == nil ? nil : 0, icmpType: icmp?.0, icmpCode: icmp?.1)
    }

    static func response(_ address: IPAddress, _ kind: AnswerKind, probe: Int, rtt: Double, icmp: (UInt8, UInt8)? = nil) -> HopResponse {
        HopResponse(address: address, kind: kind, rttMilliseconds: rtt, probeIndex: probe,
                    fingerprint: fingerprint(address, ttl: 60, icmp: icmp), quoteDifferences: [], mplsLabels: [])
    }

    @Test func traceLinesAsTracerouteWritesThem() {
        #expect(TraceText.line(TraceHop(ttl: 3, responses: [])) == " 3  *")
        let hop = TraceHop(ttl: 2, responses: [Self.response(Self.router, .timeExceeded, probe: 1, rtt: 0.4384),
                                               Self.response(Self.router, .timeExceeded, probe: 1, rtt: 0.9),
                                               Self.response(Self.target, .timeExceeded, probe: 2, rtt: 1.5)])
        // One answer per probe; the address again only when it changes.
        #expect(TraceText.line(hop) == " 2  198.18.2.2  0.438 ms 198.18.9.2  1.500 ms")
        #expect(TraceText.line(hop) { "<\($0)>" } == " 2  <198.18.2.2>  0.438 ms <198.18.9.2>  1.500 ms")
        let end = TraceHop(ttl: 12, responses: [Self.response(Self.target, .synAck, probe: 11, rtt: 2)])
        #expect(TraceText.line(end) == "12  198.18.9.2  2.000 ms [syn-ack]")
        let unreachable = TraceHop(ttl: 4, responses: [Self.response(Self.router, .unreachable, probe: 3, rtt: 3, icmp: (3, 1))])
        #expect(TraceText.line(unreachable) == " 4  198.18.2.2  3.000 ms !H")
        let v6 = IPAddress("2001:db8::1")!
        #expect(TraceText.unreachableMark(Self.fingerprint(v6, ttl: 60, icmp: (1, 3))) == "!H")
        #expect(TraceText.unreachableMark(Self.fingerprint(Self.router, ttl: 60, icmp: (3, 13))) == "!X")
        #expect(TraceText.unreachableMark(Self.fingerprint(Self.router, ttl: 60, icmp: (3, 7))) == "!<7>")
    }

    /// Three queries per TTL: a `*` for each lost one, where it was lost.
    @Test func everyLostQueryIsAStar() {
        let hop = TraceHop(ttl: 2, responses: [Self.response(Self.router, .timeExceeded, probe: 4, rtt: 0.5)], queries: [3, 4, 5])
        #expect(TraceText.line(hop) == " 2  * 198.18.2.2  0.500 ms *")
        #expect(hop.lostQueries == 2)
        #expect(TraceText.line(TraceHop(ttl: 3, responses: [], queries: [6, 7, 8])) == " 3  * * *")
    }

    /// A router that lost queries while a later one answered: rate limiting, said so.
    @Test func silenceBeforeAnAnsweringHopIsNoted() {
        let lossy = TraceHop(ttl: 1, responses: [Self.response(Self.router, .timeExceeded, probe: 0, rtt: 0.1)], queries: [0, 1])
        let silent = TraceHop(ttl: 2, responses: [], queries: [2, 3])
        let end = TraceHop(ttl: 3, responses: [Self.response(Self.target, .synAck, probe: 4, rtt: 0.3),
                                               Self.response(Self.target, .synAck, probe: 5, rtt: 0.3)], queries: [4, 5])
        let notes = TraceText.notes(Trace(destination: Self.target, hops: [lossy, silent, end], reached: true, destinationTTL: 3,
                                          stopReason: "reached"))
        #expect(notes.count == 2)
        #expect(notes[0].hasPrefix("note: hop 1 lost queries while later hops answered: routers limit the rate of their ICMP errors"))
        #expect(notes[1].hasPrefix("note: hop 2 stayed silent while later hops answered"))
        // Silence at the end is no rate limit: nothing answered after it.
        #expect(TraceText.notes(Trace(destination: Self.target, hops: [lossy, silent], reached: false, destinationTTL: nil,
                                      stopReason: "silent-hops")).isEmpty)
    }

    @Test func fingerprintsInOneLine() {
        var f = Self.fingerprint(Self.target, ttl: 58, flags: [.rst, .ack])
        #expect(ProbeText.describe(f) == "ttl 58, ip id 1, no DF, flags RA, win 0")
        f.tos = 0x20
        f.options = ["mss", "sackOK"]
        f.dontFragment = true
        #expect(ProbeText.describe(f) == "ttl 58, ip id 1, DF, tos 0x20, flags RA, win 0, options [mss,sackOK]")
        #expect(ProbeText.describe(Self.fingerprint(Self.router, ttl: 63, icmp: (11, 0))) == "ttl 63, ip id 1, no DF, icmp 11/0")
        #expect(milliseconds(nil) == "?" && milliseconds(-1) == "?" && milliseconds(.infinity) == "?" && milliseconds(12.3456) == "12.346")
    }

    @Test func payloadLines() {
        var rst = PayloadObservation(outcome: .rst, from: Self.target, fingerprint: Self.fingerprint(Self.target, ttl: 58, flags: [.rst]))
        rst.timeExceededFrom = Self.router
        let step = PayloadStep(ttl: 5, test: rst, control: PayloadObservation(outcome: .timeExceeded, from: Self.router))
        #expect(PayloadText.line(step)
            == "  5  test: rst from 198.18.9.2 (ttl 58, ip id 1) + time-exceeded from 198.18.2.2   control: time-exceeded from 198.18.2.2")
        let short = PayloadStep(ttl: 12, test: PayloadObservation(outcome: .timeout), control: .notConnected("refused"))
        #expect(PayloadText.line(short) == " 12  test: timeout" + String(repeating: " ", count: 35) + "control: not-connected: refused")
        #expect(PayloadText.stopped(nil) == nil)
        #expect(PayloadText.stopped(short) == "stopped at TTL 12: neither connection could be made (the handshake does not depend on the TTL)")
        #expect(PayloadText.describe(.raw([1, 2, 3])) == "raw 3 bytes" && PayloadText.describe(.tls(sni: "a.example")) == "tls sni a.example")
    }

    /// An investigation recorded in the lab, replayed through the engine, as `investigate` prints it.
    @Test func investigationText() throws {
        let fixtures = Repository.root.appendingPathComponent("Tests/MeasurementTests/Fixtures")
        let network = try RecordedNetwork(path: fixtures.appendingPathComponent("telegram-80.pcapng").path)
        let live = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("telegram-80.json"))) as? [String: Any]
        let seed = try #require((live?["seed"] as? NSNumber)?.uint64Value)
        let engine = Engine(script: try Experiments.standard(), network: network, source: Self.client, softwareVersion: "replay")
        let outcome = try engine.measure(MeasurementItem(address: Self.target, port: ServicePort(80)), ids: IdentifierSource(seed: seed))
        let lines = InvestigationText.lines(outcome.result, context: outcome.context) { "<\($0)>" }
        #expect(lines.prefix(2) == ["", "VERDICT: rst-injection (blocked)"])
        #expect(lines.contains { $0.hasPrefix("trigger: syn-size: ") })
        #expect(lines.contains { $0.hasPrefix("location: TTL 2, ") })
        #expect(lines.contains("SYN shapes (port 80):"))
        #expect(lines.contains { $0.hasPrefix("  linux") && $0.hasSuffix("FORGED  blocked") })
        #expect(lines.contains { $0.hasPrefix("  on port 443: ") })
        #expect(lines.contains { $0.hasPrefix("   2  <") && $0.hasSuffix("<- the device acts here") })
        #expect(lines.contains("evidence: none"))
        #expect(lines.last?.hasPrefix("took ") == true && lines.last?.hasSuffix(" ms") == true)
        let route = RouteInfo(source: Self.client, interface: "veth0")
        #expect(InvestigationText.start(ProbeTarget(address: Self.target, route: route), port: ServicePort(80))
            == "investigating 198.18.9.2 port 80 from 198.18.1.2 (veth0)")
    }

    /// `analyze` on a CenTrace sample pair.
    @Test(.enabled(if: Repository.shared != nil, "skipped: ../shared is absent"))
    func sweepText() throws {
        let sample = try #require(Repository.shared).appendingPathComponent("centrace-sample")
        let pair = try SweepPair(test: sample.appendingPathComponent("188.65.24.82_www.nifty.org_www.nifty.org.pcap").path,
                                 control: sample.appendingPathComponent("188.65.24.82_www.nifty.org_example.com.pcap").path)
        let lines = SweepText.lines(pair)
        #expect(lines[0].hasPrefix("test:    188.65.24.82 port 80, domain www.nifty.org, TTLs 0-18, 18 probes"))
        #expect(lines[1].hasPrefix("control: 188.65.24.82 port 80, domain example.com"))
        #expect(lines[2].hasPrefix(" ttl  test") && lines[2].hasSuffix("control"))
        #expect(lines.contains("outcome: censored (rst), confidence high"))
        #expect(lines.contains("terminating TTL: test 18, control 23"))
        #expect(lines.contains { $0.hasPrefix("middlebox: 134.0.217.233 (after ") })
        #expect(lines.contains("on-path: no"))
        #expect(pair.record.outcome == "censored" && pair.record.test?.domain == "www.nifty.org")
    }

    /// `routes compare` on the forward and reverse traces of the routes fixtures.
    @Test func routesText() throws {
        let dir = Repository.root.appendingPathComponent("Tests/AnalysisTests/Fixtures/routes")
        let read: (String) throws -> [UInt8] = { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        let pair = try RoutePair(forward: dir.appendingPathComponent("forward.censorscope.json").path,
                                 reverse: dir.appendingPathComponent("reverse.censorscope.json").path, format: nil, direction: nil,
                                 index: nil, asn: nil, censor: nil, read: read)
        let lines = RoutesText.lines(pair, hasDatabase: false)
        #expect(lines[0].hasPrefix("forward: ") && lines[0].hasSuffix("forward.censorscope.json)"))
        #expect(lines[1].hasPrefix("reverse: "))
        #expect(lines.contains("(= same address both ways, ~ same router through another interface: a point-to-point link seen at mirrored positions)"))
        #expect(lines.contains("AS paths: not looked up (give --asn-db FILE)"))
        #expect(lines.contains(pair.comparison.summary))
        // One file holding one path is refused with the sentence the command prints.
        let error = #expect(throws: RouteImportError.self) {
            _ = try RoutePair(forward: dir.appendingPathComponent("forward.censorscope.json").path, reverse: nil, format: nil,
                              direction: nil, index: nil, asn: nil, censor: nil, read: read)
        }
        #expect(error?.description.hasSuffix("holds one path; give the reverse trace as a second file.") == true)
    }
}
