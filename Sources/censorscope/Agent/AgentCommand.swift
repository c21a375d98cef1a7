import Agent
import AgentService
import ArgumentParser
import Measurement

/// `censorscope agent`: the remote vantage point for the reverse direction.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the agent on a machine you control at the far end, or call one.",
        discussion: """
            The agent traces and probes back towards whoever calls it, and only them (or the \
            one address a token is scoped to): `trace --both --agent URL --token TOKEN` and \
            `investigate --both …` use it to measure both directions. The API is described in \
            Docs/agent.md.
            Example: censorscope trace 203.0.113.5 --both --agent https://203.0.113.5:8443 --token T
            """,
        subcommands: [AgentServe.self, AgentRequest.self]
    )
}

/// `agent serve --listen ADDR:PORT --token-file FILE`.
struct AgentServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the agent's HTTPS API until SIGINT or SIGTERM.",
        discussion: """
            On first run a self-signed ECDSA P-256 certificate is made in --state-dir (key mode \
            0600); its fingerprint is printed so clients can pin it (--agent-pin). The token \
            file holds one token per line, optionally followed by `scope ADDRESS`, `#` for \
            comments, and must be readable by its owner only. Every request is logged on stderr. \
            Needs root (raw sockets and libpcap).
            Example: censorscope agent serve --listen 0.0.0.0:8443 --token-file /etc/censorscope/tokens
            """
    )

    @Option(help: ArgumentHelp("Address and port to listen on, e.g. 0.0.0.0:8443 or [::]:8443.", valueName: "addr:port"))
    var listen: String

    @Option(name: .customLong("token-file"), help: ArgumentHelp("The bearer tokens the agent accepts (mode 600).", valueName: "file"))
    var tokenFile: String

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Where the certificate and key live (default ~/.censorscope/agent).", valueName: "dir"))
    var stateDir: String?

    @Option(name: .customLong("rate-limit"), help: ArgumentHelp("Requests per token and client: BURST/SECONDS, a burst then one every SECONDS.", valueName: "burst/seconds"))
    var rateLimit: String = RateLimit.standard.description

    @Flag(help: "Allow requesters in special-purpose ranges (private, lab, documentation…). Implied inside `lab exec`.")
    var allowReserved = false

    func validate() throws {
        do { _ = try ListenAddress(parsing: listen) } catch { throw ValidationError("\(error)") }
        if RateLimit(parsing: rateLimit) == nil { throw ValidationError(RateLimit.syntax) }
    }

    func run() throws {
        try runReportingUserErrors { out in
            let configuration = try AgentDaemon.Configuration(listen: listen, tokenFile: tokenFile, stateDirectory: stateDir,
                                                              rateLimit: rateLimit, allowReserved: ReservedRanges.allowed(flag: allowReserved),
                                                              version: CensorScope.version)
            try AgentDaemon.run(configuration, say: { line in
                out.line(line)
                out.flush()
            }, log: AgentDaemon.logToStandardError)
        }
    }
}

/// `agent request URL --token TOKEN --path /v1/trace --body JSON`: one raw call, the
/// agent's JSON answer on stdout (for trying the API and for scripts).
struct AgentRequest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Send one request to an agent and print its JSON answer.",
        discussion: """
            A refusal (4xx, 5xx) prints the agent's sentence as the error and exits 1. The \
            certificate is checked like for trace --agent (known_agents or --agent-pin).
            Example: censorscope agent request https://203.0.113.5:8443 --token T --path /v1/trace --body '{"method":"icmp"}'
            """
    )

    @Argument(help: "The agent: https://HOST:PORT.")
    var url: String

    @Option(help: ArgumentHelp("The bearer token (or set CENSORSCOPE_AGENT_TOKEN).", valueName: "token"))
    var token: String?

    @Option(name: .customLong("agent-pin"), help: ArgumentHelp("The agent's certificate fingerprint (SHA256:HEX).", valueName: "sha256"))
    var agentPin: String?

    @Option(help: "The API path: /v1/trace, /v1/reverse or /v1/info.")
    var path: String = "/v1/info"

    @Option(help: "The JSON body; with one, the request is a POST, else a GET.")
    var body: String?

    @Option(name: .customLong("evidence"), help: ArgumentHelp("Write the answer's evidence_pcapng to this file (and leave it out of the output).", valueName: "file"))
    var evidence: String?

    func run() throws {
        try runReportingUserErrors { out in
            let connection = try AgentConnection(url: url, token: token.flatMap { $0.isEmpty ? nil : $0 } ?? AgentConnection.environmentToken,
                                                 pin: agentPin, reversePcap: evidence, version: CensorScope.version)
            out.json(try connection.request(path, body: body))
        }
    }
}
