import ArgumentParser
import Reports
import SystemSupport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Turn investigation results (JSON) into a report: json, ooni, csv, md, html or pcapng.",
        discussion: """
            RESULT is a file holding one result object of `censorscope investigate --json`, a \
            JSON array of them, or JSON Lines (one per line); `-` reads standard input. The \
            report goes to standard output unless --output is given; pcapng (the evidence \
            packets, each annotated with the claim it proves) needs --output. See Docs/reports.md.
            Example: censorscope investigate example.org --json | censorscope report - --format md
            """
    )

    @Argument(help: "The results file, or - for standard input.")
    var result: String

    @Option(help: "json, ooni, csv, md, html or pcapng.")
    var format: String

    @Option(help: "Write the report to this file instead of standard output.")
    var output: String?

    func validate() throws {
        guard let f = ReportFormat(rawValue: format) else {
            throw ValidationError("unknown format '\(format)'; use json, ooni, csv, md, html or pcapng")
        }
        if f == .pcapng, output == nil { throw ValidationError("the pcapng format is binary: give --output FILE") }
    }

    func run() throws {
        try runReportingUserErrors { out in
            guard let format = ReportFormat(rawValue: format) else { throw UserError("unknown format '\(self.format)'") }
            let records = try InvestigationReader.read(bytes: try FileBytes.read(result), name: result == "-" ? "standard input" : result)
            if let text = try ReportJob.run(records, format: format, output: output, warn: printWarning) { out.line(text) }
        }
    }
}
