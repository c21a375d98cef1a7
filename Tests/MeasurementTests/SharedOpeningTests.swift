import Campaigns
import Foundation
import Packets
import ProbeSession
import Probing
import Sockets
import TestSupport
import Testing
@testable import Measurement

/// Many items' openings as one run, between two namespaces: each item's part is handed on
/// when its own run would have ended, and holds exactly its own packets.
@Suite(.serialized, .enabled(if: TwoHostNetwork.canRun, "needs root and iproute2 to build network namespaces"))
struct SharedOpeningTests {
    static let script = """
        name: t
        ports: [80]
        steps:
          - probe: echo
            count: 1
          - probe: syn
            variants: [mss, linux]
        analyses: [investigation]
        """

    struct Handed: Sendable {
        var item: Int
        var seconds: Double
        var run: OpeningRun
    }

    /// Openings to B (answers: echo reply, RSTs from its kernel), to two addresses nobody
    /// holds on the link (silent), one of them waiting for a late unreachable.
    @Test("an answered item is handed on at once, a silent one at the timeout, one waiting for a late unreachable after that wait; each with its own packets")
    func handsEachItemOnWhenItsOwnRunWouldEnd() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let b = try #require(IPAddress(net.addressB))
        let silent = [try #require(IPAddress("198.18.\(net.subnet).77")), try #require(IPAddress("198.18.\(net.subnet).78"))]
        let script = try ExperimentScript.parse(Self.script, source: "t.yaml")
        let (handed, openings) = try NetworkNamespace.run(in: net.a) { () throws -> ([Handed], [Opening]) in
            let route = try Routing.route(to: b)
            var settings = RunSettings(rate: nil, timeout: .milliseconds(400))
            settings.silenceTimeout = .milliseconds(1500)
            let engine = Engine(script: script, network: LiveNetwork(route: route, settings: settings), source: route.source, softwareVersion: "t")
            var openings: [Opening] = []
            for (n, address) in ([b] + silent).enumerated() {
                let item = MeasurementItem(id: Int64(n), address: address, port: try #require(ServicePort("80")))
                openings.append(try #require(try engine.opening(item, ids: IdentifierSource(seed: UInt64(n + 1)))))
            }
            openings[2].waitsForSilence = false
            let start = ContinuousClock.now
            let box = HandedBox()
            try SharedOpening.run(openings, configuration: settings.configuration(route: route, destinations: openings.map(\.item.address))) { k, run in
                let d = (ContinuousClock.now - start).components
                box.items.append(Handed(item: k, seconds: Double(d.seconds) + Double(d.attoseconds) / 1e18, run: run))
            }
            return (box.items, openings)
        }
        #expect(handed.map(\.item).sorted() == [0, 1, 2], "every item handed on once")
        let byItem = Dictionary(uniqueKeysWithValues: handed.map { ($0.item, $0) })
        let answered = try #require(byItem[0]), waiting = try #require(byItem[1]), given = try #require(byItem[2])
        #expect(answered.seconds < 0.3 && answered.run.statistics.endedEarly, "answered at \(answered.seconds) s")
        #expect(given.seconds >= 0.4 && given.seconds < 1.2 && given.run.statistics.fullWait && !given.run.statistics.waitedForSilence,
                "given up at \(given.seconds) s")
        #expect(waiting.seconds >= 1.5 && waiting.run.statistics.waitedForSilence, "waited until \(waiting.seconds) s")
        // Each part replays as the item's own run: its probes numbered as the item numbers
        // them, its answers only.
        let result = try answered.run.result(evidence: nil)
        #expect(result.probes.map(\.index) == openings[0].probes.map(\.index))
        #expect(result.answers(for: 0).first?.kind == .echoReply)
        #expect(result.answers(for: 1).first?.kind == .rst && result.answers(for: 2).first?.kind == .rst)
        #expect(result.probes.allSatisfy { p in result.answers(for: p.index).allSatisfy { $0.fingerprint.source == b } })
        #expect(answered.run.statistics.sent == 3 && answered.run.statistics.captureDropped == 0)
        for part in [waiting, given] {
            let r = try part.run.result(evidence: nil)
            #expect(r.probes.allSatisfy { r.answers(for: $0.index).isEmpty }, "item \(part.item) heard something")
            #expect(part.run.statistics.sent == 3)
        }
    }

    @Test("the item's network answers its first run from the opening once, and only for the same probes")
    func openingNetworkAnswersOnceForTheSameProbes() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let b = try #require(IPAddress(net.addressB))
        let script = try ExperimentScript.parse(Self.script, source: "t.yaml")
        let counts = try NetworkNamespace.run(in: net.a) { () throws -> [Int] in
            let route = try Routing.route(to: b)
            let settings = RunSettings(rate: nil, timeout: .milliseconds(400))
            let live = LiveNetwork(route: route, settings: settings)
            let engine = Engine(script: script, network: live, source: route.source, softwareVersion: "t")
            let item = MeasurementItem(address: b, port: try #require(ServicePort("80")))
            let opening = try #require(try engine.opening(item, ids: IdentifierSource(seed: 7)))
            let box = HandedBox()
            try SharedOpening.run([opening], configuration: settings.configuration(route: route, destinations: [b])) { k, run in
                box.items.append(Handed(item: k, seconds: 0, run: run))
            }
            let network = OpeningNetwork(base: live, opening: try #require(box.items.first?.run))
            let other = try #require(try engine.opening(item, ids: IdentifierSource(seed: 8)))
            // Other probes: sent live, and the opening is spent; then the same probes go live too.
            let first = try network.run(other.probes, destination: b, evidence: nil, settled: { _ in false })
            let second = try network.run(opening.probes, destination: b, evidence: nil, settled: { _ in false })
            let fresh = OpeningNetwork(base: live, opening: try #require(box.items.first?.run))
            let replayed = try fresh.run(opening.probes, destination: b, evidence: nil, settled: { _ in false })
            return [first.statistics.endedEarly ? 1 : 0, second.statistics.endedEarly ? 1 : 0, second.statistics.sent,
                    replayed.statistics.endedEarly ? 1 : 0, replayed.probes.filter { !replayed.answers(for: $0.index).isEmpty }.count]
        }
        // A live run asked never to settle waits its timeout; the replay of a settled opening
        // ended early, with an answer to each of its 3 probes.
        #expect(counts[0] == 0 && counts[1] == 0 && counts[2] == 3, "\(counts)")
        #expect(counts[3] == 1 && counts[4] == 3, "\(counts)")
    }
}

private final class HandedBox: @unchecked Sendable {
    var items: [SharedOpeningTests.Handed] = []
}
