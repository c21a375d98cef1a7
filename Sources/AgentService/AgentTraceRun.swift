import Agent
import Measurement
import Records

/// `trace --agent URL`: the agent traces back towards us; with `--both` our own trace to
/// the target runs meanwhile, so the two directions are measured together.
public struct AgentTraceRun {
    public var connection: AgentConnection
    public var request: AgentTraceRequest
    /// Our own trace (`--both`).
    public var forward: TraceJob?

    /// The agent traces with the method and max TTL of ours (at most 64), the port unless
    /// ICMP, the SYN variant for TCP.
    public init(connection: AgentConnection, method: String, port: UInt16?, variant: String, maxTTL: Int, forward: TraceJob?) {
        self.connection = connection
        request = AgentTraceRequest(method: method, port: method == "icmp" ? nil : port, variant: method == "tcp" ? variant : nil,
                                    maxTTL: min(maxTTL, 64))
        self.forward = forward
    }

    public struct Outcome {
        public var forward: TraceJob.Outcome?
        /// The agent's trace back to us, its evidence taken out.
        public var reverse: TraceRecord
    }

    public func run() throws(MeasurementError) -> Outcome {
        let client = connection.client
        let pending = client.send(method: .POST, path: "/v1/trace", body: request.json)
        let forward = try self.forward.map { job throws(MeasurementError) in try job.run() }
        let reply = try client.wait(pending)
        let body = try connection.takingEvidence(try AgentConnection.body(reply, agent: client.url))
        // The agent's answer is a boundary: read once, into its record.
        guard let reverse = try? TraceRecord(json: body) else {
            throw MeasurementError("the agent at \(client.url.endpoint) answered without a trace (no hops)")
        }
        return Outcome(forward: forward, reverse: reverse)
    }
}
