import Capture
import Packets
import Probing
import Testing

/// A Paris TCP traceroute: one flow, `queries` probes per TTL told apart by their seq.
struct TraceRun {
    var probes: [Probe] = []
    var correlator: Correlator
    let destination = Net.server4

    init(ttls: ClosedRange<Int>, queries: Int = 1) {
        var index = 0
        for ttl in ttls {
            for q in 0..<queries {
                probes.append(synProbe(index, sport: 50000, dport: 443, seq: UInt32(ttl * 16 + q), ttl: UInt8(ttl)))
                index += 1
            }
        }
        correlator = Correlator(probes: probes)
    }

    func probes(at ttl: Int) -> [Probe] { probes.filter { Int($0.ttl) == ttl } }

    /// Routers answer time-exceeded at the given TTLs (router address 198.18.5.TTL).
    mutating func routers(_ ttls: [Int], query: Int? = nil, extensions: [UInt8] = []) {
        for ttl in ttls {
            for (q, p) in probes(at: ttl).enumerated() where query == nil || query == q {
                let router = IPAddress.v4(IPv4Address(198, 18, 5, UInt8(ttl)))
                _ = correlator.observe(icmpError(quoting: p, from: router, extensions: extensions), at: Net.time(ttl * 10))
            }
        }
    }

    /// The destination answers every probe at these TTLs with a SYN-ACK.
    mutating func destination(_ ttls: [Int]) {
        for ttl in ttls {
            for p in probes(at: ttl) { _ = correlator.observe(tcpAnswer(to: p, flags: [.syn, .ack]), at: Net.time(200)) }
        }
    }

    func trace(gapLimit: Int = 5) -> Trace {
        let c = correlator
        return TraceAssembler.assemble(probes: probes, answers: { c.answers(for: $0) }, destination: destination, gapLimit: gapLimit)
    }

    var settled: Bool {
        let c = correlator
        return TraceAssembler.isSettled(probes: probes, answers: { c.answers(for: $0) }, destination: destination)
    }
}

@Suite struct TraceAssemblyTests {
    @Test func reachedListsHopsUpToTheDestination() {
        var run = TraceRun(ttls: 1...10)
        run.routers([1, 2, 3])
        run.destination(Array(5...10))
        let trace = run.trace()
        #expect(trace.reached && trace.destinationTTL == 5 && trace.stopReason == "reached")
        #expect(trace.hops.map(\.ttl) == [1, 2, 3, 4, 5])
        #expect(trace.hops.map(\.address) == [IPAddress("198.18.5.1"), IPAddress("198.18.5.2"), IPAddress("198.18.5.3"), nil, Net.server4])
        #expect(trace.hops[4].responses.first?.kind == .synAck)
        #expect(trace.hops[0].responses.first?.kind == .timeExceeded)
    }

    @Test func unreachableFromARouterEndsTheTrace() {
        var run = TraceRun(ttls: 1...8)
        run.routers([1, 2])
        for ttl in 3...8 {
            for p in run.probes(at: ttl) {
                _ = run.correlator.observe(icmpError(quoting: p, from: IPAddress("198.18.5.3")!, type: 3, code: 13), at: Net.time(50))
            }
        }
        let trace = run.trace()
        #expect(!trace.reached && trace.destinationTTL == nil && trace.stopReason == "unreachable")
        #expect(trace.hops.map(\.ttl) == [1, 2, 3])
        #expect(trace.hops.last?.responses.first?.kind == .unreachable)
        #expect(run.settled)
    }

    @Test func portUnreachableFromTheDestinationIsReached() {
        let probes = (1...4).map { udpProbe($0 - 1, sport: 40000, dport: 33434, ttl: UInt8($0), payload: [UInt8($0)]) }
        var correlator = Correlator(probes: probes)
        _ = correlator.observe(icmpError(quoting: probes[0], from: Net.router4), at: Net.time(1))
        _ = correlator.observe(icmpError(quoting: probes[1], from: Net.server4, type: 3, code: 3), at: Net.time(2))
        _ = correlator.observe(icmpError(quoting: probes[2], from: Net.server4, type: 3, code: 3), at: Net.time(2))
        let trace = TraceAssembler.assemble(probes: probes, answers: { correlator.answers(for: $0) }, destination: Net.server4)
        #expect(trace.reached && trace.destinationTTL == 2 && trace.hops.count == 2)
        #expect(trace.hops[1].responses.map(\.kind) == [.portUnreachable])
    }

    @Test func silentHopsAfterTheLastAnswer() {
        var run = TraceRun(ttls: 1...30)
        run.routers([1, 2])
        let trace = run.trace()
        #expect(trace.stopReason == "silent-hops" && !trace.reached)
        #expect(trace.hops.map(\.ttl) == Array(1...7))
        #expect(trace.hops.dropFirst(2).allSatisfy { $0.address == nil && $0.responses.isEmpty })
        // A router answering after a long gap moves the end past it.
        run.routers([9])
        #expect(run.trace().hops.map(\.ttl) == Array(1...14))
        #expect(run.trace(gapLimit: 2).hops.map(\.ttl) == Array(1...11))
    }

    @Test func maxTTLWhenTheProbesRunOutFirst() {
        var run = TraceRun(ttls: 1...6)
        run.routers([1, 2, 3])
        let trace = run.trace()
        #expect(trace.stopReason == "max-ttl" && trace.hops.map(\.ttl) == Array(1...6))
        // Exactly `gapLimit` silent TTLs probed: the gap limit was met.
        #expect(run.trace(gapLimit: 3).stopReason == "silent-hops")
        var answeredToTheEnd = TraceRun(ttls: 1...3)
        answeredToTheEnd.routers([1, 2, 3])
        #expect(answeredToTheEnd.trace(gapLimit: 0).stopReason == "max-ttl")
    }

    @Test func silentTraceListsGapLimitHopsFromTheFirstTTL() {
        let run = TraceRun(ttls: 3...20)
        let trace = run.trace()
        #expect(trace.stopReason == "silent-hops" && trace.hops.map(\.ttl) == Array(3...7))
    }

    @Test func multipleQueriesPerTTL() {
        var run = TraceRun(ttls: 1...4, queries: 3)
        // ECMP at TTL 2: the second query goes through another router.
        for ttl in 1...3 {
            for (q, p) in run.probes(at: ttl).enumerated() {
                let router = IPAddress.v4(IPv4Address(198, 18, 5, UInt8(ttl * 10 + (ttl == 2 && q == 1 ? 1 : 0))))
                _ = run.correlator.observe(icmpError(quoting: p, from: router), at: Net.time(ttl * 10 + q))
            }
        }
        run.destination([4])
        let trace = run.trace()
        #expect(trace.hops.count == 4 && trace.hops.allSatisfy { $0.responses.count == 3 })
        #expect(trace.hops[1].responses.map(\.address) == [IPAddress("198.18.5.20"), IPAddress("198.18.5.21"), IPAddress("198.18.5.20")])
        #expect(trace.hops[1].address == IPAddress("198.18.5.20"))
        #expect(trace.hops[1].responses.map(\.probeIndex) == [3, 4, 5])
    }

    @Test func mplsLabelsFromICMPExtensions() {
        var run = TraceRun(ttls: 1...3)
        let ext = ICMPExtensionStructure.build(objects: [.mpls([MPLSLabelStackEntry(label: 24001, bottomOfStack: false, ttl: 1),
                                                                MPLSLabelStackEntry(label: 16, bottomOfStack: true, ttl: 1)])])
        run.routers([1])
        run.routers([2], extensions: ext)
        let trace = run.trace()
        #expect(trace.hops[0].responses.first?.mplsLabels == [])
        #expect(trace.hops[1].responses.first?.mplsLabels == [24001, 16])
    }

    @Test func settlesOnlyWhenEveryQueryBelowTheDestinationAnswered() {
        var run = TraceRun(ttls: 1...8, queries: 2)
        run.routers([1, 2, 3])
        #expect(!run.settled)                       // no destination yet
        run.destination([5, 6, 7, 8])
        #expect(!run.settled)                       // TTL 4 has not answered
        run.routers([4], query: 0)
        #expect(!run.settled)                       // TTL 4's second query is still out
        run.routers([4], query: 1)
        #expect(run.settled)
        #expect(run.trace().destinationTTL == 5)
    }

    @Test func noProbesGiveAnEmptyTrace() {
        let trace = TraceAssembler.assemble(probes: [], answers: { _ in [] }, destination: Net.server4)
        #expect(trace.hops.isEmpty && !trace.reached)
        #expect(!TraceAssembler.isSettled(probes: [], answers: { _ in [] }, destination: Net.server4))
    }
}
