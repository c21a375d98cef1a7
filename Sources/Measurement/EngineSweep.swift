import Analysis
import Campaigns
import Packets
import ProbeSession
import Probing

extension Engine {
    /// The handshake + TTL-limited payload sweep, test and control alternating per TTL
    /// (kernel connections, paced by the sweep's pauses and the shared pacer).
    func sweep(_ spec: PayloadSpec, state: inout EngineState, bundle: inout EvidenceBundle?) throws {
        let item = state.item
        guard let (kind, name) = item.payload(for: spec) else { return }   // no name of that kind to test
        let controlName = control ?? spec.control
        let test: PayloadTrace.Payload = kind == .tls ? .tls(sni: name) : .http(host: name)
        let controlPayload: PayloadTrace.Payload = kind == .tls ? .tls(sni: controlName) : .http(host: controlName)
        guard test.bytes(seed: 1) != nil, controlPayload.bytes(seed: 2) != nil else {
            throw MeasurementError("a TLS server name must be 1 to \(TLSClientHello.maximumServerNameLength) bytes long, not '\(name)'")
        }
        var config = PayloadTrace.Configuration(target: item.address, port: item.port.number, test: test, control: controlPayload,
                                                ttls: 1...ttlLimit(spec.maxTTL))
        // Wait in proportion to the path's round trip: a few RTTs settle a step.
        let rtt = state.echoes.compactMap(\.rttMilliseconds).min() ?? 50
        config.settle = .milliseconds(Int64(min(500, max(100, 4 * rtt + 50))))
        config.wait = .milliseconds(Int64(min(1500, max(700, 8 * rtt + 500))))
        config.pause = .milliseconds(Int64(spec.pauseMilliseconds))
        config.pcapPath = bundle?.part("payload")
        let steps = try network.sweep(config)
        state.payloadSteps = steps
        state.payloadName = kind == .tls ? "TLS SNI \(name)" : "HTTP Host \(name)"
        state.sweep = (test, controlPayload)
        state.sent += steps.count * 2
    }
}
