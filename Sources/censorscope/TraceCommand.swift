import ArgumentParser
import JSONSupport
import Packets
import ProbeSession
import Probing

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Paris traceroute over TCP SYN, ICMP echo or UDP, every TTL in flight at once.",
        discussion: """
            The flow identifier stays constant across TTLs (same ports; same ICMP checksum), so \
            load balancers keep the probes on one path; each TTL's probe is told apart by its \
            TCP sequence number, UDP checksum or ICMP sequence, and its IP ID. All TTLs are \
            sent at once under --rate, so a trace takes about one round trip plus --timeout \
            for silent hops. The trace ends at the destination, at an ICMP unreachable, after \
            --gap silent hops, or at --max-ttl. For TCP the SYN is shaped like `probe syn` \
            (--variant, default mss: the 44-byte SYN of traceroute -T -O syn).
            """
    )

    @Argument(help: "The target address or name.")
    var host: String

    @Option(help: "tcp, icmp or udp.")
    var method: String = "tcp"

    @Option(help: "Destination port (tcp: 80, udp: 33434).")
    var port: UInt16?

    @Option(help: "SYN variant for --method tcp: bare, mss, linux, windows, macos.")
    var variant: String = "mss"

    @Option(help: "Pad TCP probes to this many bytes.")
    var size: Int?

    @Option(help: "First TTL.")
    var firstTTL: Int = 1

    @Option(help: "Largest TTL.")
    var maxTTL: Int = 30

    @Option(help: "Probes per TTL.")
    var queries: Int = 1

    @Option(help: "Stop after this many silent hops in a row.")
    var gap: Int = 5

    @Option(help: "Source port of the flow (default random).")
    var sport: UInt16?

    @OptionGroup var common: RunOptions

    @OptionGroup var enrichment: HopEnrichmentOptions

    func validate() throws {
        guard let m = TraceMethod(rawValue: method) else { throw ValidationError("unknown method '\(method)'; use tcp, icmp or udp") }
        if m == .tcp, SYNVariant(rawValue: variant) == nil {
            throw ValidationError("unknown variant '\(variant)'; use bare, mss, linux, windows or macos")
        }
        guard (1...255).contains(firstTTL), (1...255).contains(maxTTL), firstTTL <= maxTTL else {
            throw ValidationError("TTLs must be between 1 and 255 with --first-ttl at most --max-ttl")
        }
        guard (1...10).contains(queries) else { throw ValidationError("--queries must be between 1 and 10") }
        guard (1...255).contains(gap) else { throw ValidationError("--gap must be between 1 and 255") }
    }

    func run() throws {
        try runReportingUserErrors { try trace(&$0) }
    }

    private func trace(_ out: inout StandardOutput) throws {
        let asnDatabase = try enrichment.loadDatabase()   // a bad file stops us before any probe
        let target = try ProbeTarget(host, options: common)
        let method = TraceMethod(rawValue: method)!
        let ipv6: Bool
        if case .v6 = target.address { ipv6 = true } else { ipv6 = false }
        var shape: TCPProbeShape?
        if method == .tcp {
            var s = TCPProbeShape.variant(SYNVariant(rawValue: variant)!, ipv6: ipv6)
            s.size = size
            shape = s
        }
        let plan: TracePlan
        let probes: [Probing.Probe]
        do {
            plan = try TracePlan(method: method, source: target.route.source, destination: target.address,
                                 destinationPort: port, sourcePort: sport ?? randomSourcePort(), shape: shape,
                                 firstTTL: firstTTL, maxTTL: maxTTL, queries: queries, seed: randomIdentifier())
            probes = try plan.probes()
        } catch { throw UserError("\(error)") }
        let configuration = common.configuration(source: target.route.source, interface: target.route.interface,
                                              destinations: [target.address])
        let destination = target.address
        let started = ContinuousClock.now
        let result = try runProbes(probes, configuration, try common.evidenceFile()) { c in
            TraceAssembler.isSettled(probes: probes, answers: { c.answers(for: $0) }, destination: destination)
        }
        let elapsed = ContinuousClock.now - started
        let trace = TraceAssembler.assemble(probes: probes, answers: { result.answers(for: $0) },
                                            destination: destination, gapLimit: gap)
        let annotations = enrichment.isActive
            ? enrichment.annotations(for: trace.hops.flatMap { $0.responses.map(\.address) }, database: asnDatabase) : [:]
        let first = probes.first
        let flowPorts = first.flatMap { p -> (UInt16, UInt16)? in
            if let t = p.packet.transport.tcp { return (t.sourcePort, t.destinationPort) }
            if let u = p.packet.transport.udp { return (u.sourcePort, u.destinationPort) }
            return nil
        }
        if common.json {
            var fields: [(key: String, value: JSONValue)] = [
                ("target", .string(destination.description)),
                ("source", .string(target.route.source.description)),
                ("method", .string(method.rawValue)),
                ("port", .optional(flowPorts?.1)),
                ("sport", .optional(flowPorts?.0)),
                ("variant", method == .tcp ? .string(variant) : .null),
                ("probe_size", .optional(first?.bytes.count)),
            ]
            fields += enrichment.annotating(trace.hopsJSON, annotations)
            fields += [
                ("probes_sent", .number(result.statistics.sent)),
                ("answers", .number(result.correlator.counts.answers)),
                ("duration_ms", .double((Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000).rounded())),
            ]
            out.json(.object(fields))
        } else {
            let what: String
            switch method {
            case .tcp: what = "tcp port \(flowPorts?.1 ?? 0), \(first?.bytes.count ?? 0)-byte SYN (\(variant))"
            case .udp: what = "udp port \(flowPorts?.1 ?? 0), \(first?.bytes.count ?? 0)-byte packets"
            case .icmp: what = "icmp echo, \(first?.bytes.count ?? 0)-byte packets"
            }
            out.line("trace to \(destination) from \(target.route.source), \(maxTTL) hops max, \(what)")
            for hop in trace.hops { out.line(Self.line(hop) { enrichment.text(for: $0, annotations) }) }
            out.line("\(trace.stopReason): \(result.statistics.sent) probes, \(result.correlator.counts.answers) answers")
        }
    }

    /// One hop as traceroute prints it: ` 3  198.18.3.2  0.438 ms`, `*` when silent, a
    /// new address printed whenever it changes, and the answer kind at the end of the path.
    static func line(_ hop: TraceHop, address: (IPAddress) -> String = { $0.description }) -> String {
        var text = (hop.ttl < 10 ? " " : "") + "\(hop.ttl) "
        if hop.responses.isEmpty { return text + " *" }
        var last: IPAddress?
        var shown = Set<Int>()
        // One answer per probe, like traceroute; the rest (e.g. a server's challenge ACK to a
        // later SYN of the same flow) are in the JSON.
        for response in hop.responses where shown.insert(response.probeIndex).inserted {
            if response.address != last {
                text += " " + address(response.address)
                last = response.address
            }
            text += "  \(milliseconds(response.rttMilliseconds)) ms"
            switch response.kind {
            case .timeExceeded: break
            case .unreachable:
                text += " " + unreachableMark(response.fingerprint)
            default: text += " [\(response.kind.rawValue)]"
            }
        }
        return text
    }

    /// traceroute's marks for unreachable codes.
    static func unreachableMark(_ f: Fingerprint) -> String {
        let code = f.icmpCode ?? 0
        let v6: Bool
        if case .v6 = f.source { v6 = true } else { v6 = false }
        if v6 {
            switch code { case 0: return "!N"; case 1: return "!X"; case 3: return "!H"; default: return "!<\(code)>" }
        }
        switch code {
        case 0: return "!N"
        case 1: return "!H"
        case 2: return "!P"
        case 4: return "!F"
        case 9, 10, 13: return "!X"
        default: return "!<\(code)>"
        }
    }
}
