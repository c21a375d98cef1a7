import Agent
import AgentService
import ArgumentParser

/// `--agent URL --token TOKEN [--agent-pin SHA256:HEX] [--both] [--reverse-pcap FILE]`,
/// shared by `trace` and `investigate`.
struct AgentClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("An agent you run at the far end (`censorscope agent serve`): https://HOST:PORT.", valueName: "url"))
    var agent: String?

    @Option(help: ArgumentHelp("The agent's bearer token (or set CENSORSCOPE_AGENT_TOKEN).", valueName: "token"))
    var token: String?

    @Option(name: .customLong("agent-pin"), help: ArgumentHelp(
        "The agent's certificate fingerprint as `agent serve` prints it (SHA256:HEX); without it the first one seen is pinned in ~/.censorscope/known_agents (CENSORSCOPE_KNOWN_AGENTS).",
        valueName: "sha256"))
    var agentPin: String?

    @Flag(help: "Measure both directions at once: here towards the target, and the agent back towards here.")
    var both = false

    @Option(name: .customLong("reverse-pcap"), help: ArgumentHelp("Write the agent's capture of its run to this pcapng file.", valueName: "file"))
    var reversePcap: String?

    var isActive: Bool { agent != nil }

    func validate() throws {
        if agent == nil {
            if both { throw ValidationError("--both needs --agent URL (and --token TOKEN): the agent measures the reverse direction") }
            if token != nil || agentPin != nil || reversePcap != nil {
                throw ValidationError("--token, --agent-pin and --reverse-pcap go with --agent URL")
            }
            return
        }
        do {
            _ = try AgentURL(parsing: agent ?? "")
            if let agentPin { _ = try CertificateFingerprint(parsing: agentPin) }
        } catch { throw ValidationError(error.description) }
        if resolvedToken == nil { throw ValidationError("--agent needs --token TOKEN (or CENSORSCOPE_AGENT_TOKEN)") }
    }

    var resolvedToken: String? {
        if let token, !token.isEmpty { return token }
        return AgentConnection.environmentToken
    }

    /// The connection for `--agent`.
    func connection() throws -> AgentConnection {
        try AgentConnection(url: agent ?? "", token: resolvedToken, pin: agentPin, reversePcap: reversePcap, version: CensorScope.version)
    }
}
