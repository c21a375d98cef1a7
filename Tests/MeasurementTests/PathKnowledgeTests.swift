import Analysis
import Capture
import Packets
import Probing
import Testing
@testable import Measurement

/// A campaign's shared knowledge of its paths (Doubletree's stop sets): traces made of real
/// probes and the answers routers would send, matched by the correlator as in a live run.
@Suite struct PathKnowledgeTests {
    static let client = IPAddress("198.18.0.2")!
    static let routers = ["198.18.0.1", "198.18.1.1", "198.18.2.2", "198.18.3.2"].compactMap(IPAddress.init)

    /// An ICMP trace to `target`, TTL `firstTTL`–8: time exceeded from `routers[ttl - 1]` at the TTLs in
    /// `answered`, the host's echo reply from TTL 5 on.
    func trace(to target: String, answered: Set<Int>, seed: UInt32, firstTTL: Int = 1) throws -> TraceRun {
        let destination = try #require(IPAddress(target))
        let plan = try TracePlan(method: .icmp, source: Self.client, destination: destination, sourcePort: 4242, firstTTL: firstTTL, maxTTL: 8, seed: seed)
        let probes = try plan.probes()
        var correlator = Correlator(probes: probes)
        for p in probes {
            let ttl = Int(p.ttl)
            let packet: IPPacket
            if ttl >= 5 {
                let m = try #require(p.packet.transport.icmp)
                packet = IPPacket(header: header(destination, ttl: 60),
                                  transport: .icmp(ICMPMessage(family: .v4, type: 0, code: 0, restOfHeader: m.restOfHeader, body: m.body)))
            } else if answered.contains(ttl) {
                packet = IPPacket(header: header(Self.routers[ttl - 1], ttl: UInt8(65 - ttl)),
                                  transport: .icmp(ICMPMessage(family: .v4, type: 11, code: 0, restOfHeader: 0, body: Array(p.bytes.prefix(28))[...])))
            } else {
                continue
            }
            let parsed = (try? IPPacket.parse(packet.serialized())) ?? packet
            _ = correlator.observe(parsed, at: CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: UInt32(ttl) * 1000))
        }
        let answers = Dictionary(uniqueKeysWithValues: probes.map { ($0.index, correlator.answers(for: $0.index)) })
        return TraceRun(name: "icmp", probes: probes, answers: answers, destination: destination)
    }

    func header(_ source: IPAddress, ttl: UInt8) -> NetworkHeader {
        guard case .v4(let s) = source, case .v4(let d) = Self.client else { preconditionFailure("IPv4 in these tests") }
        return .v4(IPv4Header(identification: 99, ttl: ttl, proto: 1, source: s, destination: d))
    }

    @Test("A hop a rate limit erased is filled from another trace: below a router seen, and before a host of the same prefix")
    func fillsFromOtherTraces() throws {
        let knowledge = PathKnowledge()
        knowledge.learn(try trace(to: "198.18.21.1", answered: [1, 2, 3, 4], seed: 1), hostReached: true)
        var onlyFourth = try trace(to: "198.18.21.2", answered: [4], seed: 2)
        #expect(onlyFourth.address(at: 3) == nil)
        knowledge.fill(&onlyFourth)
        #expect((1...4).map { onlyFourth.address(at: $0) } == Self.routers)
        #expect(onlyFourth.known.keys.sorted() == [1, 2, 3])
        // Nothing but the host answered: its prefix's last router, then the rest backwards.
        var silent = try trace(to: "198.18.21.3", answered: [], seed: 3)
        knowledge.fill(&silent)
        #expect((1...4).map { silent.address(at: $0) } == Self.routers)
        // Another prefix: the routers before a router seen, but not the last router before
        // a host of a prefix never traced.
        var other = try trace(to: "198.18.22.1", answered: [3], seed: 4)
        knowledge.fill(&other)
        #expect(other.address(at: 1) == Self.routers[0] && other.address(at: 2) == Self.routers[1])
        #expect(other.address(at: 4) == nil)
    }

    @Test("The trigger is asked again where a lost answer would put the device one hop off")
    func asksAgainNextToTheLocation() throws {
        let control = try trace(to: "198.18.21.1", answered: [1, 2, 3, 4], seed: 1)
        // Located where the host's name first answers (TTL 5): the TTL before drew nothing.
        let lostBefore = try trace(to: "198.18.21.1", answered: [1, 2, 3], seed: 2)
        #expect(Engine.doubtfulHop(5, trigger: lostBefore, control: control, firstRound: false) == 4)
        let seenBefore = try trace(to: "198.18.21.1", answered: [1, 2, 3, 4], seed: 3)
        #expect(Engine.doubtfulHop(5, trigger: seenBefore, control: control, firstRound: true) == nil)
        // Nothing to learn where the control's router is silent too.
        let silentRouter = try trace(to: "198.18.21.1", answered: [1, 2, 3], seed: 4)
        #expect(Engine.doubtfulHop(5, trigger: lostBefore, control: silentRouter, firstRound: true) == nil)
        // Located by silence at TTL 3: that TTL once, in the first round.
        let vanished = try trace(to: "198.18.21.1", answered: [1, 2], seed: 5)
        #expect(Engine.doubtfulHop(3, trigger: vanished, control: control, firstRound: true) == 3)
        #expect(Engine.doubtfulHop(3, trigger: vanished, control: control, firstRound: false) == nil)
    }

    @Test("Only missed hops are filled: what a trace saw stays its own")
    func keepsWhatWasSeen() throws {
        let knowledge = PathKnowledge()
        knowledge.learn(try trace(to: "198.18.21.1", answered: [1, 2, 3, 4], seed: 1), hostReached: true)
        var full = try trace(to: "198.18.21.9", answered: [1, 2, 3, 4], seed: 5)
        knowledge.fill(&full)
        #expect(full.known.isEmpty)
        #expect(Engine.holes(full).isEmpty)
        let partial = try trace(to: "198.18.21.9", answered: [1, 4], seed: 6)
        #expect(Engine.holes(partial) == [2, 3])
    }

    @Test("A control trace starts at the last hop known towards its prefix; the hops below come from the router it meets")
    func startsAtAKnownHop() throws {
        let knowledge = PathKnowledge()
        let target = try #require(IPAddress("198.18.21.7"))
        #expect(knowledge.knownPath(to: target).isEmpty)
        knowledge.learn(try trace(to: "198.18.21.1", answered: [1, 2, 3, 4], seed: 1), hostReached: true)
        #expect(knowledge.knownPath(to: target) == Self.routers)
        #expect(knowledge.knownPath(to: try #require(IPAddress("198.18.22.7"))).isEmpty, "another prefix may go another way")
        var short = try trace(to: "198.18.21.7", answered: [4], seed: 7, firstTTL: 4)
        #expect(short.ttls.first == 4)
        #expect(Engine.holes(short) == [1, 2, 3])
        knowledge.fill(&short)
        #expect((1...4).map { short.address(at: $0) } == Self.routers)
        #expect(Engine.holes(short).isEmpty)
        let record = Investigation.pathRecord(short)
        #expect(record.prefix(4).map(\.ttl) == [1, 2, 3, 4])
        #expect(record.prefix(3).allSatisfy { $0.kind == "known" })
        // A router met that was never seen at that TTL tells nothing of the hops below.
        let stranger = PathKnowledge()
        stranger.learn(try trace(to: "198.18.23.1", answered: [3, 4], seed: 9), hostReached: true)
        var unknown = try trace(to: "198.18.21.7", answered: [4], seed: 10, firstTTL: 4)
        stranger.fill(&unknown)
        #expect(unknown.address(at: 3) == Self.routers[2] && unknown.address(at: 2) == nil)
        #expect(Engine.holes(unknown) == [1, 2])
    }

    @Test("An answer in the host's name that was not judged the host's own teaches nothing of where the prefix sits")
    func forgedHostAnswerTeachesNothing() throws {
        let knowledge = PathKnowledge()
        // As a trigger trace whose "host" answer is a forgery: routers learned, the prefix not.
        knowledge.learn(try trace(to: "198.18.21.1", answered: [1, 2, 3, 4], seed: 1))
        #expect(knowledge.knownPath(to: try #require(IPAddress("198.18.21.7"))) == Self.routers)
        var silent = try trace(to: "198.18.21.3", answered: [], seed: 3)
        knowledge.fill(&silent)
        #expect(silent.address(at: 4) == nil, "the last router before the prefix is not taken from an unjudged answer")
        knowledge.learn(try trace(to: "198.18.21.2", answered: [1, 2, 3, 4], seed: 2), hostReached: true)
        knowledge.fill(&silent)
        #expect((1...4).map { silent.address(at: $0) } == Self.routers)
    }
}
