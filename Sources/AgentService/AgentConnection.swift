import Agent
import Foundation
import JSONSupport
import Measurement
import NIOHTTP1

/// A client's connection to its agent (`--agent URL --token T [--agent-pin P]`): the calls
/// `trace --both`, `investigate --both` and `agent request` make, each reply checked.
public struct AgentConnection: Sendable {
    public let client: AgentClient
    /// Where the agent's evidence (`evidence_pcapng`) goes; nil drops it from the result.
    public var reversePcap: String?

    public init(url: String, token: String?, pin: String?, reversePcap: String?, version: String) throws(MeasurementError) {
        do {
            let url = try AgentURL(parsing: url)
            let pin = try pin.map { s throws(AgentClientError) in try CertificateFingerprint(parsing: s) }
            guard let token = token ?? Self.environmentToken else { throw MeasurementError("--agent needs --token TOKEN (or CENSORSCOPE_AGENT_TOKEN)") }
            client = try AgentClient(url: url, token: token, pin: pin, environment: ProcessInfo.processInfo.environment, version: version)
        } catch let e as AgentClientError {
            throw MeasurementError(e.description)
        } catch let e as MeasurementError {
            throw e
        } catch {
            throw MeasurementError("\(error)")
        }
        self.reversePcap = reversePcap
    }

    /// CENSORSCOPE_AGENT_TOKEN, when set and not empty.
    public static var environmentToken: String? {
        ProcessInfo.processInfo.environment["CENSORSCOPE_AGENT_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The JSON object of a 2xx reply; otherwise the agent's refusal as one sentence.
    public static func body(_ reply: AgentClient.Reply, agent: AgentURL) throws(MeasurementError) -> JSONValue {
        let value = try? JSONParser.parse(bytes: reply.body)
        guard (200..<300).contains(reply.status) else {
            var message = "the agent at \(agent.endpoint) refused the request (\(reply.status) \(AgentRefusal.reasonPhrase(reply.status)))"
            if case .string(let why)? = value?["error"] { message += ": " + why }
            if let wait = reply.retryAfter { message += " (Retry-After: \(wait) s)" }
            throw MeasurementError(message)
        }
        guard let value, case .object = value else {
            throw MeasurementError("the agent at \(agent.endpoint) answered \(reply.status) without a JSON object")
        }
        return value
    }

    /// `value` without its `evidence_pcapng`, which goes to `reversePcap` when given.
    public func takingEvidence(_ value: JSONValue) throws(MeasurementError) -> JSONValue {
        guard case .object(let fields) = value else { return value }
        if let reversePcap, case .string(let base64)? = value["evidence_pcapng"] {
            guard let data = Data(base64Encoded: base64) else { throw MeasurementError("the agent's evidence is not valid base64") }
            guard FileManager.default.createFile(atPath: reversePcap, contents: data) else {
                throw MeasurementError("cannot write the agent's evidence to \(reversePcap)")
            }
        }
        return .object(fields.filter { $0.key != "evidence_pcapng" })
    }

    /// `agent request`: GET `path`, or POST it with `body` (JSON text the user typed);
    /// the agent's JSON answer as it came, evidence taken out.
    public func request(_ path: String, body: String?) throws(MeasurementError) -> JSONValue {
        guard let body else { return try request(.GET, path, nil) }
        let json: JSONValue
        do { json = try JSONParser.parse(body) } catch { throw MeasurementError("--body is not valid JSON (\(error))") }
        return try request(.POST, path, json)
    }

    /// Sends one request to the agent and returns its JSON result (evidence taken out).
    public func request(_ method: HTTPMethod, _ path: String, _ body: JSONValue?) throws(MeasurementError) -> JSONValue {
        let reply = try client.call(method: method, path: path, body: body)
        return try takingEvidence(try Self.body(reply, agent: client.url))
    }
}
