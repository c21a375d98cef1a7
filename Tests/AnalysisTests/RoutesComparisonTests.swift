import JSONSupport
import Packets
import Testing
@testable import Analysis

/// The telegram-2018 lab compared both ways: forward over transit-a, back over transit-b
/// (asymmetric), or back over transit-a (symmetric); ASes from a small iptoasn table.
@Suite struct RoutesComparisonTests {
    /// One AS per carrier: the access ISP (isp and dpi), transit-a, transit-b, the datacenter.
    static let database: ASNDatabase? = try? ASNDatabase(text: """
        198.18.1.0\t198.18.2.255\t64500\tZZ\tLAB-ACCESS
        198.18.3.0\t198.18.3.255\t64501\tZZ\tTRANSIT-A
        198.18.4.0\t198.18.4.255\t64500\tZZ\tLAB-ACCESS
        198.18.5.0\t198.18.5.255\t64501\tZZ\tTRANSIT-A
        198.18.6.0\t198.18.6.255\t64502\tZZ\tTRANSIT-B
        198.18.9.0\t198.18.9.255\t64503\tZZ\tDATACENTER

        """)

    func compare(_ forward: String, _ reverse: String, censor: IPAddress? = nil) throws -> RouteComparison {
        let database = try #require(Self.database)
        return RouteComparison.compare(forward: try RouteFixtures.path(forward), reverse: try RouteFixtures.path(reverse),
                                       asn: database, censor: censor)
    }

    /// The fixtures' reverse path is written by hand: dpi answering the server from its
    /// transit-b side (198.18.4.1) and dc from the server's link, which Linux routers do not
    /// do here (they answer from their interface towards the prober). Only isp is tied by
    /// evidence (both its links seen from their other ends); the rest cannot be.
    @Test func theFixturesReturnOverTheOtherCarrierIsAsymmetric() throws {
        let c = try compare("forward.censorscope.json", "reverse.traceroute.txt", censor: routeIP("198.18.2.2"))
        #expect(c.asymmetric)
        #expect(c.summary == "asymmetric: the paths share 1 of 7 routers")
        #expect(c.client == routeIP("198.18.1.2") && c.server == routeIP("198.18.9.2"))
        #expect(c.sharedHops.isEmpty)
        #expect(c.forwardOnlyHops == [routeIP("198.18.2.2"), routeIP("198.18.3.2"), routeIP("198.18.5.2")])
        #expect(c.reverseOnlyHops == [routeIP("198.18.9.1"), routeIP("198.18.6.1"), routeIP("198.18.4.1")])
        #expect(c.sharedSubnets.map(\.subnet.description) == ["198.18.1.0/30", "198.18.2.0/30", "198.18.9.0/30"])
        #expect(c.sharedSubnets[0].forward == [routeIP("198.18.1.1")] && c.sharedSubnets[0].ends == [routeIP("198.18.1.2")])
        #expect(c.sharedSubnets[1].forward == [routeIP("198.18.2.2")] && c.sharedSubnets[1].reverse == [routeIP("198.18.2.1")])
        #expect(c.forwardASPath == [64500, 64501, 64503])
        #expect(c.reverseASPath == [64503, 64502, 64500])
        #expect(c.sharedASes == [64500, 64503] && c.forwardOnlyASes == [64501] && c.reverseOnlyASes == [64502])
        #expect(c.asNames[64502] == "TRANSIT-B")
        #expect(c.forward.map(\.match) == [.link, nil, nil, nil, .end])
        #expect(c.reverse.map(\.match) == [nil, nil, nil, .link, .end])
        #expect(c.forward.map(\.asn) == [64500, 64500, 64501, 64501, 64503])
        // The censor is met by address forward; nothing ties a reverse hop to it, and its
        // neighbour isp (198.18.2.1, same link) is not taken for it.
        let censor = try #require(c.censor)
        #expect(censor.forwardTTL == 2 && censor.forwardMatch == .address)
        #expect(censor.reverseTTL == nil && censor.reverseAddress == nil)
        #expect(c.aligned.map { [$0.forwardTTL, $0.reverseTTL] } == [[1, 4], [2, 3], [3, 2], [4, 1]])
        #expect(c.aligned.map(\.match) == [.link, nil, nil, nil])
    }

    /// The telegram-2018 lab as its routers really answer (Docs/labs/telegram-2018.md): dc
    /// silent both ways, dpi answering the server from its transit-a side, 198.18.3.1, the
    /// other end of transit-a's 198.18.3.2. That one link must not tie transit-a to
    /// transit-b: isp and dpi are shared, each carrier is on one path.
    @Test func theLabsRealReturnOverTheOtherCarrier() {
        func path(_ origin: String, _ destination: String, _ hops: [String?]) -> RoutePath {
            RoutePath(origin: routeIP(origin), destination: routeIP(destination), hops: hops.enumerated().map { i, a in
                a.map { RouteHop(ttl: i + 1, addresses: [routeIP($0)]) } ?? RouteHop(ttl: i + 1, silent: true)
            })
        }
        let c = RouteComparison.compare(
            forward: path("198.18.1.2", "198.18.9.2", ["198.18.1.1", "198.18.2.2", "198.18.3.2", nil, "198.18.9.2"]),
            reverse: path("198.18.9.2", "198.18.1.2", [nil, "198.18.6.1", "198.18.3.1", "198.18.2.1", "198.18.1.2"]),
            asn: nil, censor: routeIP("198.18.2.2"))
        #expect(c.asymmetric && c.summary == "asymmetric: the paths share 2 of 4 routers")
        #expect(c.forwardOnlyHops == [routeIP("198.18.3.2")] && c.reverseOnlyHops == [routeIP("198.18.6.1")])
        #expect(c.aligned.map(\.match) == [.link, .link, nil, nil])
        #expect(c.censor?.reverseTTL == 3 && c.censor?.reverseAddress == routeIP("198.18.3.1") && c.censor?.reverseMatch == .link)
    }

    @Test func theReturnOverTheSameCarrierIsSymmetric() throws {
        let c = try compare("forward.scamper.json", "reverse-symmetric.mtr.json")
        #expect(!c.asymmetric)
        // isp, dpi, transit-a, dc: each seen from its other side on the way back.
        #expect(c.summary == "symmetric: the paths share 4 of 4 routers")
        #expect(c.forwardOnlyHops.isEmpty && c.reverseOnlyHops.isEmpty)
        #expect(c.forwardASPath == [64500, 64501, 64503] && c.reverseASPath == [64503, 64501, 64500])
        #expect(c.forwardOnlyASes.isEmpty && c.reverseOnlyASes.isEmpty)
        #expect(c.censor == nil)
        // mtr gives no source address: the client comes from the forward trace.
        #expect(c.client == routeIP("198.18.1.2"))
        #expect(c.aligned.map { [$0.forwardTTL, $0.reverseTTL] } == [[1, 4], [2, 3], [3, 2], [4, 1]])
        #expect(c.aligned.map(\.match) == [.link, .link, .link, .link])
    }

    @Test func routersAnsweringFromOneAddressMatchExactly() {
        // Routers answering from a loopback: the same address both ways.
        let forward = RoutePath(origin: routeIP("192.0.2.10"), destination: routeIP("203.0.113.5"), hops: [
            RouteHop(ttl: 1, addresses: [routeIP("198.51.100.1")]), RouteHop(ttl: 2, silent: true),
            RouteHop(ttl: 3, addresses: [routeIP("198.51.100.3")]), RouteHop(ttl: 4, addresses: [routeIP("203.0.113.5")]),
        ])
        let reverse = RoutePath(origin: routeIP("203.0.113.5"), destination: routeIP("192.0.2.10"), hops: [
            RouteHop(ttl: 1, addresses: [routeIP("198.51.100.3")]), RouteHop(ttl: 2, addresses: [routeIP("198.51.100.2")]),
            RouteHop(ttl: 3, addresses: [routeIP("198.51.100.1")]), RouteHop(ttl: 4, addresses: [routeIP("192.0.2.10")]),
        ])
        let c = RouteComparison.compare(forward: forward, reverse: reverse, asn: nil, censor: routeIP("198.51.100.3"))
        #expect(c.sharedHops == [routeIP("198.51.100.1"), routeIP("198.51.100.3")])
        #expect(c.forward.map(\.match) == [.address, nil, .address, .end])
        // Three addresses in one /30 are no point-to-point link: nothing is tied by it. The
        // reverse's 198.51.100.2 faces the forward's silent hop 2: it may be that router, so
        // it proves no asymmetry.
        #expect(!c.asymmetric && c.routerCount == 3 && c.sharedRouterCount == 2)
        #expect(c.summary == "undetermined: the paths share 2 of 3 routers; 1 router cannot be placed (facing silence on the other path, or an end the other trace did not reach)")
        #expect(c.sharedSubnets.map(\.subnet.description) == ["198.51.100.0/30"])
        #expect(c.aligned.map { [$0.forwardTTL, $0.reverseTTL] } == [[1, 3], [2, 2], [3, 1]])
        #expect(c.aligned.map(\.match) == [.address, nil, .address])
        #expect(c.censor?.forwardTTL == 3 && c.censor?.reverseTTL == 1 && c.censor?.reverseMatch == .address)
        #expect(c.forwardASPath.isEmpty && c.forward.allSatisfy { $0.asn == nil })
    }

    /// The clean lab over IPv6: each router answers from the interface facing the prober,
    /// so no address is seen both ways, yet every router is tied by a link (::1 and ::2 of
    /// one /64, in one /126) seen at mirrored positions: 3 routers, all shared, not 6 or 4.
    @Test func theCleanLabOverIPv6SharesItsThreeRouters() {
        func ip(_ s: String) -> IPAddress { routeIP("2001:db8:" + s) }
        let forward = RoutePath(origin: ip("1::2"), destination: ip("9::2"), hops: [
            RouteHop(ttl: 1, addresses: [ip("1::1")]), RouteHop(ttl: 2, addresses: [ip("2::2")]),
            RouteHop(ttl: 3, addresses: [ip("3::2")]), RouteHop(ttl: 4, addresses: [ip("9::2")]),
        ])
        let reverse = RoutePath(origin: ip("9::2"), destination: ip("1::2"), hops: [
            RouteHop(ttl: 1, addresses: [ip("9::1")]), RouteHop(ttl: 2, addresses: [ip("3::1")]),
            RouteHop(ttl: 3, addresses: [ip("2::1")]), RouteHop(ttl: 4, addresses: [ip("1::2")]),
        ])
        let c = RouteComparison.compare(forward: forward, reverse: reverse, asn: nil, censor: ip("2::2"))
        #expect(!c.asymmetric && c.summary == "symmetric: the paths share 3 of 3 routers")
        #expect(c.forwardOnlyHops.isEmpty && c.reverseOnlyHops.isEmpty)
        #expect(c.aligned.map { [$0.forwardTTL, $0.reverseTTL] } == [[1, 3], [2, 2], [3, 1]])
        #expect(c.aligned.map(\.match) == [.link, .link, .link])
        #expect(c.censor?.reverseTTL == 2 && c.censor?.reverseMatch == .link && c.censor?.reverseAddress == ip("3::1"))
    }

    /// Neighbours on one link at the same position are two routers: a reverse path through
    /// other routers, whose near ends share links with forward hops at the same TTL, is
    /// not paired by them.
    @Test func neighboursOnOneLinkAreNotPaired() {
        let forward = RoutePath(origin: routeIP("198.18.1.2"), destination: routeIP("198.18.9.2"), hops: [
            RouteHop(ttl: 1, addresses: [routeIP("198.18.1.1")]), RouteHop(ttl: 2, addresses: [routeIP("198.18.2.2")]),
            RouteHop(ttl: 3, silent: true),
        ])
        // The reverse reaches neither end: nothing at a mirrored position.
        let reverse = RoutePath(origin: routeIP("198.18.9.2"), destination: routeIP("198.18.1.2"), hops: [
            RouteHop(ttl: 1, silent: true), RouteHop(ttl: 2, addresses: [routeIP("198.18.2.1")]),
        ])
        let c = RouteComparison.compare(forward: forward, reverse: reverse, asn: nil, censor: nil)
        // Forward 2 (198.18.2.2) and reverse 2 (198.18.2.1) are the two ends of one link:
        // neighbours, never one router.
        #expect(c.aligned.contains { $0.forwardTTL == 2 && $0.reverseTTL == 2 && $0.match != nil } == false)
        // Nothing else ties them either: the reverse never reached the client, so no claim.
        #expect(c.forward.map(\.match) == [nil, nil, nil])
        #expect(c.reverse.map(\.match) == [nil, nil])
        #expect(!c.asymmetric && c.summary.hasPrefix("undetermined: the paths share 0 of 3 routers; 3 routers cannot be placed"))
    }

    @Test func aSilentDirectionCannotBeCompared() {
        let forward = RoutePath(hops: [RouteHop(ttl: 1, addresses: [routeIP("192.0.2.1")])])
        let reverse = RoutePath(hops: [RouteHop(ttl: 1, silent: true), RouteHop(ttl: 2, silent: true)])
        let c = RouteComparison.compare(forward: forward, reverse: reverse, asn: nil, censor: routeIP("203.0.113.9"))
        #expect(!c.asymmetric)
        #expect(c.summary == "undetermined: no router answered on the reverse path, so the paths cannot be compared")
        #expect(c.censor?.forwardTTL == nil && c.censor?.reverseTTL == nil)
        #expect(c.client == nil && c.server == nil)
    }

    @Test func jsonKeysInTheDocumentedOrder() throws {
        let c = try compare("forward.censorscope.json", "reverse.censorscope.json", censor: routeIP("198.18.2.2")).record(notes: ["n"])
        guard case .object(let fields) = c.json else { Issue.record("not an object"); return }
        #expect(fields.map(\.key) == ["asymmetric", "summary", "client", "server", "forward", "reverse", "forward_as_path",
                                      "reverse_as_path", "as_names", "shared_hops", "forward_only_hops", "reverse_only_hops",
                                      "shared_subnets", "shared_ases", "forward_only_ases", "reverse_only_ases", "routers",
                                      "censor", "aligned", "sources", "notes"])
        #expect(c.json["notes"] == ["n"] && c.json["sources"] == .object([("forward", .null), ("reverse", .null)]))
        let hop = try #require(c.json["forward"].flatMap { if case .array(let a) = $0 { a.first } else { nil } })
        #expect(hop == .object([("ttl", 1), ("address", "198.18.1.1"), ("asn", 64500), ("as_name", "LAB-ACCESS"),
                                ("addresses", ["198.18.1.1"]), ("rtt_ms", 0.052), ("silent", false), ("match", "link")]))
        #expect(c.json["censor"] == .object([("address", "198.18.2.2"), ("forward_ttl", 2), ("reverse_ttl", .null),
                                             ("forward_address", "198.18.2.2"), ("reverse_address", .null),
                                             ("forward_match", "address"), ("reverse_match", .null)]))
        #expect(c.json["forward_as_path"] == [64500, 64501, 64503])
    }
}
