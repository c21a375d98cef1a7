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
    /// path for every packet of the run (ignored by networks that record nothing). `quiet`
    /// is asked when the run's timeout ends: true (nothing decisive heard) waits on for a
    /// router's late unreachable (`RunSettings.silenceTimeout`). `timeout` replaces the
    /// settings' wait after the last probe (the engine's `WaitRule`); nil keeps it.
    func run(_ probes: [Probe], destination: IPAddress, evidence: String?, timeout: Duration?,
             settled: @escaping (Correlator) -> Bool, quiet: ((Correlator) -> Bool)?) throws(MeasurementError) -> CorrelatedRunResult

    /// The handshake + TTL-limited payload sweep (`PayloadTrace`).
    func sweep(_ configuration: PayloadTrace.Configuration) throws(MeasurementError) -> [PayloadStep]

    /// One connection at full TTL, a request and what answers it (`ConnectionExchange`),
    /// judged from the connection's packets.
    func exchange(_ configuration: ConnectionExchange.Configuration) throws(MeasurementError) -> ExchangeObservation

    /// True once the user interrupted: the engine stops between phases.
    var interrupted: Bool { get }

    /// Whether a run that went wrong on this machine (capture drops, failed sends, a wait
    /// shorter than the path turned out to need) is measured again. A recording is replayed
    /// as it was kept: false.
    var remeasures: Bool { get }

    /// The longest a run waits after its last probe (`--timeout`, the script's `timeout_ms`):
    /// the cap of the engine's `WaitRule`.
    var maximumWait: Duration { get }
}

extension ProbeNetwork {
    /// A run that never waits longer than its timeout.
    public func run(_ probes: [Probe], destination: IPAddress, evidence: String?,
                    settled: @escaping (Correlator) -> Bool) throws(MeasurementError) -> CorrelatedRunResult {
        try run(probes, destination: destination, evidence: evidence, timeout: nil, settled: settled, quiet: nil)
    }
}

/// How a live run sends and listens, as the commands' options give it.
public struct RunSettings: Sendable {
    /// Probes per second; nil sends as fast as the socket takes them.
    public var rate: Double?
    /// How long a run waits for answers after its last probe.
    public var timeout: Duration
    /// Capture on this interface instead of every one (`any`).
    public var interface: String?
    /// How long a run in which nothing decisive was heard waits after its last probe: a
    /// router reports a host that does not answer ARP/ND only after about 3 s.
    public var silenceTimeout: Duration = .milliseconds(3500)
    /// Runs reuse each other's captures (`RunConfiguration.reuseCapture`): an investigation
    /// or a campaign, whose runs all happen in this process's one network namespace.
    public var reuseCaptures = false

    public init(rate: Double? = 500, timeout: Duration = .seconds(2), interface: String? = nil) {
        self.rate = rate
        self.timeout = timeout
        self.interface = interface
    }

    /// Sends may go in bursts of up to 10 at high rates, one at a time below 200/s.
    public var burst: Int { rate.map { max(1, min(10, Int($0 / 100))) } ?? 1 }

    /// The run's configuration from the route's source towards `destinations`.
    /// Answers may come back on another interface than the probes left by (asymmetric
    /// routes, a VPN, two uplinks), so the capture listens on every one (`any`) unless told
    /// otherwise; the probes still leave by the route's. Loopback stays on `lo`, where `any`
    /// would see every packet twice.
    public func configuration(route: RouteInfo, destinations: [IPAddress]) -> RunConfiguration {
        let capture = interface ?? (route.interface == "lo" ? route.interface : "any")
        var c = RunConfiguration(interface: capture, filter: CaptureFilter.forRun(source: route.source, destinations: destinations))
        c.sendInterface = route.interface
        c.rate = rate
        c.burst = burst
        c.timeout = timeout
        c.silenceTimeout = max(timeout, silenceTimeout)
        c.reuseCapture = reuseCaptures
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
    public var remeasures: Bool { true }
    public var maximumWait: Duration { settings.timeout }

    public func run(_ probes: [Probe], destination: IPAddress, evidence: String?, timeout: Duration?,
                    settled: @escaping (Correlator) -> Bool, quiet: ((Correlator) -> Bool)?) throws(MeasurementError) -> CorrelatedRunResult {
        var configuration = settings.configuration(route: route, destinations: [destination])
        if let timeout { configuration.timeout = min(timeout, settings.timeout) }
        configuration.sharedPacer = sharedPacer
        configuration.shouldStop = shouldStop
        if let captureBufferBytes { configuration.captureBufferBytes = captureBufferBytes }
        let file: EvidenceFile?
        do { file = try evidence.map { try EvidenceFile(path: $0, interfaceName: configuration.interface) } } catch {
            throw MeasurementError("\(error)")
        }
        return try Self.correlate(probes, configuration, file, settled: settled, quiet: quiet)
    }

    public func sweep(_ configuration: PayloadTrace.Configuration) throws(MeasurementError) -> [PayloadStep] {
        var c = configuration
        c.sharedPacer = sharedPacer
        if let interface = settings.interface { c.interface = interface }
        do { return try PayloadTrace.run(c) } catch { throw MeasurementError("\(error)") }
    }

    /// Runs probes, turning the shell's errors into one sentence.
    public static func correlate(_ probes: [Probe], _ configuration: RunConfiguration, _ evidence: EvidenceFile?,
                                 settled: ((Correlator) -> Bool)? = nil, quiet: ((Correlator) -> Bool)? = nil) throws(MeasurementError) -> CorrelatedRunResult {
        do {
            let result = try CorrelatedRun.run(probes, configuration: configuration, evidence: evidence, settled: settled, quiet: quiet)
            try evidence?.close()
            return result
        } catch {
            try? evidence?.close()
            throw MeasurementError("\(error)")
        }
    }
}
