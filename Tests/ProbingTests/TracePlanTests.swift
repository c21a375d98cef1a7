import Packets
import Probing
import Testing

/// Paris traceroute plans: constant flow identifier, distinct per-probe identifiers,
/// argument validation.
@Suite struct TracePlanTests {
    static func plan(_ method: TraceMethod, ipv6: Bool, firstTTL: Int = 1, maxTTL: Int = 30, queries: Int = 3,
                     seed: UInt32 = 0xDEAD_BEEF, port: UInt16? = nil, shape: TCPProbeShape? = nil) throws -> TracePlan {
        try TracePlan(method: method, source: ipv6 ? ModulesFixture.v6Source : ModulesFixture.v4Source,
                      destination: ipv6 ? ModulesFixture.v6Destination : ModulesFixture.v4Destination,
                      destinationPort: port, sourcePort: 45678, shape: shape,
                      firstTTL: firstTTL, maxTTL: maxTTL, queries: queries, seed: seed)
    }

    /// Checks the Paris invariants on a plan's probes; shared with the property test.
    static func expectParisInvariants(_ plan: TracePlan, _ probes: [Probe], startIndex: Int,
                                      sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(probes.count == plan.count, sourceLocation: sourceLocation)
        #expect(probes.map(\.index) == Array(startIndex..<(startIndex + plan.count)), sourceLocation: sourceLocation)
        let ttls = (plan.firstTTL...plan.maxTTL).flatMap { Array(repeating: UInt8($0), count: plan.queries) }
        #expect(probes.map(\.ttl) == ttls, sourceLocation: sourceLocation)
        // The flow identifier: the first 4 transport bytes (ports, or ICMP type, code and
        // checksum) and for ICMP the echo identifier; plus addresses, TOS and flow label.
        let flowKeys = Set(probes.map { p -> [UInt8] in
            let hl = p.packet.header.headerLength
            let ipFields: [UInt8] = p.packet.header.headerLength == 20 ? [p.bytes[1], p.bytes[9]] : Array(p.bytes[0..<4])
            return ipFields + Array(p.bytes[hl..<(hl + (plan.method == .icmp ? 6 : 4))]) + p.source.bytes + p.destination.bytes
        })
        #expect(flowKeys.count == 1, "flow identifier varies", sourceLocation: sourceLocation)
        // Per-probe identifiers.
        func distinct<T: Hashable>(_ values: [T], _ what: String) {
            #expect(Set(values).count == values.count, "\(what) repeats", sourceLocation: sourceLocation)
        }
        switch plan.method {
        case .tcp: distinct(probes.compactMap { $0.packet.transport.tcp?.sequenceNumber }, "seq")
        case .udp:
            let sums = probes.compactMap { $0.packet.transport.udp?.checksum }
            distinct(sums, "UDP checksum")
            #expect(!sums.contains(0), sourceLocation: sourceLocation)
        case .icmp:
            distinct(probes.compactMap { $0.packet.transport.icmp?.sequence }, "ICMP sequence")
            #expect(probes.allSatisfy { $0.packet.transport.icmp?.checksum == plan.icmpChecksum }, sourceLocation: sourceLocation)
            #expect(probes.allSatisfy { $0.packet.transport.icmp?.identifier == plan.sourcePort }, sourceLocation: sourceLocation)
        }
        let ipIDs = probes.compactMap { p -> UInt16? in
            if case .v4(let h) = p.packet.header { return h.identification }
            return nil
        }
        distinct(ipIDs, "IP ID")
        for p in probes {
            #expect((try? IPPacket.parse(p.bytes)) == p.packet, sourceLocation: sourceLocation)
            #expect(p.packet.transportChecksumIsValid == true, sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: TraceMethod.allCases, [false, true])
    func parisInvariants(_ method: TraceMethod, ipv6: Bool) throws {
        let plan = try Self.plan(method, ipv6: ipv6)
        let probes = try plan.probes(startIndex: 100)
        #expect(probes.count == 90)
        Self.expectParisInvariants(plan, probes, startIndex: 100)
        let first = try #require(probes.first)
        switch method {
        case .tcp:
            #expect(first.packet.transport.tcp?.destinationPort == 80)
            #expect(first.bytes.count == (ipv6 ? 64 : 44))   // the mss variant, as traceroute -T sends
            #expect(first.module == "syn" && first.label == "syn mss ttl 1 #100")
        case .udp:
            #expect(first.packet.transport.udp?.destinationPort == 33434)
            #expect(first.bytes.count == (ipv6 ? 80 : 60))
            #expect(first.module == "udp" && first.label == "udp ttl 1 #100")
        case .icmp:
            #expect(first.bytes.count == (ipv6 ? 80 : 60))
            #expect(first.module == "icmp" && first.label == "icmp echo ttl 1 #100")
        }
    }

    @Test func customPortAndShape() throws {
        let plan = try Self.plan(.tcp, ipv6: false, firstTTL: 5, maxTTL: 9, queries: 1, port: 443, shape: .variant(.linux))
        let probes = try plan.probes()
        #expect(probes.map(\.ttl) == [5, 6, 7, 8, 9])
        #expect(probes.allSatisfy { $0.bytes.count == 60 && $0.packet.transport.tcp?.destinationPort == 443 })
        Self.expectParisInvariants(plan, probes, startIndex: 0)
    }

    /// The largest plan: 255 TTLs × 10 queries, every identifier still distinct.
    @Test(arguments: TraceMethod.allCases)
    func largestPlanKeepsIdentifiersDistinct(_ method: TraceMethod) throws {
        let plan = try Self.plan(method, ipv6: false, firstTTL: 1, maxTTL: 255, queries: 10, seed: 0xFFFF_FFFF)
        Self.expectParisInvariants(plan, try plan.probes(), startIndex: 0)
    }

    @Test func icmpChecksumAvoidsTheUnreachableValue() throws {
        let plan = try Self.plan(.icmp, ipv6: false, maxTTL: 3, queries: 1, seed: 0xFFFF_1234)
        #expect(plan.icmpChecksum != 0xFFFF)
        Self.expectParisInvariants(plan, try plan.probes(), startIndex: 0)
    }

    @Test func argumentsAreValidated() {
        #expect(throws: TracePlanError.ttlOutOfRange(name: "first", value: 0)) { try Self.plan(.tcp, ipv6: false, firstTTL: 0) }
        #expect(throws: TracePlanError.ttlOutOfRange(name: "maximum", value: 256)) { try Self.plan(.udp, ipv6: false, maxTTL: 256) }
        #expect(throws: TracePlanError.ttlOrder(first: 10, max: 5)) { try Self.plan(.icmp, ipv6: false, firstTTL: 10, maxTTL: 5) }
        #expect(throws: TracePlanError.queriesOutOfRange(0)) { try Self.plan(.tcp, ipv6: false, queries: 0) }
        #expect(throws: TracePlanError.queriesOutOfRange(11)) { try Self.plan(.tcp, ipv6: false, queries: 11) }
        var tooSmall = TCPProbeShape.variant(.linux)
        tooSmall.size = 40
        #expect(throws: TracePlanError.probe(.sizeBelowNatural(size: 40, natural: 60))) {
            try Self.plan(.tcp, ipv6: false, shape: tooSmall)
        }
        #expect(throws: TracePlanError.probe(.addressFamilyMismatch(source: ModulesFixture.v4Source,
                                                                     destination: ModulesFixture.v6Destination))) {
            try TracePlan(method: .udp, source: ModulesFixture.v4Source, destination: ModulesFixture.v6Destination,
                          sourcePort: 1, seed: 1)
        }
        #expect(throws: TracePlanError.negativeStartIndex(-1)) { try Self.plan(.udp, ipv6: false).probes(startIndex: -1) }
        #expect(TracePlanError.ttlOrder(first: 10, max: 5).description == "the first TTL 10 is above the maximum TTL 5")
        #expect(TracePlanError.ttlOutOfRange(name: "first", value: 0).description == "the first TTL 0 is outside 1...255")
        #expect(TracePlanError.queriesOutOfRange(11).description == "11 queries per TTL is outside 1...10")
    }
}
