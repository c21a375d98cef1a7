import Agent
import CSystemShims
import Measurement
import Foundation
import JSONSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import Packets

/// The agent's HTTPS server: TLS (NIOSSL), HTTP/1.1 (NIOHTTP1), one JSON request per
/// connection. Requests pass the `AgentRouter` gate on the event loop; probes run one at
/// a time on a thread of their own, so a trace never overlaps another probe's capture.
public final class AgentServer: Sendable {
    let listen: ListenAddress
    /// In the Server header.
    let version: String
    let router: Mutex<AgentRouter>
    let sslContext: NIOSSLContext
    let log: @Sendable (String) -> Void

    public init(listen: ListenAddress, router: AgentRouter, certificate: AgentCertificate, version: String,
                log: @escaping @Sendable (String) -> Void) throws(MeasurementError) {
        self.listen = listen
        self.version = version
        self.router = Mutex(router)
        self.log = log
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate.certificatePath)
            let key = try NIOSSLPrivateKey(file: certificate.keyPath, format: .pem)
            var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            tls.minimumTLSVersion = .tlsv12
            sslContext = try NIOSSLContext(configuration: tls)
        } catch {
            throw MeasurementError("cannot use the certificate \(certificate.certificatePath): \(error)")
        }
    }

    /// Serves until `stop` returns (it blocks, e.g. waiting for a signal); `ready` is called
    /// once the socket is bound.
    public func run(ready: () -> Void, stop: () -> Void) throws(MeasurementError) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let probes = NIOThreadPool(numberOfThreads: 1)
        probes.start()
        defer {
            try? group.syncShutdownGracefully()
            try? probes.syncShutdownGracefully()
        }
        let sslContext = self.sslContext
        let connections = ConnectionLimits()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelInitializer { [self] channel in
                // Bounded connections (in all, and per client, IPv6 per /64), a handshake budget
                // per client, a lifetime cap, and at capacity the slowest unfinished request
                // makes room: slow or idle clients cannot hold the agent's descriptors.
                let client = channel.remoteAddress.flatMap { $0.ipAddress }.flatMap(IPAddress.init).map(RateLimiter.clientKey)
                let id = ObjectIdentifier(channel)
                guard let evicted = connections.open(id, client: client, channel: channel, now: .now()) else { return channel.close() }
                evicted.forEach { $0.close(promise: nil) }
                // Cancelled at close: a pending task would hold the closed channel (its TLS
                // state and buffers) for the whole lifetime, ~4 KB per connection at 2,000/s.
                let lifetime = channel.eventLoop.scheduleTask(in: ConnectionLimits.lifetime) { channel.close(promise: nil) }
                channel.closeFuture.whenComplete { _ in
                    lifetime.cancel()
                    connections.close(id)
                    // Idle again: hand the freed heap back (glibc keeps freed TLS buffers otherwise).
                    if connections.count == 0 { _ = cs_malloc_trim() }
                }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLServerHandler(context: sslContext))
                    // A client that connects and sends nothing (or half a request) is dropped.
                    try sync.addHandler(IdleStateHandler(readTimeout: .seconds(20)))
                    // Our handler answers malformed HTTP itself, with the JSON error body.
                    try sync.configureHTTPServerPipeline(withErrorHandling: false)
                    try sync.addHandler(AgentHTTPHandler(server: self, probes: probes, connections: connections))
                }
            }
        let channel: Channel
        do {
            channel = try bootstrap.bind(host: listen.address.description, port: listen.port).wait()
        } catch {
            throw MeasurementError("cannot listen on \(listen): \(error): is the address configured here and the port free?")
        }
        ready()
        stop()
        try? channel.close().wait()
    }

    /// The gate's decision for one request.
    func route(method: String, path: String, authorization: String?, body: [UInt8], requester: IPAddress) -> AgentAction {
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        return router.withLock {
            $0.route(method: method, path: path, authorization: authorization, body: body, requester: requester, now: now)
        }
    }
}

/// One JSON response.
struct AgentResponse: Sendable {
    var status: Int
    var body: JSONValue
    var headers: [(String, String)] = []

    init(status: Int, body: JSONValue, headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    init(_ refusal: AgentRefusal) {
        status = refusal.status
        body = refusal.json
        if let wait = refusal.retryAfterSeconds { headers.append(("Retry-After", String(wait))) }
        if refusal.status == 401 { headers.append(("WWW-Authenticate", "Bearer")) }
    }
}

/// Reads one request (the body up to `AgentRouter.maximumBody`), answers it, closes.
final class AgentHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: AgentServer
    private let probes: NIOThreadPool
    private let connections: ConnectionLimits
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// A response is on its way (or sent): nothing more is read.
    private var answered = false
    /// The request deadline, cancelled when the handler goes so it does not hold the channel.
    private var deadline: Scheduled<Void>?
    /// Bytes of an oversized body still to drop before closing.
    private var draining: Int?

    init(server: AgentServer, probes: NIOThreadPool, connections: ConnectionLimits) {
        self.server = server
        self.probes = probes
        self.connections = connections
    }

    /// The whole request (TLS handshake included) must arrive within `requestDeadline` of the
    /// connection: a client that trickles a header line now and then is cut off, with a 408.
    func handlerAdded(context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: ConnectionLimits.requestDeadline) { [self] in
            guard !answered, context.channel.isActive else { return }
            answered = true
            // Before a request head there is nothing HTTP can answer (the pipeline would trap).
            guard head != nil else { context.close(promise: nil); return }
            respond(AgentResponse(AgentRefusal(status: 408, message: "the request did not arrive within \(ConnectionLimits.requestDeadline.nanoseconds / 1_000_000_000) s of the connection")),
                    context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let left = draining {
            // After a 413: read and drop the rest (up to 1 MiB), so closing does not reset
            // the connection before the client has read the answer.
            if case .body(let buffer) = unwrapInboundIn(data), buffer.readableBytes < left {
                draining = left - buffer.readableBytes
            } else {
                draining = nil
                context.close(promise: nil)
            }
            return
        }
        guard !answered else { return }
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            // Our clients send Content-Length; a chunked body could announce 2^64-1 bytes and wait.
            if h.headers[canonicalForm: "transfer-encoding"].contains(where: { $0.lowercased() != "identity" }) {
                answered = true
                respond(AgentResponse(AgentRefusal(status: 411, message: "send the body with a Content-Length, not chunked")), context: context)
                return
            }
            if let length = h.headers.first(name: "content-length").flatMap(Int.init), length > AgentRouter.maximumBody { refuseLarge(context) }
        case .body(var buffer):
            if body.count + buffer.readableBytes > AgentRouter.maximumBody { refuseLarge(context); return }
            if let bytes = buffer.readBytes(length: buffer.readableBytes) { body += bytes }
        case .end:
            guard let head else { return }
            answered = true
            connections.complete(ObjectIdentifier(context.channel))
            handle(head, context: context)
        }
    }

    /// Answers 413 at once; the rest of the body is dropped, not stored.
    private func refuseLarge(_ context: ChannelHandlerContext) {
        answered = true
        draining = 1 << 20
        respond(AgentResponse(AgentRefusal(status: 413, message: "the request body is larger than \(AgentRouter.maximumBody) bytes")),
                context: context, close: false)
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard let peer = context.channel.remoteAddress?.ipAddress.flatMap(IPAddress.init) else {
            respond(AgentResponse(AgentRefusal(status: 400, message: "the agent cannot tell the address this request came from")), context: context)
            return
        }
        let action = server.route(method: head.method.rawValue, path: head.uri, authorization: head.headers.first(name: "authorization"),
                                  body: body, requester: peer)
        let log = server.log
        let what = "\(head.method.rawValue) \(RequestFieldsText.clip(head.uri)) from \(AgentScope.normalised(peer))"
        switch action {
        case .refuse(let refusal):
            log("\(what): \(refusal.status) \(refusal.message)")
            respond(AgentResponse(refusal), context: context)
        case .info(let body):
            log("\(what): 200")
            respond(AgentResponse(status: 200, body: body), context: context)
        case .trace(let request, let target):
            log("\(what): tracing to \(target) (\(request.method))")
            run(context: context, what: what) { try AgentProbes.trace(request, to: target) }
        case .reverse(let request, let target):
            log("\(what): connecting from port \(request.sourcePort) to \(target) port \(request.destinationPort)")
            run(context: context, what: what) { try AgentProbes.reverse(request, to: target) }
        }
    }

    /// Runs a probe on the probe thread and answers with its result, or 500 and its sentence;
    /// 503 when too many probes already wait (one thread runs them in turn).
    private func run(context: ChannelHandlerContext, what: String, _ body: @escaping @Sendable () throws -> JSONValue) {
        let log = server.log
        guard ProbeQueue.shared.enter() else {
            log("\(what): 503 the probe queue is full")
            respond(AgentResponse(AgentRefusal(status: 503, message: "the agent is busy with \(ProbeQueue.limit) probes; try again later",
                                               retryAfterSeconds: 10)), context: context)
            return
        }
        let channel = context.channel
        probes.runIfActive(eventLoop: context.eventLoop) { () -> AgentResponse in
            defer { ProbeQueue.shared.leave() }
            // The requester has gone: its probe is not worth the others' wait.
            guard channel.isActive else { return AgentResponse(AgentRefusal(status: 503, message: "the requester has gone")) }
            do {
                return AgentResponse(status: 200, body: try body())
            } catch {
                let message = (error as? MeasurementError)?.description ?? "\(error)"
                log("\(what): 500 \(message)")
                return AgentResponse(AgentRefusal(status: 500, message: message))
            }
        }.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let response): respond(response, context: context)
            case .failure: respond(AgentResponse(AgentRefusal(status: 503, message: "the agent is shutting down")), context: context)
            }
        }
    }

    private func respond(_ response: AgentResponse, context: ChannelHandlerContext, close: Bool = true) {
        var bytes: [UInt8] = []
        response.body.write(into: &bytes)
        bytes.append(0x0A)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(bytes.count))
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Server", value: "censorscope-agent/\(server.version)")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        let status = HTTPResponseStatus(statusCode: response.status, reasonPhrase: AgentRefusal.reasonPhrase(response.status))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Idle while the request is incomplete: drop it. Idle while a probe runs: keep waiting.
        if event is IdleStateHandler.IdleStateEvent {
            if !answered || draining != nil { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Malformed HTTP gets the documented JSON error; TLS failures and resets get nothing.
        if error is HTTPParserError, !answered {
            answered = true
            respond(AgentResponse(AgentRefusal(status: 400, message: "the request is not well-formed HTTP/1.1 (\(error))")), context: context)
            return
        }
        context.close(promise: nil)
    }
}

/// Request text made safe for the log.
enum RequestFieldsText {
    static func clip(_ text: String) -> String {
        let clipped = text.unicodeScalars.prefix(80).map { $0.value < 0x20 || $0.value > 0x7E ? "?" : Character($0) }
        return String(clipped)
    }
}
