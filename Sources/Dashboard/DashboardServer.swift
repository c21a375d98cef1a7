import Agent
import Analysis
import Hummingbird
import HTTPTypes
import Logging
import Measurement
import NIOCore
import Packets
import Records
import Reports
import SystemSupport

/// `censorscope serve`: the read-only dashboard over a campaign store (Hummingbird). Every
/// page and API answer is computed from the store's current snapshot; nothing is written.
public struct DashboardServer: Sendable {
    public var host: String
    public var port: Int
    public var data: DashboardData
    /// Required unless `host` is a loopback address.
    public var tokens: TokenFile?

    /// Evidence files larger than this are refused (pcapng evidence is kilobytes).
    static let evidenceLimit = 64 << 20

    public init(host: String, port: Int, data: DashboardData, tokens: TokenFile?) {
        self.host = host
        self.port = port
        self.data = data
        self.tokens = tokens
    }

    /// Whether `host` is an IPv4 or IPv6 loopback address.
    public static func isLoopback(_ host: String) -> Bool {
        switch IPAddress(host) {
        case .v4(let a)?: return a.value >> 24 == 127
        case .v6(let a)?: return a.high == 0 && a.low == 1
        case nil: return false
        }
    }

    /// Serves until SIGINT or SIGTERM; `ready` gets the address actually bound (port 0 picks one).
    public func run(ready: @escaping @Sendable (String) -> Void) async throws {
        let router = Router()
        router.add(middleware: GuardMiddleware(tokens: tokens))
        let data = self.data
        router.get("/") { request, _ in try Self.overview(request, data) }
        router.get("/api/campaign") { _, _ in
            Self.response(.ok, DashboardAPI.campaign(try data.snapshot().overview).prettySerialized() + "\n", type: "application/json")
        }
        router.get("/api/results") { request, _ in
            let snapshot = try data.snapshot()
            do {
                let filter = try ResultFilter(query: { request.uri.queryParameters.get($0) })
                return Self.response(.ok, DashboardAPI.results(snapshot.overview, shown: snapshot.select(filter)), type: "application/json")
            } catch {
                return Self.response(.badRequest, DashboardAPI.error("\(error)"), type: "application/json")
            }
        }
        router.get("/api/results/{id}") { _, context in
            let snapshot = try data.snapshot()
            guard let i = Self.index(context.parameters.get("id"), snapshot) else {
                return Self.response(.notFound, DashboardAPI.error("no result has that item number"), type: "application/json")
            }
            return Self.response(.ok, snapshot.overview.records[i].json.prettySerialized() + "\n", type: "application/json")
        }
        router.get("/target/{id}") { _, context in
            let snapshot = try data.snapshot()
            guard let i = Self.index(context.parameters.get("id"), snapshot) else { return Self.notFound() }
            return Self.response(.ok, DashboardHTML.target(snapshot.overview.records[i], itemID: snapshot.itemIDs[i],
                                                           campaign: snapshot.overview.header.name,
                                                           hasEvidence: snapshot.evidenceFiles[i] != nil))
        }
        router.get("/target/{id}/evidence.pcapng") { _, context in
            let snapshot = try data.snapshot()
            guard let i = Self.index(context.parameters.get("id"), snapshot), let file = snapshot.evidenceFiles[i] else {
                return Self.notFound()
            }
            // The path comes from the store, never from the request.
            guard let bytes = try? BoundedFile.read(file, limit: Self.evidenceLimit, what: "evidence file") else {
                return Self.response(.gone, DashboardHTML.problem(410, "The evidence file the store names is no longer readable."))
            }
            var headers = Self.headers(type: "application/vnd.tcpdump.pcapng")
            headers[HTTPField.Name("Content-Disposition")!] = "attachment; filename=\"evidence-\(snapshot.itemIDs[i]).pcapng\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        var logger = Logger(label: "censorscope-serve")
        logger.logLevel = .error
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let address = channel.localAddress
                let bound = address?.ipAddress.map { ip in ip.contains(":") ? "[\(ip)]" : ip } ?? "?"
                ready("http://\(bound):\(address?.port ?? 0)/")
            }, logger: logger)
        try await app.runService()
    }

    static func overview(_ request: Request, _ data: DashboardData) throws -> Response {
        let snapshot = try data.snapshot()
        var problem: String?
        var filter = ResultFilter()
        do { filter = try ResultFilter(query: { request.uri.queryParameters.get($0) }) } catch { problem = "\(error)" }
        let page = request.uri.queryParameters.get("page").flatMap { Int($0.prefix(9)) } ?? 1
        let html = DashboardHTML.overview(snapshot.overview, filter: filter, shown: snapshot.select(filter), page: page,
                                          itemIDs: snapshot.itemIDs, problem: problem)
        return response(problem == nil ? .ok : .badRequest, html)
    }

    static func index(_ text: String?, _ snapshot: DashboardSnapshot) -> Int? {
        guard let text, text.count <= 19, let id = Int64(text) else { return nil }
        return snapshot.indexOfItem[id]
    }

    static func notFound() -> Response {
        response(.notFound, DashboardHTML.problem(404, "There is no such page: see the overview."))
    }

    static func headers(type: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'"
        return headers
    }

    static func response(_ status: HTTPResponse.Status, _ text: String, type: String = "text/html; charset=utf-8") -> Response {
        Response(status: status, headers: headers(type: type), body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Read-only, and with a token when one is set: a bearer header, or `?token=` once (which
/// sets a cookie for the pages that follow).
struct GuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: TokenFile?
    static var cookieName: String { "censorscope_token" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            return DashboardServer.response(.methodNotAllowed, DashboardHTML.problem(405, "The dashboard is read-only: only GET."))
        }
        guard let tokens else { return try await next(request, context) }
        let fromQuery = request.uri.queryParameters.get("token")
        let presented = bearer(request) ?? cookie(request) ?? fromQuery
        guard let presented, tokens.tokens.contains(where: { TokenFile.constantTimeEqual($0.secret, Array(presented.utf8)) }) else {
            return DashboardServer.response(.unauthorized, DashboardHTML.problem(401, "This dashboard needs its token: open it with ?token=TOKEN."))
        }
        var response = try await next(request, context)
        if fromQuery != nil {
            response.headers[.setCookie] = "\(Self.cookieName)=\(presented); HttpOnly; SameSite=Strict; Path=/"
        }
        return response
    }

    func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization], value.hasPrefix("Bearer ") else { return nil }
        return String(value.dropFirst(7))
    }

    func cookie(_ request: Request) -> String? {
        guard let header = request.headers[.cookie] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingPrefix(" ")
            if pair.hasPrefix(Self.cookieName + "=") { return String(pair.dropFirst(Self.cookieName.count + 1)) }
        }
        return nil
    }
}
