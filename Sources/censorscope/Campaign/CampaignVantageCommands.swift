import ArgumentParser
import CampaignScheduler

struct CampaignJoinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Add this machine as a new vantage of an existing campaign and measure every target from here.",
        discussion: """
            The campaign's stored script, targets, order and seed are used, as by resume; results are kept \
            per vantage, target and port. Meant for a PostgreSQL store that several vantages write to at once; \
            after an interruption, continue with `campaign resume --db URL --vantage NAME`.
            Example: censorscope campaign join --db postgres://censor@db.example.org/telegram --vantage isp-b
            """)

    @Option(help: "The campaign's store: a PostgreSQL URL (or a SQLite file).")
    var db: String

    @Option(help: "The new vantage's name, unique in the campaign.")
    var vantage: String

    @OptionGroup var session: CampaignSessionOptions

    func validate() throws {
        if let problem = VantageName.problem(vantage) { throw ValidationError(problem) }
    }

    func run() throws {
        try session.execute(db: db, vantage: .join(vantage))
    }
}

struct CampaignCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Each target and port's verdict from every vantage; flags those blocked at one vantage and reachable at another.",
        discussion: """
            A target silent from every vantage (drop, host-down, unreachable) is a host that is down or unreachable, \
            not censorship, and is not flagged. --json prints JSON Lines: target, port, verdicts {vantage: verdict}, \
            flagged, summary, and for flagged rows the evidence from each vantage.
            Example: censorscope campaign compare --db postgres://censor@db.example.org/telegram --json
            """)

    @Option(help: "The campaign's store: a SQLite file or a PostgreSQL URL.")
    var db: String

    @Flag(help: "Print JSON Lines.")
    var json = false

    func run() throws {
        try runReportingUserErrors { out in
            let rows = try CampaignComparison.rows(db: db)
            if json {
                for row in rows { out.json(row.json) }
            } else {
                out.lines(rows.map(\.textLine))
                out.line("\(rows.filter(\.flagged).count) of \(rows.count) targets and ports flagged")
            }
        }
    }
}
