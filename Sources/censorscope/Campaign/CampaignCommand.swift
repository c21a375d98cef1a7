import ArgumentParser
import CampaignScheduler
import CampaignStore
import Packets
import SystemSupport

struct CampaignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Run an experiment script over a target list, resumably, into a SQLite file or a PostgreSQL database.",
        discussion: """
            --db is a file path (SQLite) or postgres://USER@HOST:PORT/NAME, also postgres://USER@/NAME?host=/socket/dir; \
            the password comes from PGPASSWORD or the passfile, TLS from ?sslmode=require or verify-full. Several vantages \
            may measure one campaign into one PostgreSQL database (run, then join). The script language, target lists and the \
            store are described in Docs/campaigns.md and Docs/campaign-store.md.
            Example: echo 198.51.100.7:443 | censorscope campaign run Probes/experiments/investigate.yaml --targets - --db c.db
            """,
        subcommands: [CampaignRunCommand.self, CampaignJoinCommand.self, CampaignResumeCommand.self, CampaignStatusCommand.self,
                      CampaignReportCommand.self, CampaignCompareCommand.self]
    )
}

/// How fast, as given on the command line (over the script's `pacing:`).
struct CampaignPacingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Probes per second over all targets together, or `max` (default: the script's, 100).", valueName: "rate"))
    var rate: String?

    @Option(help: "Targets measured at once (default: the script's, 8).")
    var parallel: Int?

    @Option(name: .customLong("evidence-dir"), help: "Also write each target's packets to DIR/ADDRESS-PORT.pcapng (the store keeps every answer either way).")
    var evidenceDirectory: String?

    @Option(help: ArgumentHelp("How items' first runs go out: `shared` (one run for many items, the default) or `alone` (one run per item).",
                               valueName: "how"))
    var openings: String = "shared"

    @Flag(help: "Print the final status as JSON (as `campaign status --json`).")
    var json = false

    @Flag(help: "No progress bar or progress lines.")
    var quiet = false

    func validate() throws {
        if let rate, rate != "max", Double(rate).map({ $0 >= 0.001 && $0 <= 1_000_000 }) != true {
            throw ValidationError("--rate must be a number of probes per second (0.001 to 1000000) or `max`")
        }
        if let parallel, !(1...256).contains(parallel) { throw ValidationError("--parallel must be 1 to 256") }
        if openings != "shared" && openings != "alone" { throw ValidationError("--openings must be `shared` or `alone`") }
    }

    var overrides: PacingOverrides {
        var o = PacingOverrides(rate: rate, parallel: parallel, evidenceDirectory: evidenceDirectory)
        o.sharedOpenings = openings == "shared"
        return o
    }

    /// Runs a session and prints its status; an interrupted or incomplete session exits non-zero.
    func execute(_ execution: CampaignExecution, into out: inout StandardOutput) throws {
        var execution = execution
        execution.quiet = quiet || json
        let result = try execution.execute()
        if json { out.json(result.status.json) } else { out.lines(result.status.textLines) }
        out.flush()
        guard let problem = result.problem(dbPath: execution.dbPath) else { return }
        if result.interrupted {
            printError(problem)
            throw ExitCode(130)
        }
        throw UserError(problem)
    }
}

struct CampaignRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start a campaign: validate SCRIPT and the targets, then measure every target and port.",
        discussion: """
            Everything is checked before any packet is sent: the script, the target list, names \
            (resolved once and recorded), special-purpose addresses (refused without \
            --allow-reserved). Targets are measured in a random order, in parallel, under one \
            global rate. Ctrl-C stops cleanly; `campaign resume --db FILE` continues after any \
            interruption, kill -9 included.
            Example: censorscope campaign run Probes/campaigns/telegram.yaml --targets targets.txt --db telegram.db
            """
    )

    @Argument(help: "The experiment script (YAML; see Probes/campaigns/).")
    var script: String

    @Option(help: "The target list: addresses, CIDRs, names, with :PORT or :PORT/udp, # comments; - reads standard input.")
    var targets: String

    @Option(help: "The store to create: a SQLite file, or an empty PostgreSQL database as postgres://USER@HOST:PORT/NAME.")
    var db: String

    @Option(help: "This vantage's name in the store (default: the host name).")
    var vantage: String?

    @Option(name: .customLong("max-targets"), help: "Refuse lists that expand to more addresses than this.")
    var maxTargets: Int = 65536

    @Option(help: "Seed of the random order (default: random; recorded either way).")
    var seed: UInt64?

    @Option(help: "Resolve names by DNS over UDP to this server instead of the system's resolver.")
    var resolver: String?

    @Option(name: .customLong("asn-db"), help: "An iptoasn TSV or CAIDA pfx2as file: the vantage's ASN, and hop ASNs for scripts with the asn analysis.")
    var asnDatabase: String?

    @Flag(name: .customLong("allow-reserved"), help: "Allow targets in special-purpose ranges (RFC 6890), such as the lab's.")
    var allowReserved = false

    @OptionGroup var pacing: CampaignPacingOptions

    func validate() throws {
        guard (1...10_000_000).contains(maxTargets) else { throw ValidationError("--max-targets must be 1 to 10000000") }
        if let vantage, let problem = VantageName.problem(vantage) { throw ValidationError(problem) }
        if let resolver, IPAddress(resolver) == nil { throw ValidationError("--resolver must be an IPv4 or IPv6 address") }
    }

    func run() throws {
        try runReportingUserErrors { out in
            var request = CampaignRequest(script: script, targets: targets, db: db, maxTargets: maxTargets, seed: seed,
                                          resolver: resolver.flatMap(IPAddress.init), asnDatabase: asnDatabase, allowReserved: allowReserved,
                                          overrides: pacing.overrides, command: CommandLine.arguments.joined(separator: " "),
                                          softwareVersion: CensorScope.version)
            if let vantage { request.vantage = vantage }
            let setup = try CampaignSetup.prepare(request, warn: printWarning)
            try pacing.execute(CampaignExecution(setup: setup, request: request), into: &out)
        }
    }
}

struct CampaignResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a campaign after any interruption: only unfinished targets are measured.",
        discussion: """
            The store is checked before a packet goes: every unfinished target must be what its \
            own target line gives under the stored script, and targets in special-purpose ranges \
            need --allow-reserved now, whatever the store says the campaign was made with.
            Example: censorscope campaign resume --db telegram.db
            """)

    @Option(help: "The campaign's store: a SQLite file or a PostgreSQL URL.")
    var db: String

    @Option(help: "The vantage to continue (default: the host name's, or the campaign's only vantage).")
    var vantage: String?

    @OptionGroup var session: CampaignSessionOptions

    func validate() throws {
        if let vantage, let problem = VantageName.problem(vantage) { throw ValidationError(problem) }
    }

    func run() throws {
        try session.execute(db: db, vantage: vantage.map { .existing($0) } ?? .resumeDefault)
    }
}

/// What a later session (resume, join) is given besides the store and the vantage.
struct CampaignSessionOptions: ParsableArguments {
    @Flag(name: .customLong("allow-reserved"), help: "Allow targets in special-purpose ranges (RFC 6890), such as the lab's.")
    var allowReserved = false

    @Option(name: .customLong("asn-db"), help: "An iptoasn TSV or CAIDA pfx2as file, for scripts with the asn analysis.")
    var asnDatabase: String?

    @OptionGroup var pacing: CampaignPacingOptions

    /// Runs the session and prints its status.
    func execute(db: String, vantage: VantageChoice) throws {
        try runReportingUserErrors { out in
            let execution = try CampaignExecution.resume(db: db, vantage: vantage, overrides: pacing.overrides, asnDatabase: asnDatabase,
                                                         allowReserved: allowReserved, command: CommandLine.arguments.joined(separator: " "),
                                                         softwareVersion: CensorScope.version, warn: printWarning)
            try pacing.execute(execution, into: &out)
        }
    }
}

struct CampaignStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "How far a campaign is: targets done and left, verdict totals, sessions, vantage.",
        discussion: "Example: censorscope campaign status --db telegram.db --json")

    @Option(help: "The campaign's store: a SQLite file or a PostgreSQL URL.")
    var db: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try runReportingUserErrors { out in
            let status = try storeCall { try CampaignStore.open(at: db).status() }
            if json { out.json(status.json) } else { out.lines(status.textLines) }
        }
    }
}
