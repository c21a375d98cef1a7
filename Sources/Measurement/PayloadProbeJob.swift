import Analysis
import Packets
import ProbeSession
import Probing
import Records

/// `probe payload`: per TTL a handshake at full TTL, then the test payload with that TTL,
/// alternating with a control payload on the same path (`PayloadTrace`).
public struct PayloadProbeJob: Sendable {
    public var target: IPAddress
    public var port: Int
    public var test: PayloadTrace.Payload
    public var control: PayloadTrace.Payload
    public var ttls: ClosedRange<Int>
    /// Seconds each connection is watched after its payload.
    public var wait: Double
    public var pcap: String?

    /// The test is `host` (HTTP), `sni` (TLS) or `raw` (hex), exactly one of them; the
    /// control is `controlHost` or `controlSNI`, else example.com in the test's form (raw
    /// bytes get a ClientHello on 443 and an HTTP request elsewhere).
    public init(target: String, allowReserved: Bool, port: Int?, host: String?, sni: String?, raw: String?,
                controlHost: String?, controlSNI: String?, ttls: ClosedRange<Int>, wait: Double,
                pcap: String?) throws(MeasurementError) {
        guard let address = IPAddress(target) else {
            throw MeasurementError("\(target) is not an IP address: give the server's IPv4 or IPv6 address")
        }
        if let refusal = SpecialPurposeRanges.refusal(for: address, allowReserved: allowReserved) { throw MeasurementError(refusal) }
        self.target = address
        self.port = port ?? (sni != nil ? 443 : 80)
        if let host {
            test = .http(host: host)
        } else if let sni {
            test = .tls(sni: sni)
        } else {
            do { test = .raw(try Hex.decode(raw ?? "")) } catch { throw MeasurementError("--raw is not valid hex: \(error.description)") }
        }
        if let controlHost {
            control = .http(host: controlHost)
        } else if let controlSNI {
            control = .tls(sni: controlSNI)
        } else {
            switch test {
            case .http: control = .http(host: "example.com")
            case .tls: control = .tls(sni: "example.com")
            case .raw: control = self.port == 443 ? .tls(sni: "example.com") : .http(host: "example.com")
            }
        }
        self.ttls = ttls
        self.wait = wait
        self.pcap = pcap
    }

    /// Runs the trace; `progress` gets each TTL's step as it is done.
    public func run(progress: (PayloadStep) -> Void = { _ in }) throws(MeasurementError) -> [PayloadStep] {
        var config = PayloadTrace.Configuration(target: target, port: UInt16(port), test: test, control: control, ttls: ttls)
        config.wait = .milliseconds(Int64(wait * 1000))
        config.settle = min(config.settle, config.wait)
        config.pcapPath = pcap
        do { return try PayloadTrace.run(config, progress: progress) } catch { throw MeasurementError(error.description) }
    }

    /// `probe payload --json`.
    public func record(_ steps: [PayloadStep]) -> PayloadTraceRecord {
        PayloadTraceRecord(target: target.description, port: port, payload: test.record, control: control.record,
                           steps: steps.map(\.record))
    }

    /// The last step when the trace stopped before its last TTL (the control reached the
    /// server and the test got its answer, or neither could connect); nil otherwise.
    public func stoppedEarly(_ steps: [PayloadStep]) -> PayloadStep? {
        guard let last = steps.last, PayloadTrace.reachedEnd(last, target: target), last.ttl < ttls.upperBound else { return nil }
        return last
    }
}
