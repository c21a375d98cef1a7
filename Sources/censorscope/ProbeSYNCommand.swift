import ArgumentParser
import Measurement
import Probing
import TextViews

struct ProbeSYN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syn",
        abstract: "Send TCP SYNs shaped like an OS's (or any shape) and classify the answers.",
        discussion: """
            Variants (IPv4 packet sizes): bare 40 (no options), mss 44 (MSS only, what \
            traceroute -T -O syn sends), linux 60, windows 52, macos 64. --size pads a variant \
            (end-of-option-list bytes first, then payload); --options replaces its option list. \
            An ICMP echo to the same host is sent alongside as a reference for the host's own \
            TTL (--no-reference to skip): an answer is reported as injected when its hop \
            distance disagrees with the host's, or when no conforming stack could have sent it \
            (a RST without ACK answering a SYN).
            Example: censorscope probe syn example.org --port 80 --variant linux --count 3 --json
            """
    )

    @Argument(help: "The target address or name.")
    var host: String

    @Option(help: "Destination port.")
    var port: UInt16 = 80

    @Option(help: "bare, mss, linux, windows or macos.")
    var variant: String = "linux"

    @Option(help: "Pad the packet to this many bytes (IP header included).")
    var size: Int?

    @Option(help: "Replace the variant's options, e.g. mss=1460,sackOK,ts,nop,wscale=7 (empty for none).")
    var options: String?

    @Option(help: "TCP flags as letters.")
    var flags: String = "S"

    @Option(help: "TCP window (default: the variant's).")
    var window: UInt16?

    @Option(help: "Payload carried in the SYN, as hex.")
    var payloadHex: String?

    @Option(help: "IP TTL / hop limit.")
    var ttl: UInt8 = 64

    @Option(help: "IPv4 TOS / IPv6 traffic class.")
    var tos: UInt8 = 0

    @Option(help: "Number of probes (each from its own source port).")
    var count: Int = 1

    @Option(help: "First source port (default random above the kernel's ephemeral range).")
    var sport: UInt16?

    @Flag(help: "Do not send the ICMP echo that gives the host's own TTL.")
    var noReference = false

    @OptionGroup var common: RunOptions

    func validate() throws {
        guard SYNVariant(rawValue: variant) != nil else {
            throw ValidationError("unknown variant '\(variant)'; use bare, mss, linux, windows or macos")
        }
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000") }
        guard ttl >= 1 else { throw ValidationError("--ttl must be at least 1") }
    }

    func run() throws {
        try runReportingFinding { out in
            let run = try common.run(to: host)
            let shape = try SYNProbeJob.shape(variant: SYNVariant(rawValue: variant) ?? .linux, ipv6: run.target.isIPv6, options: options,
                                              flags: flags, window: window, payloadHex: payloadHex, size: size, tos: tos)
            let job = SYNProbeJob(setup: run, port: port, variant: variant, shape: shape, ttl: ttl, count: count, sourcePort: sport,
                                  reference: !noReference)
            let outcome = try job.run()
            if common.json { for r in outcome.results { out.json(r.record.json) } } else {
                out.lines(common.colouring.lines(ProbeText.lines(outcome, job: job, timeout: common.timeout)))
            }
            return Finding(probes: outcome.results.map(\.record))
        }
    }
}
