#if canImport(Glibc)
import Glibc
#endif
import JSONSupport
import Packets
import SystemSupport

/// What `censorscope serve` runs: each service whose port is set, on every address.
public struct LabServiceConfiguration: Sendable {
    /// Addresses to bind; empty means all (0.0.0.0 and ::).
    public var addresses: [IPAddress] = []
    public var httpPort: UInt16?
    public var tlsPort: UInt16?
    public var echoPort: UInt16?
    public var stunPort: UInt16?
    /// DNS on UDP and TCP.
    public var dnsPort: UInt16?
    /// QUIC on UDP: Version Negotiation for unsupported versions (`QUICResponder`).
    public var quicPort: UInt16?
    public var quicVersions: [UInt32] = QUICResponder.defaultVersions
    public var node = "server"
    public var dnsAnswers: [IPv4Address] = []
    public var dnsAnswers6: [IPv6Address] = []
    public var logPath: String?
    /// Where the TLS certificate is kept between runs; nil: a fresh one in memory.
    public var stateDirectory: String?
    public var maxConnections = 256
    /// A connection that sends nothing (or stops reading) for this long is closed.
    public var idleSeconds = 30

    public init() {}
}

/// The running services. Everything is bound before `start` returns, so a caller can
/// report readiness (or the error) at once.
public final class LabServer: Sendable {
    public struct Listener: Sendable, CustomStringConvertible {
        public var service: String
        public var transport: Transport
        public var endpoint: Endpoint
        public var description: String { "\(service) \(transport) \(endpoint)" }
    }

    public let listeners: [Listener]
    /// SHA-256 of the TLS certificate, when TLS runs.
    public let certificateFingerprint: String?
    private let stopFlag = StopFlag()

    private init(listeners: [Listener], fingerprint: String?) {
        self.listeners = listeners
        self.certificateFingerprint = fingerprint
    }

    public static func start(_ config: LabServiceConfiguration) throws(ServiceError) -> LabServer {
        // A client that resets mid-write must not kill the server with SIGPIPE (OpenSSL
        // writes with plain write(2), which cannot pass MSG_NOSIGNAL).
        signal(SIGPIPE, SIG_IGN)
        let log = try config.logPath.map { path throws(ServiceError) in try RequestLog(path: path) } ?? .disabled
        var tls: TLSServer?
        if config.tlsPort != nil {
            if let dir = config.stateDirectory { try makeDirectory(dir) }
            tls = try TLSServer(stateDirectory: config.stateDirectory, commonName: config.node)
        }
        let addresses: [IPAddress] = config.addresses.isEmpty
            ? [.v4(IPv4Address(0)), .v6(IPv6Address(high: 0, low: 0))] : config.addresses

        var wanted: [(String, Transport, UInt16)] = []
        // QUIC (UDP 443) before TLS (TCP 443): `lab up` waits for port numbers, whatever the
        // transport, so by the time it sees 443 both are bound.
        if let p = config.quicPort { wanted.append(("quic", .udp, p)) }
        if let p = config.httpPort { wanted.append(("http", .tcp, p)) }
        if let p = config.tlsPort { wanted.append(("tls", .tcp, p)) }
        if let p = config.echoPort { wanted.append(("echo", .tcp, p)) }
        if let p = config.stunPort { wanted.append(("stun", .udp, p)) }
        if let p = config.dnsPort { wanted += [("dns", .udp, p), ("dns", .tcp, p)] }

        var bound: [(String, BoundSocket)] = []
        do throws(ServiceError) {
            for (service, transport, port) in wanted {
                for address in addresses {
                    bound.append((service, try BoundSocket.bind(Endpoint(address: address, port: port), transport)))
                }
            }
        } catch {
            for (_, socket) in bound { close(socket.fd) }
            throw error
        }

        let server = LabServer(listeners: bound.map { Listener(service: $0.0, transport: $0.1.transport, endpoint: $0.1.endpoint) },
                               fingerprint: tls?.fingerprint)
        let stop = server.stopFlag
        let limiter = ConnectionLimiter(limit: config.maxConnections)
        let idle = config.idleSeconds
        let idleMs = Int32(clamping: idle * 1000)
        let http = HTTPService(node: config.node, log: log)
        let echo = EchoService(log: log, idleMs: idleMs)
        let stun = STUNService(log: log)
        let dns = DNSService(log: log, responder: DNSResponder(ipv4: config.dnsAnswers, ipv6: config.dnsAnswers6), idleMs: idleMs)
        let quic = QUICService(log: log, responder: QUICResponder(versions: config.quicVersions))

        for (service, socket) in bound {
            let loop: @Sendable () -> Void
            switch (service, socket.transport) {
            case ("http", _):
                loop = { Loops.accept(socket, limiter: limiter, stop: stop, idleSeconds: idle) { http.serve($0, service: "http") } }
            case ("tls", _):
                let tls = tls!
                loop = {
                    Loops.accept(socket, limiter: limiter, stop: stop, idleSeconds: idle) { connection in
                        serveTLS(connection, tls: tls, http: http, log: log)
                    }
                }
            case ("echo", _):
                loop = { Loops.accept(socket, limiter: limiter, stop: stop, idleSeconds: idle) { echo.serve($0) } }
            case ("stun", _):
                loop = { Loops.datagrams(socket, stop: stop) { stun.answer($0, from: $1, to: $2) } }
            case ("dns", .udp):
                loop = { Loops.datagrams(socket, stop: stop) { dns.answer($0, from: $1, to: $2) } }
            case ("quic", _):
                loop = { Loops.datagrams(socket, stop: stop) { quic.answer($0, from: $1, to: $2) } }
            default:
                loop = { Loops.accept(socket, limiter: limiter, stop: stop, idleSeconds: idle) { dns.serve($0) } }
            }
            do {
                try startThread(named: "lab \(service)", stackSize: ThreadStack.small, loop)
            } catch {
                stop.set()
                throw ServiceError("cannot start a thread for \(service): \(error.reason).")
            }
        }
        return server
    }

    /// Stops accepting and receiving within about half a second; connections in progress finish.
    public func stop() { stopFlag.set() }

    private static func serveTLS(_ connection: Connection, tls: TLSServer, http: HTTPService, log: RequestLog) {
        let handshake = connection.startTLS(tls, timeoutMs: 10_000)
        let sni: (String, JSONValue) = ("sni", handshake.sni.map { .string($0) } ?? .null)
        guard handshake.ok else {
            log.record("tls", client: connection.peer, local: connection.local,
                       [sni, ("error", .string(handshake.error ?? "handshake failed"))])
            return
        }
        http.serve(connection, service: "tls", sni: handshake.sni,
                   extra: [sni, ("tls_version", connection.tlsVersion.map { .string($0) } ?? .null)])
    }

    /// `mkdir -p` with private permissions: the directory holds a private key.
    private static func makeDirectory(_ path: String) throws(ServiceError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part + "/"
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw ServiceError("cannot create the state directory \(path): \(errnoText()).")
            }
        }
    }
}
