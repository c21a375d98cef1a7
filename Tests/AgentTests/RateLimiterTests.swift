import Agent
import Packets
import Testing

@Suite struct RateLimiterTests {
    let client = IPAddress("198.18.1.2")!
    let other = IPAddress("198.18.1.3")!

    @Test func aBurstThenOneEveryInterval() {
        var limiter = RateLimiter(limit: .standard)
        for i in 0..<10 { #expect(limiter.admit(token: 0, client: client, now: 100 + Double(i) * 0.01) == .allowed) }
        #expect(limiter.admit(token: 0, client: client, now: 100.1) == .refused(retryAfter: 2))
        #expect(limiter.admit(token: 0, client: client, now: 101.2) == .refused(retryAfter: 1))
        #expect(limiter.admit(token: 0, client: client, now: 102.2) == .allowed)
        #expect(limiter.admit(token: 0, client: client, now: 102.3) == .refused(retryAfter: 2))
        // Long idle refills to the burst, never beyond.
        for _ in 0..<10 { #expect(limiter.admit(token: 0, client: client, now: 10_000) == .allowed) }
        #expect(limiter.admit(token: 0, client: client, now: 10_000) != .allowed)
    }

    @Test func bucketsArePerTokenAndClient() {
        var limiter = RateLimiter(limit: RateLimit(burst: 1, secondsPerRequest: 60))
        #expect(limiter.admit(token: 0, client: client, now: 0) == .allowed)
        #expect(limiter.admit(token: 0, client: client, now: 0) == .refused(retryAfter: 60))
        #expect(limiter.admit(token: 1, client: client, now: 0) == .allowed)
        #expect(limiter.admit(token: 0, client: other, now: 0) == .allowed)
        #expect(limiter.admit(token: nil, client: client, now: 0) == .allowed, "requests without a valid token share one bucket")
        #expect(limiter.admit(token: nil, client: client, now: 0) != .allowed)
        // The same client seen through a dual-stack socket.
        #expect(limiter.admit(token: 0, client: IPAddress("::ffff:198.18.1.2")!, now: 1) == .refused(retryAfter: 59))
        // A clock that steps back does not mint requests.
        #expect(limiter.admit(token: 1, client: client, now: -50) != .allowed)
    }

    @Test func memoryIsBounded() {
        var limiter = RateLimiter(limit: RateLimit(burst: 2, secondsPerRequest: 1), capacity: 100)
        for i in 0..<1000 {
            _ = limiter.admit(token: nil, client: .v4(IPv4Address(UInt32(i))), now: Double(i) * 0.001)
            #expect(limiter.count <= 100)
        }
        // A bucket that was just used is kept, so flooding from many addresses cannot reset it.
        var small = RateLimiter(limit: RateLimit(burst: 1, secondsPerRequest: 1000), capacity: 2)
        #expect(small.admit(token: 0, client: client, now: 0) == .allowed)
        _ = small.admit(token: 0, client: other, now: 1)
        _ = small.admit(token: 0, client: IPAddress("198.18.1.4")!, now: 2)
        #expect(small.count == 2)
    }

    @Test func parsingTheOption() {
        #expect(RateLimit(parsing: "10/2") == .standard)
        #expect(RateLimit(parsing: "1/0.5") == RateLimit(burst: 1, secondsPerRequest: 0.5))
        for bad in ["", "10", "10/", "/2", "0/2", "10/0", "10/-1", "10/nan", "10/inf", "a/b", "10/2/3", "100000/1"] {
            #expect(RateLimit(parsing: bad) == nil, "\(bad)")
        }
        #expect(RateLimit.standard.description == "10/2")
    }
}

@Suite struct AgentScopeTests {
    let requester = IPAddress("198.18.1.2")!

    func target(_ named: String?, scope: String? = nil) -> Result<IPAddress, AgentRefusal> {
        AgentScope.target(requester: requester, named: named.flatMap(IPAddress.init), tokenScope: scope.flatMap(IPAddress.init))
    }

    @Test func theRequesterOrTheTokensScopeOnly() throws {
        #expect(try target(nil).get() == requester)
        #expect(try target("198.18.1.2").get() == requester)
        #expect(try target("::ffff:198.18.1.2").get() == requester)
        #expect(try target("203.0.113.7", scope: "203.0.113.7").get() == IPAddress("203.0.113.7"))
        #expect(try target(nil, scope: "203.0.113.7").get() == requester)
        guard case .failure(let e) = target("198.18.9.3") else { Issue.record("a third address was accepted"); return }
        #expect(e.status == 403)
        #expect(e.message == "the agent probes only the address the request came from (198.18.1.2); its token has no scope, not 198.18.9.3")
        guard case .failure(let e2) = target("198.18.9.3", scope: "203.0.113.7") else { Issue.record("accepted"); return }
        #expect(e2.message.contains("or the one its token is scoped to (203.0.113.7), not 198.18.9.3"))
    }

    @Test func mappedAddressesAreIPv4() {
        #expect(AgentScope.normalised(IPAddress("::ffff:10.1.2.3")!) == IPAddress("10.1.2.3"))
        #expect(AgentScope.normalised(IPAddress("::10.1.2.3")!) == IPAddress("::10.1.2.3"))
        #expect(AgentScope.normalised(IPAddress("2001:db8::1")!) == IPAddress("2001:db8::1"))
    }

    @Test("An IPv6 client is limited per /64: rotating addresses inside it shares one bucket")
    func ipv6ClientsCountPerSlash64() {
        var limiter = RateLimiter(limit: RateLimit(burst: 3, secondsPerRequest: 60))
        for i in 1...3 { #expect(limiter.admit(token: 0, client: IPAddress("2001:db8:1:2::\(i)")!, now: 0) == .allowed) }
        #expect(limiter.admit(token: 0, client: IPAddress("2001:db8:1:2:ffff::9")!, now: 0) != .allowed)
        #expect(limiter.admit(token: 0, client: IPAddress("2001:db8:1:3::1")!, now: 0) == .allowed, "another /64 has its own bucket")
        #expect(RateLimiter.clientKey(IPAddress("::ffff:198.18.1.2")!) == IPAddress("198.18.1.2"))
        #expect(RateLimiter.clientKey(IPAddress("198.18.1.2")!) == IPAddress("198.18.1.2"))
    }
}

