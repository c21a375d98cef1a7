import Agent
import JSONSupport
import Packets
import Testing

@Suite struct AgentRouterTests {
    static let good = "0123456789abcdef0123456789abcdef"
    static let scoped = "fedcba9876543210fedcba9876543210"
    let client = IPAddress("198.18.1.2")!

    func router(limit: RateLimit = .standard, allowReserved: Bool = true) throws -> AgentRouter {
        let tokens = try TokenFile(text: "\(Self.good)\n\(Self.scoped) scope 198.18.10.2\n", name: "t")
        return AgentRouter(tokens: tokens, limit: limit, allowReserved: allowReserved, version: "0.1.0")
    }

    func status(_ a: AgentAction) -> Int? {
        if case .refuse(let e) = a { return e.status }
        return nil
    }

    @Test func aTraceRequestGoesToTheRequester() throws {
        var r = try router()
        let a = r.route(method: "POST", path: "/v1/trace", authorization: "Bearer \(Self.good)",
                        body: Array(#"{"method":"tcp","port":80}"#.utf8), requester: client, now: 0)
        #expect(a == .trace(AgentTraceRequest(method: "tcp", port: 80), target: client))
        let rev = r.route(method: "POST", path: "/v1/reverse", authorization: "Bearer \(Self.good)",
                          body: Array(#"{"sport":80,"dport":80,"payload":{"http_host":"example.com"}}"#.utf8),
                          requester: IPAddress("::ffff:198.18.1.2")!, now: 0)
        #expect(rev == .reverse(AgentReverseRequest(sourcePort: 80, destinationPort: 80, payload: .httpHost("example.com")), target: client))
    }

    @Test func refusalsInOrder() throws {
        var r = try router()
        let body = Array(#"{"method":"icmp"}"#.utf8)
        #expect(status(r.route(method: "POST", path: "/v1/trace", authorization: nil, body: body, requester: client, now: 0)) == 401)
        #expect(status(r.route(method: "POST", path: "/v1/trace", authorization: "Bearer nope-nope-nope-nope", body: body, requester: client, now: 0)) == 401)
        // A wrong token on an unknown path is still 401: nothing is told to strangers.
        #expect(status(r.route(method: "GET", path: "/etc/passwd", authorization: "Bearer x", body: [], requester: client, now: 0)) == 401)
        let auth = "Bearer \(Self.good)"
        guard case .refuse(let nf) = r.route(method: "GET", path: "/v1/nothing?x=1", authorization: auth, body: [], requester: client, now: 0) else {
            Issue.record("unknown path accepted"); return
        }
        #expect(nf.status == 404 && nf.message == "there is no /v1/nothing here: the agent answers POST /v1/trace, POST /v1/reverse and GET /v1/info")
        #expect(status(r.route(method: "GET", path: "/v1/trace", authorization: auth, body: [], requester: client, now: 0)) == 405)
        #expect(status(r.route(method: "POST", path: "/v1/trace", authorization: auth, body: Array("{".utf8), requester: client, now: 0)) == 400)
        let third = Array(#"{"method":"icmp","target":"198.18.9.3"}"#.utf8)
        #expect(status(r.route(method: "POST", path: "/v1/trace", authorization: auth, body: third, requester: client, now: 0)) == 403)
        // The scoped token may name its scope, and nothing else.
        let scopedAuth = "Bearer \(Self.scoped)"
        let scope = Array(#"{"method":"icmp","target":"198.18.10.2"}"#.utf8)
        #expect(r.route(method: "POST", path: "/v1/trace", authorization: scopedAuth, body: scope, requester: client, now: 0)
            == .trace(AgentTraceRequest(method: "icmp", target: IPAddress("198.18.10.2")), target: IPAddress("198.18.10.2")!))
        #expect(status(r.route(method: "POST", path: "/v1/trace", authorization: scopedAuth, body: third, requester: client, now: 0)) == 403)
    }

    @Test func aFloodIsRefusedWithRetryAfter() throws {
        var r = try router(limit: RateLimit(burst: 3, secondsPerRequest: 5))
        let auth = "Bearer \(Self.good)"
        for _ in 0..<3 {
            #expect(status(r.route(method: "GET", path: "/v1/info", authorization: auth, body: [], requester: client, now: 1)) == nil)
        }
        guard case .refuse(let e) = r.route(method: "GET", path: "/v1/info", authorization: auth, body: [], requester: client, now: 1) else {
            Issue.record("the fourth request passed"); return
        }
        #expect(e.status == 429 && e.retryAfterSeconds == 5)
        // Another client and another token keep their own allowance.
        #expect(status(r.route(method: "GET", path: "/v1/info", authorization: auth, body: [], requester: IPAddress("198.18.1.3")!, now: 1)) == nil)
        #expect(status(r.route(method: "GET", path: "/v1/info", authorization: "Bearer \(Self.scoped)", body: [], requester: client, now: 1)) == nil)
        // Wrong tokens are limited too.
        for _ in 0..<3 { _ = r.route(method: "GET", path: "/v1/info", authorization: "Bearer guess", body: [], requester: client, now: 1) }
        #expect(status(r.route(method: "GET", path: "/v1/info", authorization: "Bearer guess", body: [], requester: client, now: 1)) == 429)
        #expect(status(r.route(method: "GET", path: "/v1/info", authorization: auth, body: [], requester: client, now: 6)) == nil)
    }

    @Test func infoAndReservedRequesters() throws {
        var r = try router()
        guard case .info(let info) = r.route(method: "GET", path: "/v1/info", authorization: "Bearer \(Self.scoped)", body: [], requester: client, now: 0) else {
            Issue.record("no info"); return
        }
        #expect(info["requester"] == "198.18.1.2" && info["scope"] == "198.18.10.2" && info["rate_limit"] == "10/2")
        var strict = try router(allowReserved: false)
        guard case .refuse(let e) = strict.route(method: "POST", path: "/v1/trace", authorization: "Bearer \(Self.good)",
                                                 body: Array(#"{"method":"icmp"}"#.utf8), requester: client, now: 0) else {
            Issue.record("a lab requester was probed without --allow-reserved"); return
        }
        #expect(e.status == 403 && e.message.contains("--allow-reserved"))
        #expect(status(strict.route(method: "POST", path: "/v1/trace", authorization: "Bearer \(Self.good)",
                                    body: Array(#"{"method":"icmp"}"#.utf8), requester: IPAddress("8.8.8.8")!, now: 0)) == nil)
    }
}
