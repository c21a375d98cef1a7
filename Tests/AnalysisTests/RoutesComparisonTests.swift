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

    @Test func theLabsReturnOverTheOtherCarrierIsAsymmetric() throws {
        let c = try compare("forward.censorscope.json", "reverse.traceroute.txt", censor: routeIP("198.18.2.2"))
        #expect(c.asymmetric)
        #expect(c.summary == "asymmetric: the paths share 3 of 7 routers")
        #expect(c.client == routeIP("198.18.1.2") && c.server == routeIP("198.18.9.2"))
        #expect(c.sharedHops.isEmpty)
        #expect(c.forwardOnlyHops == [routeIP("198.18.3.2"), routeIP("198.18.5.2")])
        #expect(c.reverseOnlyHops == [routeIP("198.18.6.1"), routeIP("198.18.4.1")])
        #expect(c.sharedSubnets.map(\.subnet.description) == ["198.18.1.0/24", "198.18.2.0/24", "198.18.9.0/24"])
        #expect(c.sharedSubnets[0].forward == [routeIP("198.18.1.1")] && c.sharedSubnets[0].ends == [routeIP("198.18.1.2")])
        #expect(c.sharedSubnets[1].forward == [routeIP("198.18.2.2")] && c.sharedSubnets[1].reverse == [routeIP("198.18.2.1")])
        #expect(c.forwardASPath == [64500, 64501, 64503])
        #expect(c.reverseASPath == [64503, 64502, 64500])
        #expect(c.sharedASes == [64500, 64503] && c.forwardOnlyASes == [64501] && c.reverseOnlyASes == [64502])
        #expect(c.asNames[64502] == "TRANSIT-B")
        #expect(c.forward.map(\.match) == [.subnet, .subnet, nil, nil, .end])
        #expect(c.reverse.map(\.match) == [.subnet, nil, nil, .subnet, .end])
        #expect(c.forward.map(\.asn) == [64500, 64500, 64501, 64501, 64503])
        // The censor is met by address forward, and by its subnet (isp's interface on the
        // isp–dpi link) on the way back.
        let censor = try #require(c.censor)
        #expect(censor.forwardTTL == 2 && censor.forwardMatch == .address)
        #expect(censor.reverseTTL == 4 && censor.reverseMatch == .subnet && censor.reverseAddress == routeIP("198.18.2.1"))
        // Side by side, client first: the reverse read backwards, the ends' own hops left out.
        #expect(c.aligned.map { [$0.forwardTTL, $0.reverseTTL] } == [[1, nil], [2, 4], [3, 3], [4, 2], [nil, 1]])
        #expect(c.aligned.map(\.match) == [nil, .subnet, nil, nil, nil])
    }

    @Test func theReturnOverTheSameCarrierIsSymmetric() throws {
        let c = try compare("forward.scamper.json", "reverse-symmetric.mtr.json")
        #expect(!c.asymmetric)
        #expect(c.summary == "symmetric: the paths share 5 of 5 routers")
        #expect(c.forwardOnlyHops.isEmpty && c.reverseOnlyHops.isEmpty)
        #expect(c.forwardASPath == [64500, 64501, 64503] && c.reverseASPath == [64503, 64501, 64500])
        #expect(c.forwardOnlyASes.isEmpty && c.reverseOnlyASes.isEmpty)
        #expect(c.censor == nil)
        // mtr gives no source address: the client comes from the forward trace.
        #expect(c.client == routeIP("198.18.1.2"))
        #expect(c.aligned.map(\.match) == [nil, .subnet, .subnet, .subnet, nil])
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
        // All in one /24: one router by subnet, on both paths; the silent hop counts for nothing.
        #expect(!c.asymmetric && c.routerCount == 1 && c.sharedRouterCount == 1)
        #expect(c.sharedSubnets.map(\.subnet.description) == ["198.51.100.0/24"])
        #expect(c.aligned.map { [$0.forwardTTL, $0.reverseTTL] } == [[1, 3], [2, 2], [3, 1]])
        #expect(c.aligned.map(\.match) == [.address, nil, .address])
        #expect(c.censor?.forwardTTL == 3 && c.censor?.reverseTTL == 1 && c.censor?.reverseMatch == .address)
        #expect(c.forwardASPath.isEmpty && c.forward.allSatisfy { $0.asn == nil })
    }

    @Test func ipv6HopsMatchBySlash64() {
        let forward = RoutePath(origin: routeIP("2001:db8:1::2"), destination: routeIP("2001:db8:9::2"), hops: [
            RouteHop(ttl: 1, addresses: [routeIP("2001:db8:1::1")]), RouteHop(ttl: 2, addresses: [routeIP("2001:db8:2::2")]),
            RouteHop(ttl: 3, addresses: [routeIP("2001:db8:9::2")]),
        ])
        let reverse = RoutePath(origin: routeIP("2001:db8:9::2"), destination: routeIP("2001:db8:1::2"), hops: [
            RouteHop(ttl: 1, addresses: [routeIP("2001:db8:2::1")]), RouteHop(ttl: 2, addresses: [routeIP("2001:db8:7::1")]),
            RouteHop(ttl: 3, addresses: [routeIP("2001:db8:1::2")]),
        ])
        let c = RouteComparison.compare(forward: forward, reverse: reverse, asn: nil, censor: routeIP("2001:db8:2::2"))
        #expect(c.asymmetric && c.summary == "asymmetric: the paths share 2 of 3 routers")
        #expect(c.reverseOnlyHops == [routeIP("2001:db8:7::1")])
        #expect(c.sharedSubnets.map(\.subnet.description) == ["2001:db8:1::/64", "2001:db8:2::/64"])
        #expect(c.censor?.reverseTTL == 1 && c.censor?.reverseMatch == .subnet)
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
                                ("addresses", ["198.18.1.1"]), ("rtt_ms", 0.052), ("silent", false), ("match", "subnet")]))
        #expect(c.json["censor"] == .object([("address", "198.18.2.2"), ("forward_ttl", 2), ("reverse_ttl", 4),
                                             ("forward_address", "198.18.2.2"), ("reverse_address", "198.18.2.1"),
                                             ("forward_match", "address"), ("reverse_match", "subnet")]))
        #expect(c.json["forward_as_path"] == [64500, 64501, 64503])
    }
}
