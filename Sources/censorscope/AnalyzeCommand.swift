import Analysis
import ArgumentParser
import TextViews

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Say from a payload sweep's capture (ours or CenTrace's) whether and where a censor answers.",
        discussion: """
            TEST.pcap holds a payload sweep: per TTL a fresh connection, then one HTTP request \
            or TLS ClientHello with its IP TTL limited to that TTL (`probe payload --pcap`, or \
            CenTrace). With --control, CONTROL.pcap holds the same sweep for an innocuous \
            domain. Without it, a capture holding two sweeps (ours: test and control \
            interleaved) is split; a single sweep is described alone. See Docs/analyze.md.
            Example: censorscope analyze blocked.pcap --control example.pcap --json
            """
    )

    @Argument(help: "The test sweep's pcap or pcapng file.")
    var test: String

    @Option(name: .long, help: "The control sweep's pcap or pcapng file.")
    var control: String?

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @Option(name: .customLong("color"), help: "auto (on a terminal, unless NO_COLOR is set), always or never.")
    var color: ColourChoice = .auto

    func run() throws {
        try runReportingFinding { out in
            let pair = try SweepPair(test: test, control: control)
            if json { out.json(pair.record.json) } else { out.lines(Colouring(color).lines(SweepText.lines(pair))) }
            return Finding(pair.comparison.outcome)
        }
    }
}
