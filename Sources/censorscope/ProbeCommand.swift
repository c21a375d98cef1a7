import ArgumentParser
import Capture
import JSONSupport
import Packets
import ProbeSession
import Probing
#if canImport(Glibc)
import Glibc
#endif

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Send shaped probes and report what answered, with each answer's fingerprint.",
        discussion: """
            Every answer is matched to the probe that caused it through identifiers the probe \
            carries (source port, sequence number, echo identifier, IP ID, the quoted header of \
            ICMP errors); nothing is attributed by guesswork. Probes are paced (--rate) and \
            special-purpose destinations are refused unless --allow-reserved is given. Needs \
            root or CAP_NET_RAW. JSON fields are documented in Docs/probing.md.
            """,
        subcommands: [ProbeSYN.self, ProbeICMP.self, ProbeUDP.self] + ProbeKindCommands.all + [ProbePayloadCommand.self]
    )
}

/// Options every probing command shares.
struct RunOptions: ParsableArguments {
    @Option(help: "Probes per second; 0 sends as fast as the socket takes them.")
    var rate: Double = 500

    @Option(help: "Seconds to wait for answers after the last probe.")
    var timeout: Double = 2

    @Option(help: "Write every packet sent and received to this pcapng file, each commented with its probe.")
    var pcap: String?

    @Option(help: "Capture on this interface instead of the one the route to the target uses.")
    var interface: String?

    @Flag(help: "Allow special-purpose destinations (private, loopback, documentation, benchmarking ranges…). Implied inside `lab exec`.")
    var allowReserved = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 or a positive number of probes per second") }
        guard timeout >= 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
    }

    var reservedAllowed: Bool { reservedRangesAllowed(flag: allowReserved) }

    /// The run's configuration towards `destination`, from `source` out of the routed interface.
    func configuration(source: IPAddress, interface routed: String, destinations: [IPAddress]) -> RunConfiguration {
        var c = RunConfiguration(interface: interface ?? routed,
                                 filter: CaptureFilter.forRun(source: source, destinations: destinations))
        c.rate = rate > 0 ? rate : nil
        c.burst = rate > 0 ? max(1, min(10, Int(rate / 100))) : 1
        c.timeout = .milliseconds(Int64(timeout * 1000))
        return c
    }

    func evidenceFile() throws -> EvidenceFile? {
        guard let pcap else { return nil }
        do { return try EvidenceFile(path: pcap) } catch { throw UserError(error.description) }
    }
}

/// `--allow-reserved`, or CENSORSCOPE_ALLOW_RESERVED=1, which `lab exec` sets.
func reservedRangesAllowed(flag: Bool) -> Bool {
    flag || getenv("CENSORSCOPE_ALLOW_RESERVED").map { String(cString: $0) == "1" } == true
}

/// Where probes go: the address (a name is resolved), refused if special-purpose unless allowed,
/// and the kernel's route to it.
struct ProbeTarget {
    var address: IPAddress
    var route: RouteInfo

    init(_ host: String, options: RunOptions) throws {
        guard let address = IPAddress(host) ?? Self.resolve(host) else {
            throw UserError("cannot resolve '\(host)': give an IPv4 or IPv6 address or a name the resolver knows")
        }
        if let refusal = SpecialPurposeRanges.refusal(for: address, allowReserved: options.reservedAllowed) {
            throw UserError(refusal)
        }
        self.address = address
        do { route = try Routing.route(to: address) } catch { throw UserError(error.description) }
    }

    static func resolve(_ host: String) -> IPAddress? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(first) }
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            if n.pointee.ai_family == AF_INET, let sa = n.pointee.ai_addr {
                let v = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                return .v4(IPv4Address(UInt32(bigEndian: v)))
            }
            if n.pointee.ai_family == AF_INET6, let sa = n.pointee.ai_addr {
                let bytes = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
                }
                if let a = IPv6Address(bytes: bytes) { return .v6(a) }
            }
            node = n.pointee.ai_next
        }
        return nil
    }
}

/// Runs probes, turning the shell's errors into one sentence for the user.
func runProbes(_ probes: [Probe], _ configuration: RunConfiguration, _ evidence: EvidenceFile?,
               settled: ((Correlator) -> Bool)? = nil) throws -> CorrelatedRunResult {
    do {
        let result = try CorrelatedRun.run(probes, configuration: configuration, evidence: evidence, settled: settled)
        try evidence?.close()
        return result
    } catch {
        try? evidence?.close()
        throw UserError(error.description)
    }
}

/// A random value for identifiers (source ports, sequence numbers, echo ids).
func randomIdentifier<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type = T.self) -> T {
    var generator = SystemRandomNumberGenerator()
    return T.random(in: T.min...T.max, using: &generator)
}

/// Source ports come from above the kernel's ephemeral range (32768–60999), so a probe's
/// port is never one of the host's own connections.
enum SourcePorts {
    static let range: ClosedRange<UInt16> = 61000...65535

    /// The i-th port of a run starting at `first`, wrapping within the range (past 4536
    /// probes ports repeat; the sequence numbers still keep probes apart).
    static func port(_ first: UInt16, _ i: Int) -> UInt16 {
        let base = Int(max(first, range.lowerBound)) - Int(range.lowerBound)
        let size = Int(range.upperBound) - Int(range.lowerBound) + 1
        return UInt16(Int(range.lowerBound) + (base + i) % size)
    }
}

func randomSourcePort() -> UInt16 { UInt16.random(in: SourcePorts.range) }

/// Milliseconds as traceroute prints them: three decimals.
func milliseconds(_ value: Double?) -> String {
    guard let value, value.isFinite, value >= 0 else { return "?" }
    let scaled = Int((value * 1000).rounded())
    let fraction = String(scaled % 1000)
    return "\(scaled / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
}

/// The result word of a probe from its first answer (`timeout` when nothing came back).
func resultWord(_ answer: Answer?) -> String {
    answer?.kind.resultWord ?? "timeout"
}

/// The `icmp` object of a result whose answer is an ICMP error.
func icmpDetail(_ answer: Answer?) -> JSONValue {
    guard let answer, let type = answer.fingerprint.icmpType else { return .null }
    return ["type": .number(type), "code": .optional(answer.fingerprint.icmpCode),
            "kind": .string(answer.kind.rawValue), "from": .string(answer.fingerprint.source.description)]
}

/// A one-line human summary of an answer's fingerprint.
func describe(_ f: Fingerprint) -> String {
    var parts = ["ttl \(f.ttl)"]
    if let id = f.ipID { parts.append("ip id \(id)") }
    parts.append(f.dontFragment ? "DF" : "no DF")
    if f.tos != 0 { parts.append("tos 0x" + String(f.tos, radix: 16)) }
    if let flags = f.flags { parts.append("flags \(flags.letters)") }
    if let w = f.window { parts.append("win \(w)") }
    if let o = f.options, !o.isEmpty { parts.append("options [" + o.joined(separator: ",") + "]") }
    if let t = f.icmpType { parts.append("icmp \(t)/\(f.icmpCode ?? 0)") }
    return parts.joined(separator: ", ")
}
