import Packets
import ProbeSession
import Probing
import Records
import Analysis

/// One Paris traceroute as `trace` runs it: by the command, and by the agent towards its requester.
public struct TraceJob: Sendable {
    public var target: ProbeTarget
    public var method: TraceMethod
    public var port: UInt16?
    /// The SYN variant's name (tcp).
    public var variant: String = "mss"
    public var size: Int?
    public var firstTTL = 1
    public var maxTTL = 30
    public var queries = 1
    public var gap = 5
    public var sport: UInt16?
    public var settings: RunSettings
    /// Every packet of the run goes to this pcapng when set.
    public var pcap: String?
    public var ids: IdentifierSource
    /// Where answers are read; nil: raw sockets, or the capture when `pcap` keeps evidence.
    public var receiver: RunConfiguration.Receiver?

    public init(target: ProbeTarget, method: TraceMethod, port: UInt16? = nil, variant: String = "mss", size: Int? = nil,
                firstTTL: Int = 1, maxTTL: Int = 30, queries: Int = 1, gap: Int = 5, sport: UInt16? = nil,
                settings: RunSettings = RunSettings(), pcap: String? = nil, ids: IdentifierSource = .random(),
                receiver: RunConfiguration.Receiver? = nil) {
        self.target = target
        self.method = method
        self.port = port
        self.variant = variant
        self.size = size
        self.firstTTL = firstTTL
        self.maxTTL = maxTTL
        self.queries = queries
        self.gap = gap
        self.sport = sport
        self.settings = settings
        self.pcap = pcap
        self.ids = ids
        self.receiver = receiver
    }

    /// What a run gave, and its record.
    public struct Outcome: Sendable {
        public var job: TraceJob
        public var trace: Trace
        public var probes: [Probe]
        public var result: CorrelatedRunResult
        public var elapsed: Duration

        public var flowPorts: (UInt16, UInt16)? {
            probes.first.flatMap { p -> (UInt16, UInt16)? in
                if let t = p.packet.transport.tcp { return (t.sourcePort, t.destinationPort) }
                if let u = p.packet.transport.udp { return (u.sourcePort, u.destinationPort) }
                return nil
            }
        }

        /// Every address that answered, hop by hop: what hop enrichment looks up.
        public var addresses: [IPAddress] { trace.hops.flatMap { $0.responses.map(\.address) } }

        /// The trace as `trace --json` prints it and the agent serves it.
        public var record: TraceRecord {
            let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
            return trace.record(target: job.target.address, source: job.target.route.source, method: job.method.rawValue,
                                port: flowPorts?.1, sourcePort: flowPorts?.0, variant: job.method == .tcp ? job.variant : nil,
                                probeSize: probes.first?.bytes.count, probesSent: result.statistics.sent,
                                answers: result.correlator.counts.answers, durationMilliseconds: ms.rounded())
        }
    }

    /// Probes a trace sends at once before `--rate` paces it: a 30-hop trace, one query each.
    static let firstRound = 32

    /// Runs the trace; the evidence goes to `options.pcap` when set.
    public func run() throws(MeasurementError) -> Outcome {
        let ipv6: Bool
        if case .v6 = target.address { ipv6 = true } else { ipv6 = false }
        var shape: TCPProbeShape?
        if method == .tcp {
            guard let v = SYNVariant(rawValue: variant) else { throw MeasurementError("unknown variant '\(variant)'; use bare, mss, linux, windows or macos") }
            var s = TCPProbeShape.variant(v, ipv6: ipv6)
            s.size = size
            shape = s
        }
        let plan: TracePlan
        let probes: [Probe]
        var ids = self.ids
        do {
            plan = try TracePlan(method: method, source: target.route.source, destination: target.address,
                                 destinationPort: port, sourcePort: sport ?? ids.sourcePort(), shape: shape,
                                 firstTTL: firstTTL, maxTTL: maxTTL, queries: queries, seed: ids.next())
            probes = try plan.probes()
        } catch { throw MeasurementError("\(error)") }
        var configuration = settings.configuration(route: target.route, destinations: [target.address])
        // One TTL per router: a trace's first round goes at once (as traceroute's 16 in
        // flight), each probe to a different hop; --rate paces what follows.
        configuration.burst = max(configuration.burst, min(probes.count, Self.firstRound))
        // Sockets as traceroute reads them: a capture's set-up and tear-down cost more than the
        // trace itself on a short path. Evidence needs the capture (our probes leaving too).
        configuration.receiver = receiver ?? (pcap == nil ? .sockets : .capture)
        let destination = target.address
        let started = ContinuousClock.now
        let result = try LiveNetwork.correlate(probes, configuration, try EvidenceFile.opening(pcap)) { c in
            TraceAssembler.isSettled(probes: probes, answers: { c.answers(for: $0) }, destination: destination)
        }
        let elapsed = ContinuousClock.now - started
        let trace = TraceAssembler.assemble(probes: probes, answers: { result.answers(for: $0) },
                                            destination: destination, gapLimit: gap)
        return Outcome(job: self, trace: trace, probes: probes, result: result, elapsed: elapsed)
    }
}
