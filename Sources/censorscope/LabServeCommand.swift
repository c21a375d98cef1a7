import ArgumentParser
import LabServices
import Packets
#if canImport(Glibc)
import Glibc
#endif

struct LabServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the lab's services on this node (started by `lab up`).",
        discussion: """
            Starts each service whose port is given, on every --address (default: all \
            addresses, IPv4 and IPv6), prints "ready" once all are listening, and runs until \
            SIGTERM or SIGINT. HTTP answers any request with a page naming --name and echoing \
            the Host header; /bytes/N returns N bytes (up to 10 MiB). TLS takes any SNI with a \
            self-signed certificate (kept in --state-dir when given) and speaks the same HTTP. \
            DNS answers A/AAAA for any name with --dns-answer/--dns-answer6, NXDOMAIN under \
            .invalid, on UDP and TCP. QUIC answers any long header of at least 1200 bytes that \
            offers a version other than 0x00000001 and 0x6b3343cf with Version Negotiation \
            listing those two. --log appends one JSON object per request.
            """,
        shouldDisplay: false
    )

    @Option(name: .long, help: "An IPv4 or IPv6 address to listen on (repeatable; default: all).")
    var address: [String] = []

    @Option(name: .long, help: "HTTP port (usually 80).")
    var http: Int?

    @Option(name: .long, help: "TLS port, HTTP inside (usually 443).")
    var tls: Int?

    @Option(name: .long, help: "TCP echo port (usually 7).")
    var echo: Int?

    @Option(name: .long, help: "STUN UDP port (usually 3478).")
    var stun: Int?

    @Option(name: .long, help: "DNS port, UDP and TCP (usually 53).")
    var dns: Int?

    @Option(name: .long, help: "QUIC UDP port, Version Negotiation only (usually 443).")
    var quic: Int?

    @Option(name: .long, help: "This node's name, shown in pages and the certificate.")
    var name = "server"

    @Option(name: .customLong("dns-answer"), help: "IPv4 address for A answers (repeatable).")
    var dnsAnswer: [String] = []

    @Option(name: .customLong("dns-answer6"), help: "IPv6 address for AAAA answers (repeatable).")
    var dnsAnswer6: [String] = []

    @Option(name: .long, help: "Append a JSON line per request to this file.")
    var log: String?

    @Option(name: .customLong("state-dir"), help: "Directory for the TLS certificate and key (reused across runs).")
    var stateDir: String?

    /// Every problem is one sentence on stderr and exit status 1, as `lab up` expects.
    private func check() throws(UserError) {
        let ports = [http, tls, echo, stun, dns, quic]
        if ports.allSatisfy({ $0 == nil }) {
            throw UserError("give at least one service port: --http, --tls, --echo, --stun, --dns or --quic.")
        }
        if ports.contains(where: { $0.map { !(1...65535).contains($0) } ?? false }) {
            throw UserError("service ports must be between 1 and 65535.")
        }
        for a in address where IPAddress(a) == nil {
            throw UserError("--address '\(a)' is not an IPv4 or IPv6 address.")
        }
        for a in dnsAnswer where IPv4Address(a) == nil {
            throw UserError("--dns-answer '\(a)' is not an IPv4 address.")
        }
        for a in dnsAnswer6 where IPv6Address(a) == nil {
            throw UserError("--dns-answer6 '\(a)' is not an IPv6 address.")
        }
        if name.isEmpty || name.utf8.count > 200 { throw UserError("--name must be 1 to 200 characters long.") }
    }

    func run() throws {
        do {
            try check()
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        var config = LabServiceConfiguration()
        config.addresses = address.compactMap(IPAddress.init)
        config.httpPort = http.map { UInt16($0) }
        config.tlsPort = tls.map { UInt16($0) }
        config.echoPort = echo.map { UInt16($0) }
        config.stunPort = stun.map { UInt16($0) }
        config.dnsPort = dns.map { UInt16($0) }
        config.quicPort = quic.map { UInt16($0) }
        config.node = name
        config.dnsAnswers = dnsAnswer.compactMap(IPv4Address.init)
        config.dnsAnswers6 = dnsAnswer6.compactMap(IPv6Address.init)
        config.logPath = log
        config.stateDirectory = stateDir

        // Block the stop signals before any service thread exists, so every thread inherits
        // the mask and only sigwait below sees them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let server: LabServer
        do {
            server = try LabServer.start(config)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        var out = StandardOutput()
        out.line("ready")
        out.flush()
        var received: Int32 = 0
        sigwait(&signals, &received)
        server.stop()
    }
}
