import ArgumentParser
import LabServices

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
            Example: censorscope lab serve --http 80 --name server
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
    func run() throws {
        try runReportingUserErrors { out in
            let config = try LabServiceConfiguration(addresses: address, http: http, tls: tls, echo: echo, stun: stun, dns: dns, quic: quic,
                                                     node: name, dnsAnswers: dnsAnswer, dnsAnswers6: dnsAnswer6, logPath: log,
                                                     stateDirectory: stateDir)
            try LabServer.serveUntilSignalled(config) {
                out.line("ready")
                out.flush()
            }
        }
    }
}
