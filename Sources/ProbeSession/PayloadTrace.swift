import Capture
import Packets
import Probing
#if canImport(Glibc)
import Glibc
#endif

/// The "handshake, then a TTL-limited payload" trace (CenTrace's method): for each TTL a
/// fresh connection is made at full TTL, then one payload — an HTTP request with a Host,
/// a TLS ClientHello with an SNI, or raw bytes — is sent with that TTL. Routers short of
/// the TTL answer time exceeded quoting it; a keyword/SNI censor within reach answers
/// with a RST or a blockpage; the server, once reached, acknowledges or answers.
///
/// Test and control payloads alternate on the same path (test t, control t, test t+1, …)
/// with a pause between connections, so a censor that keeps blocking a host or 5-tuple
/// for a while after a trigger ("residual blocking") shows as control connections that
/// fail after test ones. Each connection has its own capture, opened before its SYN and
/// filtered on its 5-tuple plus ICMP to us; see `KernelConnection` for why the kernel
/// makes the connection.
public enum PayloadTrace {
    /// What a connection carries.
    public enum Payload: Hashable, Sendable {
        case http(host: String)
        case tls(sni: String)
        case raw([UInt8])

        /// "http", "tls" or "raw".
        public var kind: String {
            switch self {
            case .http: return "http"
            case .tls: return "tls"
            case .raw: return "raw"
            }
        }

        /// The Host or SNI; nil for raw bytes.
        public var name: String? {
            switch self {
            case .http(let h): return h
            case .tls(let s): return s
            case .raw: return nil
            }
        }

        /// The bytes on the wire; `seed` varies the ClientHello's random fields. Nil for
        /// a server name a ClientHello cannot carry (empty or over 253 bytes).
        public func bytes(seed: UInt64) -> [UInt8]? {
            switch self {
            case .http(let host): return HTTPRequestPayload(host: host).bytes
            case .tls(let sni): return TLSClientHello(serverName: sni, seed: seed)?.bytes
            case .raw(let bytes): return bytes
            }
        }
    }

    public struct Configuration: Sendable {
        public var target: IPAddress
        public var port: UInt16
        public var test: Payload
        public var control: Payload
        public var ttls: ClosedRange<Int>
        /// How long a connection is watched after its payload leaves.
        public var wait: Duration = .milliseconds(1500)
        /// Once anything answers, watch this much longer for the rest (an injector's
        /// copies, the server's data after its ACK), then move on.
        public var settle: Duration = .milliseconds(500)
        /// Between connections, so residual blocking has a chance to show.
        public var pause: Duration = .milliseconds(100)
        public var connectTimeout: Duration = .seconds(3)
        /// When set, every connection waits for two slots of it (its SYN and its payload), so
        /// a campaign's sweeps count against the campaign's rate.
        public var sharedPacer: SharedPacer?
        /// Where to capture; "any" sees every interface of the namespace.
        public var interface: String = "any"
        /// If set, every captured packet goes to this pcapng, commented "test ttl 5" etc.
        public var pcapPath: String?
        /// Stop after the TTL at which the control reached the server (see `reachedEnd`).
        public var stopEarly = true
        /// The connections' local port; 0 takes an ephemeral one (see `KernelConnection`).
        public var sourcePort: UInt16 = 0

        public init(target: IPAddress, port: UInt16, test: Payload, control: Payload, ttls: ClosedRange<Int>) {
            self.target = target
            self.port = port
            self.test = test
            self.control = control
            self.ttls = ttls
        }
    }

    /// One TTL's pair of observations.
    public typealias Step = PayloadStep

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case capture(LiveCaptureError)
        case pcap(CaptureFileError)
        case payload(String)

        public var description: String {
            switch self {
            case .capture(let e): return e.description
            case .pcap(let e): return e.description
            case .payload(let why): return why
            }
        }
    }

    /// Whether TTLs past this step add nothing: the control got an ACK or data from the
    /// target itself, and the test got something other than time exceeded (it too went
    /// as far as it will go — a reset, a blockpage, the server's answer, or silence).
    /// Also when neither could connect: the handshake goes at full TTL, so higher TTLs
    /// would fail alike.
    public static func reachedEnd(_ step: Step, target: IPAddress) -> Bool {
        let c = step.control
        if c.outcome == .notConnected, step.test.outcome == .notConnected { return true }
        return (c.outcome == .ack || c.outcome == .data) && c.from == target
            && step.test.outcome != .timeExceeded && step.test.outcome != .notConnected
    }

    /// Whether the last step shows connections failing after a test went as far as it will go:
    /// the control's handshake failed although earlier ones were made, and the test drew
    /// something other than time exceeded. A censor blocking every later connection
    /// (residual blocking) makes higher TTLs fail alike; the engine's controls after the
    /// sweep tell whether that is what happened.
    public static func cutByResidual(_ steps: [Step]) -> Bool {
        guard let last = steps.last, last.control.outcome == .notConnected,
              last.test.outcome != .timeExceeded, last.test.outcome != .notConnected else { return false }
        return steps.dropLast().contains { $0.control.outcome != .notConnected }
    }

    /// Runs the trace; `progress` is called after each TTL (for streaming output).
    public static func run(_ config: Configuration, progress: (Step) -> Void = { _ in }) throws(Failure) -> [Step] {
        guard let testBytes = config.test.bytes(seed: 1), let controlBytes = config.control.bytes(seed: 2) else {
            throw .payload("a TLS server name must be 1 to 253 bytes long")
        }
        var writer: PcapngWriter?
        var interfaces: [LinkType: Int] = [:]
        if let path = config.pcapPath {
            do { writer = try PcapngWriter(path: path) } catch { throw .pcap(error) }
        }
        var steps: [Step] = []
        for ttl in config.ttls {
            if !steps.isEmpty { sleep(config.pause) }
            let test = try connection(config, payload: testBytes, ttl: ttl)
            sleep(config.pause)
            let control = try connection(config, payload: controlBytes, ttl: ttl)
            if let writer {
                do {
                    for (label, packets) in [("test ttl \(ttl)", test.packets), ("control ttl \(ttl)", control.packets)] {
                        for p in packets {
                            let index: Int
                            if let i = interfaces[p.linkType] { index = i } else {
                                index = try writer.addInterface(linkType: p.linkType, name: config.interface)
                                interfaces[p.linkType] = index
                            }
                            try writer.write(data: p.data, timestamp: p.timestamp, originalLength: p.originalLength,
                                             interface: index, comment: label)
                        }
                    }
                } catch { throw .pcap(error) }
            }
            let step = Step(ttl: ttl, test: test.observation, control: control.observation)
            steps.append(step)
            progress(step)
            if config.stopEarly, reachedEnd(step, target: config.target) || cutByResidual(steps) { break }
        }
        if let writer { do { try writer.close() } catch { throw .pcap(error) } }
        return steps
    }

    /// One connection with `payload` at `ttl` (for a single probe, such as the agent's
    /// reverse connection): its observation and every packet captured on it.
    public static func probe(_ config: Configuration, payload: [UInt8], ttl: Int) throws(Failure)
        -> (observation: PayloadObservation, packets: [CapturedPacket])
    {
        try connection(config, payload: payload, ttl: ttl)
    }

    /// One connection: capture, handshake, TTL-limited payload, observation, RST.
    static func connection(_ config: Configuration, payload: [UInt8], ttl: Int) throws(Failure)
        -> (observation: PayloadObservation, packets: [CapturedPacket])
    {
        if let pacer = config.sharedPacer {
            let wait = max(pacer.reserve(), pacer.reserve())
            if wait > 0 { RunClock.sleep(min(wait, 3600)) }
        }
        let socket: KernelConnection
        do { socket = try KernelConnection(remote: config.target, port: config.port, localPort: config.sourcePort) } catch {
            return (.notConnected(error.description), [])
        }
        let flow = PayloadFlow(local: socket.local, localPort: socket.localPort, remote: config.target, remotePort: config.port)
        var settings = LiveCaptureConfiguration(interface: config.interface, filter: filter(flow))
        settings.snapLength = 65_535
        settings.bufferSize = 2 << 20
        let capture: LiveCapture
        do { capture = try LiveCapture(settings) } catch { throw .capture(error) }
        defer { capture.close() }
        var captured: [CapturedPacket] = []

        do { try socket.connect(timeout: config.connectTimeout) } catch {
            socket.abort()
            drain(capture, into: &captured, for: .milliseconds(20))
            var failed = PayloadObservation.notConnected(error.description)
            failed.sentAt = captured.first?.timestamp   // our SYN
            return (failed, captured)
        }
        do {
            try socket.setHopLimit(ttl)
            try socket.send(payload)
        } catch {
            socket.abort()
            drain(capture, into: &captured, for: .milliseconds(20))
            return (.notConnected("the connection was made but " + error.description), captured)
        }

        // Watch until `wait` is over, or `settle` after the first answer.
        let sent = ContinuousClock.now
        var deadline = sent.advanced(by: config.wait)
        var answered = false
        var observation = PayloadObservation(outcome: .timeout)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { break }
            let next: CapturedPacket?
            do { next = try capture.next(timeout: left) } catch { throw .capture(error) }
            guard let next else { break }
            captured.append(next)
            observation = classify(captured, flow: flow, length: payload.count)
            if !answered, observation.outcome != .timeout {
                answered = true
                deadline = min(deadline, ContinuousClock.now.advanced(by: config.settle))
            }
        }
        let socketView = socket.state()
        socket.abort()
        drain(capture, into: &captured, for: .milliseconds(20))   // our RST, for the pcap
        observation = classify(captured, flow: flow, length: payload.count)
        observation.socketError = socketView
        return (observation, captured)
    }

    /// The capture filter: this connection both ways, and ICMP errors addressed to us.
    static func filter(_ flow: PayloadFlow) -> String {
        let l = flow.local, r = flow.remote, lp = flow.localPort, rp = flow.remotePort
        let icmp: String
        if case .v6 = l { icmp = "icmp6 and dst host \(l)" } else { icmp = "icmp and dst host \(l)" }
        return "(tcp and src host \(l) and src port \(lp) and dst host \(r) and dst port \(rp))"
            + " or (tcp and src host \(r) and src port \(rp) and dst host \(l) and dst port \(lp))"
            + " or (\(icmp))"
    }

    /// Decodes the capture and classifies it; the data's seq is our SYN's ISN + 1.
    static func classify(_ captured: [CapturedPacket], flow: PayloadFlow, length: Int) -> PayloadObservation {
        let packets = captured.compactMap { c -> PayloadPacket? in
            guard let ip = (try? c.decode())?.ip else { return nil }
            return PayloadPacket(packet: ip, timestamp: c.timestamp)
        }
        let syn = packets.lazy.compactMap { flow.outgoing($0.packet) }.first { $0.flags.contains(.syn) && !$0.flags.contains(.ack) }
        let firstData = packets.lazy.compactMap { flow.outgoing($0.packet) }.first { !$0.payload.isEmpty }
        guard let seq = syn.map({ $0.sequenceNumber &+ 1 }) ?? firstData?.sequenceNumber else {
            return PayloadObservation(outcome: .timeout, socketError: "our own SYN was not captured")
        }
        return PayloadObservation.classify(flow: flow, dataSequence: seq, dataLength: length, packets: packets)
    }

    private static func drain(_ capture: LiveCapture, into captured: inout [CapturedPacket], for time: Duration) {
        let end = ContinuousClock.now.advanced(by: time)
        while case let left = ContinuousClock.now.duration(to: end), left > .zero,
              let p = try? capture.next(timeout: left) {
            captured.append(p)
        }
    }

    private static func sleep(_ d: Duration) {
        guard d > .zero else { return }
        var request = timespec(tv_sec: Int(d.components.seconds), tv_nsec: Int(d.components.attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
