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
    /// Connections per second (each a SYN and a payload); nil: one after another.
    public var rate: Double?
    /// Capture on this interface (default: every one, "any").
    public var interface: String?

    /// The test is `host` (HTTP), `sni` (TLS) or `raw` (hex), exactly one of them; the
    /// control is `controlHost` or `controlSNI`, else example.com in the test's form (raw
    /// bytes get a ClientHello on 443 and an HTTP request elsewhere).
    public init(target: String, allowReserved: Bool, port: Int?, host: String?, sni: String?, raw: String?,
                controlHost: String?, controlSNI: String?, ttls: ClosedRange<Int>, wait: Double,
                pcap: String?, rate: Double? = nil, interface: String? = nil) throws(MeasurementError) {
        guard let address = IPAddress(target) ?? NameResolution.first(target) else {
            throw MeasurementError("cannot resolve '\(target)': give an IPv4 or IPv6 address or a name the resolver knows")
        }
        self.rate = rate
        self.interface = interface
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
        if let rate { config.sharedPacer = SharedPacer(rate: rate * 2, burst: 2) }
        if let interface { config.interface = interface }
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
