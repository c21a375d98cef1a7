import ArgumentParser
import Measurement
import SystemSupport

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
            Example: censorscope probe syn example.org --port 443 --variant windows
            """,
        subcommands: [ProbeSYN.self, ProbeICMP.self, ProbeUDP.self] + ProbeKindCommands.all + [ProbePayloadCommand.self]
    )
}

/// Options every probing command shares.
struct RunOptions: ParsableArguments {
    @Option(name: .customLong("rate"), parsing: .unconditional, help: "Probes per second; 0 sends as fast as the socket takes them (default 500; investigate: the experiment's).")
    var rateOption: Double?

    @Option(name: .customLong("timeout"), parsing: .unconditional, help: "Seconds to wait for answers after the last probe (default 2; investigate: the experiment's).")
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

    @Flag(name: .shortAndLong, help: "Also print progress when standard error is not a terminal (one line per phase).")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Print no progress (it is shown on a terminal for runs over a second).")
    var quiet = false

    @Option(name: .customLong("color"), help: "auto (on a terminal, unless NO_COLOR is set), always or never.")
    var color: ColourChoice = .auto

    var colouring: Colouring { Colouring(color) }

    func validate() throws {
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 or a positive number of probes per second") }
        guard timeout >= 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
        if verbose, quiet { throw ValidationError("give at most one of -v and -q") }
    }

    /// How runs send and listen, as these options say.
    var settings: RunSettings {
        RunSettings(rate: rate > 0 ? rate : nil, timeout: .milliseconds(Int64(timeout * 1000)), interface: interface)
    }

    /// The target of a probing command: resolved, refused if special-purpose unless allowed.
    /// The --pcap path is checked here too, before the first packet, so a typo does not
    /// throw away a run's results.
    func target(_ host: String) throws -> ProbeTarget {
        if let pcap { try FileBytes.checkWritable(pcap, what: "the evidence file") }
        return try ProbeTarget(host, allowReserved: ReservedRanges.allowed(flag: allowReserved))
    }

    /// A probe command's run towards `host`.
    func run(to host: String) throws -> ProbeRun { ProbeRun(target: try target(host), settings: settings, pcap: pcap) }
}
