import JSONSupport
import Packets
import Probing

/// What the agent does with one request, decided without touching the network.
public enum AgentAction: Hashable, Sendable {
    /// Answer at once: `GET /v1/info`.
    case info(JSONValue)
    /// Trace from the agent towards `target`.
    case trace(AgentTraceRequest, target: IPAddress)
    /// Connect from the agent to `target` and send the payload.
    case reverse(AgentReverseRequest, target: IPAddress)
    /// Refuse with a status and a sentence.
    case refuse(AgentRefusal)

    public static func == (a: AgentAction, b: AgentAction) -> Bool {
        switch (a, b) {
        case let (.info(x), .info(y)): return x == y
        case let (.trace(r1, t1), .trace(r2, t2)): return r1 == r2 && t1 == t2
        case let (.reverse(r1, t1), .reverse(r2, t2)): return r1 == r2 && t1 == t2
        case let (.refuse(x), .refuse(y)): return x == y
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .info(let v): hasher.combine(v.serialized())
        case let .trace(r, t): hasher.combine(r); hasher.combine(t)
        case let .reverse(r, t): hasher.combine(r); hasher.combine(t)
        case .refuse(let e): hasher.combine(e)
        }
    }
}

/// The agent's request gate, in the order a request meets it: the token is looked up, the
/// (token, client) bucket is charged (requests without a valid token share one bucket per
/// address, so guessing tokens is limited too), then 401 for a bad token, 404/405 for the
/// path, 400 for the body, 403 for the target.
public struct AgentRouter: Sendable {
    public let tokens: TokenFile
    public private(set) var limiter: RateLimiter
    /// Whether special-purpose requesters (private, lab, documentation ranges) may be probed.
    public let allowReserved: Bool
    public let version: String

    /// Largest request body read.
    public static let maximumBody = 16 * 1024
    static let routes: [(path: String, method: String)] = [("/v1/trace", "POST"), ("/v1/reverse", "POST"), ("/v1/info", "GET")]

    public init(tokens: TokenFile, limit: RateLimit, allowReserved: Bool, version: String) {
        self.tokens = tokens
        limiter = RateLimiter(limit: limit)
        self.allowReserved = allowReserved
        self.version = version
    }

    /// Decides what to do with a request from `requester` at monotonic time `now` (seconds).
    public mutating func route(method: String, path: String, authorization: String?, body: [UInt8],
                               requester: IPAddress, now: Double) -> AgentAction {
        let requester = AgentScope.normalised(requester)
        let auth = tokens.authenticate(authorization: authorization)
        let token: AgentToken?
        if case .success(let t) = auth { token = t } else { token = nil }
        if case .refused(let wait) = limiter.admit(token: token?.index, client: requester, now: now) {
            return .refuse(.tooManyRequests(retryAfter: wait))
        }
        guard let token else {
            if case .failure(let refusal) = auth { return .refuse(refusal) }
            return .refuse(.unauthorized("the request carries no valid token"))
        }
        let bare = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        guard let route = Self.routes.first(where: { $0.path == bare }) else {
            return .refuse(.notFound("there is no \(RequestFields.printable(bare)) here: the agent answers POST /v1/trace, POST /v1/reverse and GET /v1/info"))
        }
        guard method == route.method else {
            return .refuse(AgentRefusal(status: 405, message: "\(route.path) takes \(route.method), not \(RequestFields.printable(method))"))
        }
        do throws(AgentRefusal) {
            switch route.path {
            case "/v1/trace":
                let request = try AgentTraceRequest(body: body)
                return .trace(request, target: try target(requester, request.target, token))
            case "/v1/reverse":
                let request = try AgentReverseRequest(body: body)
                return .reverse(request, target: try target(requester, request.target, token))
            default:
                return .info(.object([
                    ("agent", "censorscope"), ("version", .string(version)),
                    ("requester", .string(requester.description)), ("scope", .optional(token.scope?.description)),
                    ("rate_limit", .string(limiter.limit.description)),
                    ("endpoints", .array(Self.routes.map { .string("\($0.method) \($0.path)") })),
                ]))
            }
        } catch {
            return .refuse(error)
        }
    }

    private func target(_ requester: IPAddress, _ named: IPAddress?, _ token: AgentToken) throws(AgentRefusal) -> IPAddress {
        let target: IPAddress
        switch AgentScope.target(requester: requester, named: named, tokenScope: token.scope) {
        case .success(let t): target = t
        case .failure(let e): throw e
        }
        if let refusal = SpecialPurposeRanges.refusal(for: target, allowReserved: allowReserved) {
            throw .forbidden("refused by the agent: \(refusal) (given to agent serve)")
        }
        return target
    }
}
