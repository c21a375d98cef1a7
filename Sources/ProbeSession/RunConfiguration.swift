import Capture
import Packets

/// How a probe run sends and listens.
public struct RunConfiguration: Sendable {
    /// Probes per second; nil sends as fast as the sockets take them. Default 100.
    public var rate: Double?
    /// Probes that may go at once after an idle spell. Default 1.
    public var burst: Int
    /// How long to wait for answers after the last send. Default 2 s.
    public var timeout: Duration
    /// The capture interface (the route's, from `Routing`), or "any".
    public var interface: String
    /// Where the raw sockets are bound when the capture listens on "any" (the route's
    /// interface); nil leaves them unbound.
    public var sendInterface: String?
    /// How long to wait after the last send when nothing decisive has been heard by the end
    /// of `timeout` (the run's `quiet` check says so): a router reports a host that does not
    /// answer ARP or ND only after its resolution fails, about 3 s. Nil: never wait longer.
    public var silenceTimeout: Duration?
    /// The capture's BPF filter (see `CaptureFilter.forRun`).
    public var filter: String
    /// The kernel's capture ring, in bytes. Default 32 MiB.
    public var captureBufferBytes: Int32
    /// Binds the raw sockets to `interface` (SO_BINDTODEVICE), so probes leave where the
    /// capture listens even on multipath routes. Ignored for "any". Default true.
    public var bindToInterface: Bool
    /// Probes sent between two reads of the capture while nothing makes the sender wait.
    /// Default 64: at most a few hundred packets pile up in the ring between reads.
    public var drainInterval: Int
    /// When set, sends are paced by this pacer (shared with other runs) instead of `rate`.
    public var sharedPacer: SharedPacer?
    /// Asked before each send and while waiting: true ends the run at once (an interrupt).
    public var shouldStop: (@Sendable () -> Bool)?
    /// Where answers are read. Default `.capture`.
    public var receiver: Receiver = .capture
    /// Takes the capture from `CapturePool.shared` and gives it back after the run instead
    /// of opening and closing one (some 40 ms of kernel waits each). Only for a process
    /// whose runs all happen in one network namespace. Default false.
    public var reuseCapture = false

    /// Where a run reads its answers.
    public enum Receiver: Sendable, Hashable {
        /// A libpcap capture on `interface` with `filter`: every packet, our probes leaving
        /// included (their kernel send time), before the host's firewall; what evidence needs.
        case capture
        /// Raw receive sockets (`SocketReceiver`): what the host's IP layer takes in, from any
        /// interface, without the capture's set-up and tear-down cost (some 40 ms); no probes
        /// leaving, nothing the host's own firewall drops. What `traceroute` reads.
        case sockets
    }

    public init(interface: String, filter: String, rate: Double? = 100, burst: Int = 1,
                timeout: Duration = .seconds(2), captureBufferBytes: Int32 = 32 << 20,
                bindToInterface: Bool = true, drainInterval: Int = 64) {
        self.interface = interface
        self.filter = filter
        self.rate = rate
        self.burst = burst
        self.timeout = timeout
        self.captureBufferBytes = captureBufferBytes
        self.bindToInterface = bindToInterface
        self.drainInterval = drainInterval
    }

    /// For probes from `route.source` to `destinations`: the route's interface and
    /// `CaptureFilter.forRun`.
    public init(route: RouteInfo, destinations: [IPAddress], rate: Double? = 100, timeout: Duration = .seconds(2)) {
        self.init(interface: route.interface,
                  filter: CaptureFilter.forRun(source: route.source, destinations: destinations),
                  rate: rate, timeout: timeout)
    }
}

/// What a run did.
public struct RunStatistics: Hashable, Sendable {
    /// Probes that left (the socket took them).
    public var sent: Int
    /// Packets the capture handed to `onPacket`.
    public var captured: Int
    /// Packets the kernel dropped because the capture ring was full.
    public var captureDropped: UInt32
    /// Probes the socket refused (firewall EPERM, ENETUNREACH, …); not sent.
    public var sendErrors: Int
    /// From the first send to the end of the wait, in seconds.
    public var durationSeconds: Double
    /// From the first send to the end of the last, in seconds.
    public var sendingSeconds: Double
    /// True when `onPacket` settled the run before the timeout ran out.
    public var endedEarly: Bool
    /// Times a send was retried after ENOBUFS (a full socket or device queue).
    public var sendRetries: Int
    /// The first send error, e.g. "probe 3 to 198.18.1.2: sendto failed: Operation not permitted".
    public var firstSendError: String?
    /// True when the run waited on past its timeout for a router's late unreachable (`quiet`).
    public var waitedForSilence = false
    /// True when the run waited its whole timeout after the probes whatever the caller asked
    /// (a campaign's shared opening run, `SharedOpening`): no shorter wait to distrust.
    public var fullWait = false

    public init(sent: Int = 0, captured: Int = 0, captureDropped: UInt32 = 0, sendErrors: Int = 0,
                durationSeconds: Double = 0, sendingSeconds: Double = 0, endedEarly: Bool = false, sendRetries: Int = 0,
                firstSendError: String? = nil) {
        self.sent = sent
        self.captured = captured
        self.captureDropped = captureDropped
        self.sendErrors = sendErrors
        self.durationSeconds = durationSeconds
        self.sendingSeconds = sendingSeconds
        self.endedEarly = endedEarly
        self.sendRetries = sendRetries
        self.firstSendError = firstSendError
    }

    /// Probes sent per second while sending.
    public var sendRate: Double { sendingSeconds > 0 ? Double(sent) / sendingSeconds : 0 }
}
