import Agent
import Measurement
import Foundation
import JSONSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The client side of the agent protocol: one HTTPS request per connection. The agent's
/// certificate is self-signed, so it is checked by fingerprint only: against `--agent-pin`,
/// else against known_agents (trust on first use, like SSH); a mismatch stops the
/// connection before anything (the token included) is sent.
public final class AgentClient: Sendable {
    /// An answer: the status, Retry-After if any, the body.
    public struct Reply: Sendable {
        public var status: Int
        public var retryAfter: String?
        public var body: [UInt8]
    }

    public let url: AgentURL
    public let token: String
    public let pin: CertificateFingerprint?
    public let knownAgentsPath: String
    /// Sent as the User-Agent.
    public let version: String
    /// known_agents as read at start, updated when this client records a certificate.
    private let known: Mutex<KnownAgents>
    private let group: MultiThreadedEventLoopGroup
    private let sslContext: NIOSSLContext
    /// What the verification callback saw and decided, read once the reply is in. A box of
    /// its own: the channel holds it, never the client, whose deinit (which shuts the event
    /// loop down) must run on the caller's thread and not on the loop's.
    private final class Verification: Sendable {
        let state = Mutex<(presented: CertificateFingerprint?, decision: PinDecision?)>((nil, nil))
    }
    private let verification = Verification()
    /// Seconds to wait for an answer (a trace takes a few seconds; requests queue at the agent).
    static let timeout: Int64 = 180

    public init(url: AgentURL, token: String, pin: CertificateFingerprint?, environment: [String: String], version: String) throws(MeasurementError) {
        self.url = url
        self.version = version
        self.token = token
        self.pin = pin
        knownAgentsPath = KnownAgents.path(environment: environment)
        do { known = Mutex(try KnownAgents.load(path: knownAgentsPath)) } catch { throw MeasurementError(error.description) }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .noHostnameVerification   // replaced by the fingerprint check below
        tls.minimumTLSVersion = .tlsv12
        do { sslContext = try NIOSSLContext(configuration: tls) } catch { throw MeasurementError("cannot set up TLS: \(error)") }
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    deinit { try? group.syncShutdownGracefully() }

    /// Starts `METHOD path` with `body`; the future completes when the agent has answered.
    public func send(method: HTTPMethod, path: String, body: JSONValue?) -> EventLoopFuture<Reply> {
        let loop = group.next()
        let promise = loop.makePromise(of: Reply.self)
        var bytes: [UInt8] = []
        body?.write(into: &bytes)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.endpoint)
        headers.add(name: "Authorization", value: "Bearer \(token)")
        headers.add(name: "User-Agent", value: "censorscope/\(version)")
        headers.add(name: "Connection", value: "close")
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        headers.add(name: "Content-Length", value: String(bytes.count))
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        let sslContext = self.sslContext
        let sni = url.address == nil ? url.host : nil   // SNI carries names, never addresses
        let endpoint = url.endpoint, known = self.known.withLock { $0.fingerprint(for: endpoint) }, pin = self.pin
        let file = knownAgentsPath, verification = self.verification
        let requestBody = bytes
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tlsHandler = try NIOSSLClientHandler(context: sslContext, serverHostname: sni) { certificates, result in
                        guard let leaf = certificates.first, let der = try? leaf.toDERBytes(),
                              let presented = AgentCertificate.fingerprint(der: der) else {
                            result.succeed(.failed)
                            return
                        }
                        let decision = PinDecision.decide(endpoint: endpoint, presented: presented, known: known, pin: pin, file: file)
                        verification.state.withLock { $0 = (presented, decision) }
                        if case .refused = decision { result.succeed(.failed) } else { result.succeed(.certificateVerified) }
                    }
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(tlsHandler)
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(AgentExchangeHandler(head: head, body: requestBody, promise: promise))
                }
            }
            .connect(host: url.host, port: url.port)
            .whenFailure { promise.fail($0) }
        let timer = loop.scheduleTask(in: .seconds(Self.timeout)) {
            promise.fail(MeasurementError("the agent at \(endpoint) did not answer within \(Self.timeout) s"))
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    /// Waits for `future`; records a first-contact (or newly pinned) certificate in
    /// known_agents, and turns failures into one sentence.
    public func wait(_ future: EventLoopFuture<Reply>) throws(MeasurementError) -> Reply {
        let outcome = Result { try future.wait() }
        let (presented, decision) = verification.state.withLock { $0 }
        if case .refused(let why)? = decision { throw MeasurementError(why) }
        switch outcome {
        case .success(let reply):
            if let presented, let decision { try record(presented, decision) }
            return reply
        case .failure(let error as MeasurementError):
            throw error
        case .failure(let error):
            throw MeasurementError("cannot reach the agent at \(url.endpoint): \(Self.describe(error))")
        }
    }

    /// Sends and waits: the reply, or one sentence.
    public func call(method: HTTPMethod, path: String, body: JSONValue?) throws(MeasurementError) -> Reply {
        try wait(send(method: method, path: path, body: body))
    }

    private func record(_ presented: CertificateFingerprint, _ decision: PinDecision) throws(MeasurementError) {
        let why: String
        switch decision {
        case .firstContact: why = "first contact"
        case .pinned(record: true): why = "matches --agent-pin"
        default: return
        }
        var store: KnownAgents
        do { store = try KnownAgents.load(path: knownAgentsPath) } catch { throw MeasurementError(error.description) }
        store.record(url.endpoint, presented)
        do { try store.save(path: knownAgentsPath) } catch { throw MeasurementError(error.description) }
        known.withLock { $0.record(url.endpoint, presented) }
        printNote("the agent at \(url.endpoint) presented \(presented) (\(why)); recorded in \(knownAgentsPath)")
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case let e as NIOSSLError: return "TLS failed (\(e))"
        case let e as IOError: return e.description
        case is ChannelError: return "\(error)"
        default: return "\(error)"
        }
    }
}

/// Writes the request once the channel is up (TLS holds it until the handshake is done)
/// and collects the response.
final class AgentExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let body: [UInt8]
    private let promise: EventLoopPromise<AgentClient.Reply>
    private var reply: AgentClient.Reply?
    /// Largest answer read (a reverse probe's evidence is base64 pcapng, a trace's too).
    static let maximumBody = 32 << 20

    init(head: HTTPRequestHead, body: [UInt8], promise: EventLoopPromise<AgentClient.Reply>) {
        self.head = head
        self.body = body
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            reply = AgentClient.Reply(status: Int(h.status.code), retryAfter: h.headers.first(name: "retry-after"), body: [])
        case .body(var buffer):
            guard reply != nil else { return }
            if (reply?.body.count ?? 0) + buffer.readableBytes > Self.maximumBody {
                promise.fail(MeasurementError("the agent's answer is larger than \(Self.maximumBody >> 20) MiB"))
                context.close(promise: nil)
                return
            }
            if let bytes = buffer.readBytes(length: buffer.readableBytes) { reply?.body += bytes }
        case .end:
            if let reply { promise.succeed(reply) }
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(MeasurementError("the agent closed the connection without an answer"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}

/// A `note:` line on stderr, for what the user should know but is not an error.
func printNote(_ message: String) {
    let line = Array(("note: " + message + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
