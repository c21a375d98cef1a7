import Analysis
import Capture
import Packets
import ProbeSession
import Probing

/// The engine's one door to the network: send probes and hear their answers, and make the
/// kernel connections of a payload sweep. The live network does real I/O; a recorded one
/// replays captured packets, so the whole engine runs in-process in tests.
public protocol ProbeNetwork {
    /// Sends `probes` towards `destination` and attributes every packet heard to them.
    /// `settled` is asked after each new answer; true ends the wait. `evidence` is a pcapng
    /// path for every packet of the run (ignored by networks that record nothing).
    func run(_ probes: [Probe], destination: IPAddress, evidence: String?,
             settled: @escaping (Correlator) -> Bool) throws(MeasurementError) -> CorrelatedRunResult

    /// The handshake + TTL-limited payload sweep (`PayloadTrace`).
    func sweep(_ configuration: PayloadTrace.Configuration) throws(MeasurementError) -> [PayloadStep]

    /// One connection at full TTL, a request and what answers it (`ConnectionExchange`),
    /// judged from the connection's packets.
    func exchange(_ configuration: ConnectionExchange.Configuration) throws(MeasurementError) -> ExchangeObservation

    /// True once the user interrupted: the engine stops between phases.
    var interrupted: Bool { get }
}

/// How a live run sends and listens, as the commands' options give it.
public struct RunSettings: Sendable {
    /// Probes per second; nil sends as fast as the socket takes them.
    public var rate: Double?
    /// How long a run waits for answers after its last probe.
    public var timeout: Duration
    /// Capture on this interface instead of the route's.
    public var interface: String?

    public init(rate: Double? = 500, timeout: Duration = .seconds(2), interface: String? = nil) {
        self.rate = rate
        self.timeout = timeout
        self.interface = interface
    }

    /// Sends may go in bursts of up to 10 at high rates, one at a time below 200/s.
    public var burst: Int { rate.map { max(1, min(10, Int($0 / 100))) } ?? 1 }

    /// The run's configuration from the route's source towards `destinations`.
    public func configuration(route: RouteInfo, destinations: [IPAddress]) -> RunConfiguration {
        var c = RunConfiguration(interface: interface ?? route.interface,
                                 filter: CaptureFilter.forRun(source: route.source, destinations: destinations))
        c.rate = rate
        c.burst = burst
        c.timeout = timeout
        return c
    }
}

/// The real network: raw sockets and libpcap through `ProbeSession`.
public struct LiveNetwork: ProbeNetwork {
    public var route: RouteInfo
    public var settings: RunSettings
    /// A campaign's pacer: every run's sends (and every sweep's connections) draw from it.
    public var sharedPacer: SharedPacer?
    /// The capture ring per run; nil keeps ProbeSession's default (32 MiB).
    public var captureBufferBytes: Int32?
    public var shouldStop: (@Sendable () -> Bool)?

    public init(route: RouteInfo, settings: RunSettings, sharedPacer: SharedPacer? = nil,
                captureBufferBytes: Int32? = nil, shouldStop: (@Sendable () -> Bool)? = nil) {
        self.route = route
        self.settings = settings
        self.sharedPacer = sharedPacer
        self.captureBufferBytes = captureBufferBytes
        self.shouldStop = shouldStop
    }

    public var interrupted: Bool { shouldStop?() ?? false }

    public func run(_ probes: [Probe], destination: IPAddress, evidence: String?,
                    settled: @escaping (Correlator) -> Bool) throws(MeasurementError) -> CorrelatedRunResult {
        var configuration = settings.configuration(route: route, destinations: [destination])
        configuration.sharedPacer = sharedPacer
        configuration.shouldStop = shouldStop
        if let captureBufferBytes { configuration.captureBufferBytes = captureBufferBytes }
        let file: EvidenceFile?
        do { file = try evidence.map { try EvidenceFile(path: $0, interfaceName: configuration.interface) } } catch {
            throw MeasurementError("\(error)")
        }
        return try Self.correlate(probes, configuration, file, settled: settled)
    }

    public func sweep(_ configuration: PayloadTrace.Configuration) throws(MeasurementError) -> [PayloadStep] {
        var c = configuration
        c.sharedPacer = sharedPacer
        if let interface = settings.interface { c.interface = interface }
        do { return try PayloadTrace.run(c) } catch { throw MeasurementError("\(error)") }
    }

    /// Runs probes, turning the shell's errors into one sentence.
    public static func correlate(_ probes: [Probe], _ configuration: RunConfiguration, _ evidence: EvidenceFile?,
                                 settled: ((Correlator) -> Bool)? = nil) throws(MeasurementError) -> CorrelatedRunResult {
        do {
            let result = try CorrelatedRun.run(probes, configuration: configuration, evidence: evidence, settled: settled)
            try evidence?.close()
            return result
        } catch {
            try? evidence?.close()
            throw MeasurementError("\(error)")
        }
    }
}
