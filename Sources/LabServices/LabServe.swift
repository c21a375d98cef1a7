import Packets
#if canImport(Glibc)
import Glibc
#endif

// `lab serve`: the services of a lab's server node, from the command's options, until a
// stop signal.

extension LabServiceConfiguration {
    /// The configuration `lab serve`'s options describe; every problem is one sentence, as
    /// `lab up` reports it.
    public init(addresses: [String], http: Int?, tls: Int?, echo: Int?, stun: Int?, dns: Int?, quic: Int?, node: String,
                dnsAnswers: [String], dnsAnswers6: [String], logPath: String?, stateDirectory: String?) throws(ServiceError) {
        let ports = [http, tls, echo, stun, dns, quic]
        if ports.allSatisfy({ $0 == nil }) {
            throw ServiceError("give at least one service port: --http, --tls, --echo, --stun, --dns or --quic.")
        }
        if ports.contains(where: { $0.map { !(1...65535).contains($0) } ?? false }) {
            throw ServiceError("service ports must be between 1 and 65535.")
        }
        for a in addresses where IPAddress(a) == nil { throw ServiceError("--address '\(a)' is not an IPv4 or IPv6 address.") }
        for a in dnsAnswers where IPv4Address(a) == nil { throw ServiceError("--dns-answer '\(a)' is not an IPv4 address.") }
        for a in dnsAnswers6 where IPv6Address(a) == nil { throw ServiceError("--dns-answer6 '\(a)' is not an IPv6 address.") }
        if node.isEmpty || node.utf8.count > 200 { throw ServiceError("--name must be 1 to 200 characters long.") }
        self.init()
        self.addresses = addresses.compactMap(IPAddress.init)
        (httpPort, tlsPort, echoPort) = (http.map { UInt16($0) }, tls.map { UInt16($0) }, echo.map { UInt16($0) })
        (stunPort, dnsPort, quicPort) = (stun.map { UInt16($0) }, dns.map { UInt16($0) }, quic.map { UInt16($0) })
        self.node = node
        self.dnsAnswers = dnsAnswers.compactMap(IPv4Address.init)
        self.dnsAnswers6 = dnsAnswers6.compactMap(IPv6Address.init)
        self.logPath = logPath
        self.stateDirectory = stateDirectory
    }
}

extension LabServer {
    /// Starts the services, calls `ready` once all listen, and returns after SIGTERM or
    /// SIGINT, the services stopped.
    public static func serveUntilSignalled(_ config: LabServiceConfiguration, ready: () -> Void) throws(ServiceError) {
        // Block the stop signals before any service thread exists, so every thread inherits
        // the mask and only sigwait below sees them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let server = try start(config)
        ready()
        var received: Int32 = 0
        sigwait(&signals, &received)
        server.stop()
    }
}
