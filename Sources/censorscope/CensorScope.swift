import ArgumentParser

@main
struct CensorScope: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "censorscope",
        abstract: "Find out, with evidence, whether and how a service is blocked.",
        discussion: """
            Probes are built packet by packet, answers are matched by a libpcap sniffer, and \
            every verdict carries the packets that prove it. See Docs/ for data formats.
            """,
        version: version,
        subcommands: [Decode.self, ProbeCommand.self, TraceCommand.self, InvestigateCommand.self, AnalyzeCommand.self, ReportCommand.self, CampaignCommand.self, ServeCommand.self, RoutesCommand.self, AgentCommand.self, Lab.self]
    )
}
