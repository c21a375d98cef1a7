import Analysis
import Campaigns
import Foundation
import Packets
import ProbeSession
import Probing

extension ScriptStep {
    /// Steps made of kernel connections (a sweep, a fetch, transfers) rather than a paced run of probes.
    var makesConnections: Bool {
        switch self {
        case .payload, .fetch, .transfer: return true
        default: return false
        }
    }
}

extension Engine {
    /// A step of kernel connections.
    func connections(_ step: ScriptStep, state: inout EngineState, bundle: inout EvidenceBundle?) throws {
        switch step {
        case .payload(let spec): try sweep(spec, state: &state, bundle: &bundle)
        case .fetch(let fetch): try self.fetch(fetch, state: &state, bundle: &bundle)
        case .transfer(let transfer): try self.transfer(transfer, state: &state, bundle: &bundle)
        default: break
        }
    }

    /// The handshake + TTL-limited payload sweep, test and control alternating per TTL
    /// (kernel connections, paced by the sweep's pauses and the shared pacer), between a
    /// control request at full TTL before it and one after it: a control that worked before
    /// and fails after the test is residual blocking, not a clean network.
    func sweep(_ spec: PayloadSpec, state: inout EngineState, bundle: inout EvidenceBundle?) throws {
        let item = state.item
        guard let (kind, name) = item.payload(for: spec) else { return }   // no name of that kind to test
        let controlName = control ?? spec.control
        let test: PayloadTrace.Payload = kind == .tls ? .tls(sni: name) : .http(host: name)
        let controlPayload: PayloadTrace.Payload = kind == .tls ? .tls(sni: controlName) : .http(host: controlName)
        guard test.bytes(seed: 1) != nil, let controlBytes = controlPayload.bytes(seed: 2) else {
            throw MeasurementError("a TLS server name must be 1 to \(TLSClientHello.maximumServerNameLength) bytes long, not '\(name)'")
        }
        var config = PayloadTrace.Configuration(target: item.address, port: item.port.number, test: test, control: controlPayload,
                                                ttls: 1...ttlLimit(spec.maxTTL))
        // Wait in proportion to the path's round trip: a few RTTs settle a step.
        let rtt = state.echoes.compactMap(\.rttMilliseconds).min() ?? 50
        config.settle = .milliseconds(Int64(min(500, max(100, 4 * rtt + 50))))
        config.wait = .milliseconds(Int64(min(1500, max(700, 8 * rtt + 500))))
        config.pause = .milliseconds(Int64(spec.pauseMilliseconds))

        func check(_ label: String, port: UInt16? = nil) throws -> ExchangeObservation {
            var c = ConnectionExchange.Configuration(target: item.address, port: port ?? item.port.number,
                                                     request: port == nil ? .bytes(controlBytes) : .connectOnly)
            c.maxBytes = 1   // the first answer is enough
            c.maxTime = config.wait
            c.connectTimeout = .seconds(2)
            c.label = label
            c.pcapPath = bundle?.part(label.replacingOccurrences(of: " ", with: "-"))
            state.sent += 2
            return try network.exchange(c)
        }
        let before = try check("control before")
        config.pcapPath = bundle?.part("payload")
        let steps = try network.sweep(config)
        var residual = ResidualInput(before: before, after: [try check("control after 1")])
        if residual.after[0].outcome != .data {
            // Another port of the address (the scope), then a second look at this one a
            // second later: a block that lasts is not one lost packet.
            let other = SYNStep.SecondPort.auto.port(for: item.port.number)
            residual.otherPort = other
            residual.otherPortObservation = try check("other port", port: other)
            try checkInterrupt()
            Thread.sleep(forTimeInterval: 1)
            residual.after.append(try check("control after 2"))
        }
        state.residual = residual
        state.payloadSteps = steps
        state.payloadName = Self.describe(kind, name)
        state.sweep = (test, controlPayload)
        state.sent += steps.count * 2
    }

    /// "TLS SNI name", "HTTP Host name".
    static func describe(_ kind: PayloadSpec.Kind, _ name: String) -> String {
        kind == .tls ? "TLS SNI \(name)" : "HTTP Host \(name)"
    }
}
