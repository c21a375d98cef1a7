import ArgumentParser
import CampaignScheduler
import Reports

struct CampaignReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "A campaign's verdicts as a report: json (JSON Lines, one verdict object per target and port), ooni, csv, md or html.",
        discussion: """
            Each verdict object is what `investigate --json` prints for that target and port (Docs/verdicts.md); the other formats are those of `censorscope report` (Docs/reports.md).
            Example: censorscope campaign report --db telegram.db --format html > telegram.html
            """)

    @Option(help: "The campaign's SQLite store.")
    var db: String

    @Option(help: "json, ooni, csv, md or html.")
    var format: String

    @Option(help: "Write the report to this file instead of standard output.")
    var output: String?

    func validate() throws {
        guard let f = ReportFormat(rawValue: format), f != .pcapng else {
            throw ValidationError("unknown format '\(format)'; use json, ooni, csv, md or html")
        }
    }

    func run() throws {
        try runReportingUserErrors { out in
            guard let format = ReportFormat(rawValue: format) else { throw UserError("unknown format '\(self.format)'") }
            if let text = try ReportJob.deliver(try CampaignReport.text(db: db, format: format), to: output) { out.line(text) }
        }
    }
}
