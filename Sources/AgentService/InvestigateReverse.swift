import Agent
import Measurement
import JSONSupport
import NIOHTTP1
import Packets

/// `investigate --both --agent URL`: after the forward investigation, the agent connects
/// back from the investigated port to ours and sends the same Host/SNI (or an HTTP GET for
/// example.com), while a listener here takes the connection. The investigation gains
/// `reverse` (the agent's result and what our listener saw) and `direction`.
public struct InvestigateReverse {
    let connection: AgentConnection

    /// Connects to the agent and checks the token before the forward run, so a wrong URL,
    /// pin or token stops the investigation before it starts.
    public init(connection: AgentConnection) throws(MeasurementError) {
        self.connection = connection
        _ = try connection.request(.GET, "/v1/info", nil)
    }

    /// What the reverse run adds to the investigation.
    public struct Result {
        public var reverse: JSONValue
        public var direction: JSONValue
        public var line: String
    }

    public func run(port: UInt16, httpHost: String?, sni: String?, forwardBlocked: Bool, ipv6: Bool) throws -> Result {
        let payload: ReversePayload = httpHost.map { .httpHost($0) } ?? sni.map { .tlsSNI($0) } ?? .httpHost("example.com")
        let request = AgentReverseRequest(sourcePort: port, destinationPort: port, payload: payload)
        let listener = try ReverseListener(port: port, ipv6: ipv6)
        let answer: JSONValue
        do {
            answer = try connection.request(.POST, "/v1/reverse", request.json)
        } catch {
            _ = listener?.stop()
            throw error
        }
        let seen = listener?.stop()
        var reverse = answer
        if case .object(let fields) = answer {
            let here: JSONValue = seen.map {
                .object([("port", .number(port)), ("accepted", .number($0.accepted)), ("bytes_received", .number($0.bytes)), ("reset", .bool($0.reset))])
            } ?? .object([("port", .number(port)), ("note", "another program listens on this port and took the connection")])
            reverse = .object(fields + [("listener", here)])
        }
        let blocked: Bool?
        switch answer["blocked"] {
        case .bool(let b)?: blocked = b
        default: blocked = nil
        }
        let summary = DirectionVerdict.summary(forward: forwardBlocked, reverse: blocked)
        return Result(reverse: reverse, direction: DirectionVerdict.json(forward: forwardBlocked, reverse: blocked),
                      line: "direction: \(summary) — \(ReverseReport.line(answer))")
    }
}
