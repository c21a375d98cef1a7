import Measurement
import Agent
import Capture
import Foundation
import JSONSupport
import Packets
import ProbeSession
import Probing

/// What the agent runs for a request, with the code `trace` and `probe payload` run.
/// Called on the agent's probe thread, one request at a time.
enum AgentProbes {
    /// `POST /v1/trace`: the trace object exactly as `trace --json` prints it, plus
    /// `evidence_pcapng` (the run's capture, base64).
    static func trace(_ request: AgentTraceRequest, to target: IPAddress) throws -> JSONValue {
        let pcap = temporaryPath("trace")
        defer { unlink(pcap) }
        // The router has decided what may be probed; the defaults of `trace` otherwise.
        let job = TraceJob(target: try ProbeTarget(target.description, allowReserved: true),
                           method: TraceMethod(rawValue: request.method) ?? .tcp, port: request.port,
                           variant: request.variant ?? "mss", maxTTL: request.maxTTL ?? 30, settings: RunSettings(), pcap: pcap)
        var record = try job.run().record
        record.evidencePCAPNG = try base64(of: pcap)
        return record.json
    }

    /// `POST /v1/reverse`: a kernel connection from port `sport` to the target's `dport`,
    /// the payload at `ttl`, the outcome classified and assessed from the flow's capture.
    static func reverse(_ request: AgentReverseRequest, to target: IPAddress) throws -> JSONValue {
        let payload: PayloadTrace.Payload
        switch request.payload {
        case .httpHost(let h): payload = .http(host: h)
        case .tlsSNI(let s): payload = .tls(sni: s)
        case .bytes(let b): payload = .raw(b)
        }
        guard let bytes = payload.bytes(seed: UInt64.random(in: 1...UInt64.max)) else {
            throw MeasurementError("a TLS server name must be 1 to \(TLSClientHello.maximumServerNameLength) bytes long")
        }
        let source: IPAddress
        do { source = try Routing.route(to: target).source } catch { throw MeasurementError(error.description) }
        let ttl = request.ttl ?? 64
        var config = PayloadTrace.Configuration(target: target, port: request.destinationPort, test: payload, control: payload,
                                                ttls: ttl...ttl)
        config.sourcePort = request.sourcePort
        config.wait = .seconds(2)
        let observation: PayloadObservation
        let captured: [CapturedPacket]
        do { (observation, captured) = try PayloadTrace.probe(config, payload: bytes, ttl: ttl) } catch {
            throw MeasurementError(error.description)
        }
        let packets = captured.compactMap { c -> PayloadPacket? in
            guard let ip = (try? c.decode())?.ip else { return nil }
            return PayloadPacket(packet: ip, timestamp: c.timestamp)
        }
        let flow = PayloadFlow(local: source, localPort: request.sourcePort, remote: target, remotePort: request.destinationPort)
        let reported = ReverseFlow.observation(observation, packets: packets, flow: flow)
        let assessment = ReverseAssessment.assess(reported, packets: packets, flow: flow)
        let evidence = try pcapng(captured, comment: "reverse \(source):\(request.sourcePort) > \(target):\(request.destinationPort)")
        return ReverseReport(target: target, source: source, request: request, observation: reported, assessment: assessment,
                             handshake: ReverseFlow.handshakeCompleted(packets, flow: flow),
                             payloadSent: ReverseFlow.payloadSent(packets, flow: flow), evidenceBase64: evidence).record.json
    }

    /// The packets as a pcapng file, base64.
    static func pcapng(_ packets: [CapturedPacket], comment: String) throws -> String {
        let path = temporaryPath("reverse")
        defer { unlink(path) }
        do {
            let writer = try PcapngWriter(path: path)
            var interfaces: [LinkType: Int] = [:]
            for p in packets {
                let index: Int
                if let i = interfaces[p.linkType] { index = i } else {
                    index = try writer.addInterface(linkType: p.linkType, name: "any")
                    interfaces[p.linkType] = index
                }
                try writer.write(data: p.data, timestamp: p.timestamp, originalLength: p.originalLength, interface: index, comment: comment)
            }
            try writer.close()
        } catch {
            throw MeasurementError("cannot write the agent's evidence: \(error.description)")
        }
        return try base64(of: path)
    }

    static func base64(of path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw MeasurementError("cannot read the agent's evidence file \(path)") }
        return data.base64EncodedString()
    }

    static func temporaryPath(_ what: String) -> String {
        let temp = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return temp + "/censorscope-agent-\(what)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcapng"
    }
}
