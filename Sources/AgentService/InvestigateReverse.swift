import Agent
import Analysis
import JSONSupport
import Packets
import Measurement
import Records

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

    /// The agent as a control vantage for `target`: an agent on the target's own address that
    /// answered us over HTTPS shows that address up and reachable from here (on the agent's
    /// port), so total silence on the investigated port is a block there, not a host that is down.
    public func control(for target: IPAddress) -> VantageControl? {
        let url = connection.client.url
        guard url.address == target else { return nil }
        return VantageControl(vantage: "the agent at \(url.endpoint)", reachable: true,
                              detail: "it answers HTTPS on port \(url.port) of the same address from here")
    }

    /// What the reverse run adds to the investigation.
    public struct Result {
        public var reverse: ReverseRecord
        public var direction: DirectionRecord
        /// One line for people: the direction's verdict and the agent's result.
        public var line: String

        /// The investigation with `reverse` and `direction`.
        public func adding(to record: InvestigationRecord) -> InvestigationRecord {
            var record = record
            record.reverse = reverse
            record.direction = direction
            return record
        }
    }

    public func run(port: UInt16, httpHost: String?, sni: String?, forwardBlocked: Bool, ipv6: Bool) throws -> Result {
        let payload: ReversePayload = httpHost.map { .httpHost($0) } ?? sni.map { .tlsSNI($0) } ?? .httpHost("example.com")
        let request = AgentReverseRequest(sourcePort: port, destinationPort: port, payload: payload)
        let listener = try ReverseListener(port: port, ipv6: ipv6)
        let body: JSONValue
        do { body = try connection.request(.POST, "/v1/reverse", request.json) } catch {
            _ = listener?.stop()
            throw error
        }
        let seen = listener?.stop()
        // The agent's answer is a boundary: read once, into its record.
        let answer = (try? ReverseRecord(json: body)) ?? ReverseRecord()
        var reverse = answer
        reverse.listener = seen.map { ReverseRecord.Listener(port: Int(port), accepted: $0.accepted, bytesReceived: $0.bytes, reset: $0.reset) }
            ?? ReverseRecord.Listener(port: Int(port), note: "another program listens on this port and took the connection")
        let direction = DirectionVerdict.record(forward: forwardBlocked, reverse: answer.blocked)
        return Result(reverse: reverse, direction: direction,
                      line: "direction: \(DirectionVerdict.summary(forward: forwardBlocked, reverse: answer.blocked)) — \(ReverseReport.line(answer))")
    }
}
