import Agent
import ArgumentParser
import Foundation
import JSONSupport
import NIOHTTP1

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
        return ProcessInfo.processInfo.environment["CENSORSCOPE_AGENT_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The client for `--agent`.
    func client() throws -> AgentClient {
        do {
            let url = try AgentURL(parsing: agent ?? "")
            let pin = try agentPin.map { s throws(AgentClientError) in try CertificateFingerprint(parsing: s) }
            guard let token = resolvedToken else { throw UserError("--agent needs --token TOKEN") }
            return try AgentClient(url: url, token: token, pin: pin, environment: ProcessInfo.processInfo.environment)
        } catch let e as AgentClientError {
            throw UserError(e.description)
        }
    }

    /// The JSON object of a 2xx reply; otherwise the agent's refusal as one sentence.
    static func body(_ reply: AgentClient.Reply, agent: AgentURL) throws -> JSONValue {
        let value = try? JSONParser.parse(bytes: reply.body)
        guard (200..<300).contains(reply.status) else {
            var message = "the agent at \(agent.endpoint) refused the request (\(reply.status) \(AgentRefusal.reasonPhrase(reply.status)))"
            if case .string(let why)? = value?["error"] { message += ": " + why }
            if let wait = reply.retryAfter { message += " (Retry-After: \(wait) s)" }
            throw UserError(message)
        }
        guard let value, case .object = value else {
            throw UserError("the agent at \(agent.endpoint) answered \(reply.status) without a JSON object")
        }
        return value
    }

    /// `value` without its `evidence_pcapng`, which goes to --reverse-pcap when given.
    func takingEvidence(_ value: JSONValue) throws -> JSONValue {
        guard case .object(let fields) = value else { return value }
        if let reversePcap, case .string(let base64)? = value["evidence_pcapng"] {
            guard let data = Data(base64Encoded: base64) else { throw UserError("the agent's evidence is not valid base64") }
            guard FileManager.default.createFile(atPath: reversePcap, contents: data) else {
                throw UserError("cannot write the agent's evidence to \(reversePcap)")
            }
        }
        return .object(fields.filter { $0.key != "evidence_pcapng" })
    }

    /// Sends one request to the agent and returns its JSON result (evidence taken out).
    func request(_ client: AgentClient, _ method: HTTPMethod, _ path: String, _ body: JSONValue?) throws -> JSONValue {
        let reply = try client.call(method: method, path: path, body: body)
        return try takingEvidence(try Self.body(reply, agent: client.url))
    }
}
