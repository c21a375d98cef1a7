import ArgumentParser
import Capture
import Measurement
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
    @Option(name: .customLong("rate"), help: "Probes per second; 0 sends as fast as the socket takes them (default 500; investigate: the experiment's).")
    var rateOption: Double?

    @Option(name: .customLong("timeout"), help: "Seconds to wait for answers after the last probe (default 2; investigate: the experiment's).")
    var timeoutOption: Double?

    var rate: Double { rateOption ?? 500 }
    var timeout: Double { timeoutOption ?? 2 }

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

    /// How runs send and listen, as these options say.
    var settings: RunSettings {
        RunSettings(rate: rate > 0 ? rate : nil, timeout: .milliseconds(Int64(timeout * 1000)), interface: interface)
    }

    /// The run's configuration towards `destination`, from `source` out of the routed interface.
    func configuration(source: IPAddress, interface routed: String, destinations: [IPAddress]) -> RunConfiguration {
        settings.configuration(route: RouteInfo(source: source, interface: routed), destinations: destinations)
    }

    func evidenceFile() throws -> EvidenceFile? {
        guard let pcap else { return nil }
        do { return try EvidenceFile(path: pcap) } catch { throw UserError(error.description) }
    }
}

func reservedRangesAllowed(flag: Bool) -> Bool { ReservedRanges.allowed(flag: flag) }

extension ProbeTarget {
    /// The target of a probing command: resolved, refused if special-purpose unless allowed.
    init(_ host: String, options: RunOptions) throws {
        try self.init(host, allowReserved: options.reservedAllowed)
    }
}

/// Runs probes, turning the shell's errors into one sentence for the user.
func runProbes(_ probes: [Probe], _ configuration: RunConfiguration, _ evidence: EvidenceFile?,
               settled: ((Correlator) -> Bool)? = nil) throws -> CorrelatedRunResult {
    try LiveNetwork.correlate(probes, configuration, evidence, settled: settled)
}

/// A random value for identifiers (source ports, sequence numbers, echo ids).
func randomIdentifier<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type = T.self) -> T {
    var generator = SystemRandomNumberGenerator()
    return T.random(in: T.min...T.max, using: &generator)
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
