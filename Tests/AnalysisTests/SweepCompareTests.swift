import JSONSupport
import Packets
import Probing
import Testing
@testable import Analysis

/// compare() on sweeps written by hand: one rule per test.
@Suite struct SweepCompareTests {
    static let target = IPAddress("198.18.9.2")!

    static func router(_ ttl: Int) -> IPAddress { IPAddress("198.18.0.\(ttl)")! }

    static func exceeded(_ ttl: Int) -> PayloadSweep.Probe {
        .init(ttl: ttl, observation: PayloadObservation(outcome: .timeExceeded, from: router(ttl)))
    }

    static func answer(_ ttl: Int, _ outcome: PayloadOutcome, arrival: UInt8 = 50, line: String? = nil) -> PayloadSweep.Probe {
        let f = Fingerprint(source: target, ttl: arrival, ipID: 1, dontFragment: false, tos: 0, length: 40)
        return .init(ttl: ttl, observation: PayloadObservation(outcome: outcome, from: target, fingerprint: f, firstBytes: line))
    }

    static func silent(_ ttl: Int) -> PayloadSweep.Probe { .init(ttl: ttl, observation: PayloadObservation(outcome: .timeout)) }

    static func sweep(_ probes: [PayloadSweep.Probe], domain: String) -> PayloadSweep {
        PayloadSweep(target: target, port: 80, domain: domain, probes: probes)
    }

    /// Time exceeded from TTL 1 to `hops - 1`, then `tail`.
    static func routersThen(_ hops: Int, _ tail: [PayloadSweep.Probe], domain: String) -> PayloadSweep {
        sweep((1..<hops).map(exceeded) + tail, domain: domain)
    }

    let control = routersThen(8, [answer(8, .data, line: "HTTP/1.1 200 OK")], domain: "example.com")

    @Test func sameAnswerAtTheSameTTLIsNotCensored() {
        let test = Self.routersThen(8, [Self.answer(8, .data, line: "HTTP/1.1 200 OK")], domain: "x.example")
        let r = SweepAnalysis.compare(test: test, control: control)
        #expect(r.outcome == .notCensored)
        #expect(r.middlebox == nil && r.mechanism == nil && r.onPath == nil)
        #expect(r.terminatingTTL == .init(test: 8, control: 8))
        #expect(r.confidence == .high)
    }

    @Test func differentAnswerAtTheEndpointIsEndpointBlocking() {
        let test = Self.routersThen(8, [Self.answer(8, .rst)], domain: "x.example")
        let r = SweepAnalysis.compare(test: test, control: control)
        #expect(r.outcome == .endpointBlocking)
        #expect(r.mechanism == "rst")
        #expect(r.middlebox == nil)
    }

    @Test func differentStatusCodeIsADifferentAnswer() {
        let test = Self.routersThen(8, [Self.answer(8, .data, line: "HTTP/1.1 403 Forbidden")], domain: "x.example")
        #expect(SweepAnalysis.compare(test: test, control: control).outcome == .endpointBlocking)
    }

    @Test func resetBeforeTheEndpointLocatesTheMiddlebox() {
        let test = Self.routersThen(5, [Self.answer(5, .rst), Self.answer(6, .rst)], domain: "x.example")
        let r = SweepAnalysis.compare(test: test, control: control)
        #expect(r.outcome == .censored)
        #expect(r.mechanism == "rst")
        #expect(r.middlebox == .init(address: Self.router(5), before: Self.router(4), after: Self.router(6)))
        #expect(r.onPath == false)
        #expect(!r.injectorCopiesTTL)   // arrival 50 at probe TTLs 5 and 6: a stack's own TTL
        let json = r.record(test: nil, control: nil, notes: []).json
        #expect(json["outcome"] == "censored")
        #expect(json["middlebox"]?["address"] == .string("198.18.0.5"))
        #expect(json["terminating_ttl"]?["test"] == .int(5))
        #expect(json["on_path"] == .bool(false))
    }

    @Test func timeExceededWithTheResetMeansOnPath() {
        var rst = Self.answer(5, .rst)
        rst.observation.timeExceededFrom = Self.router(5)
        let r = SweepAnalysis.compare(test: Self.routersThen(5, [rst], domain: "x.example"), control: control)
        #expect(r.onPath == true)
    }

    @Test func silenceWhereTheControlGoesOnIsADrop() {
        let test = Self.routersThen(5, (5...10).map(Self.silent), domain: "x.example")
        let r = SweepAnalysis.compare(test: test, control: control)
        #expect(r.outcome == .censored)
        #expect(r.mechanism == "drop")
        #expect(r.terminatingTTL.test == 5)
        #expect(r.middlebox?.address == Self.router(5))
        #expect(r.confidence == .medium)
        #expect(r.onPath == nil)
    }

    @Test func silenceWhereTheControlIsSilentTooIsNotCensorship() {
        let silentControl = Self.routersThen(5, (5...10).map(Self.silent), domain: "example.com")
        let test = Self.routersThen(5, (5...10).map(Self.silent), domain: "x.example")
        let r = SweepAnalysis.compare(test: test, control: silentControl)
        #expect(r.outcome != .censored)
        #expect(r.outcome == .notCensored)
        #expect(r.confidence == .low)
    }

    @Test func silenceAtTheEndpointsDistanceIsEndpointBlocking() {
        let test = Self.routersThen(8, (8...12).map(Self.silent), domain: "x.example")
        let r = SweepAnalysis.compare(test: test, control: control)
        #expect(r.outcome == .endpointBlocking)
        #expect(r.mechanism == "drop")
    }

    @Test func aTraceCutShortIsInconclusive() {
        let test = Self.routersThen(6, [], domain: "x.example")   // time exceeded up to its last TTL
        let r = SweepAnalysis.compare(test: test, control: control)
        #expect(r.outcome == .inconclusive)
        #expect(r.terminatingTTL.test == nil)
        #expect(r.terminatingTTL.control == 8)
        #expect(r.reasons.contains { $0.contains("cut short") })
    }

    @Test func oneSilentTTLAtTheEndIsNotEnoughToEnd() {
        let test = Self.routersThen(6, [Self.silent(6)], domain: "x.example")
        #expect(SweepAnalysis.terminatingTTL(test) == nil)
        #expect(SweepAnalysis.compare(test: test, control: control).outcome == .inconclusive)
    }

    @Test func nothingSentIsInconclusive() {
        let test = Self.sweep([.init(ttl: 1, observation: .notConnected("refused"))], domain: "x.example")
        let r = SweepAnalysis.compare(test: test, control: control)
        #expect(r.outcome == .inconclusive)
        #expect(r.reasons.contains { $0.contains("no payload") })
    }

    @Test func resetBeyondTheControlsPathWithCopiedTTLIsCensored() {
        // Server at 8 hops; the injector copies the remaining TTL, so its reset arrives with
        // the probe's TTL minus twice its distance and survives only from TTL 17 on.
        let tail = (8...16).map(Self.silent) + (17...19).map { Self.answer($0, .rst, arrival: UInt8($0 - 16)) }
        let test = Self.routersThen(8, tail, domain: "x.example")
        let r = SweepAnalysis.compare(test: test, control: control)
        #expect(r.outcome == .censored)
        #expect(r.injectorCopiesTTL)
        #expect(r.middlebox == nil)
        #expect(r.terminatingTTL == .init(test: 17, control: 8))
    }

    @Test func resetBeyondTheControlsPathFromAStackIsEndpointBlocking() {
        let tail = (8...16).map(Self.silent) + [Self.answer(17, .rst, arrival: 56)]
        let r = SweepAnalysis.compare(test: Self.routersThen(8, tail, domain: "x.example"), control: control)
        #expect(r.outcome == .endpointBlocking)
        #expect(!r.injectorCopiesTTL)
    }

    @Test func aloneGivesTheEndButNoVerdict() {
        let r = SweepAnalysis.alone(Self.routersThen(5, [Self.answer(5, .rst)], domain: "x.example"))
        #expect(r.outcome == .inconclusive)
        #expect(r.mechanism == "rst")
        #expect(r.terminatingTTL.test == 5)
        #expect(r.record(test: nil, control: nil, notes: []).json["middlebox"] == .null)
    }

    @Test func severalProbesAtATTLFoldIntoTheDecidingOne() {
        let s = Self.sweep([Self.exceeded(1), Self.silent(2), Self.answer(2, .rst), Self.exceeded(2)], domain: "x.example")
        #expect(s.answer(at: 2)?.outcome == .rst)
        #expect(SweepAnalysis.terminatingTTL(s) == 2)
        #expect(s.ttls == [1, 2])
    }
}
