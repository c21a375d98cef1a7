import ArgumentParser
import CampaignScheduler
import Measurement
import Reports

struct CampaignReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "A campaign's verdicts as a report: json (JSON Lines, one verdict object per vantage, target and port), ooni, csv, md or html.",
        discussion: """
            json: each verdict object is what `investigate --json` prints for that target and port \
            (Docs/verdicts.md), with the vantage's name in its `vantage` object; ooni and csv are those \
            of `censorscope report`. md and html give the campaign overview: whether it is complete, \
            totals by verdict, the devices (blocked targets grouped by where and how they are blocked), \
            the blocked targets by port, prefix and AS (with --asn-db), then one row per target \
            (Docs/reports.md); md adds the comparison across vantages when there are several.
            Example: censorscope campaign report --db telegram.db --format html > telegram.html
            """)

    @Option(help: "The campaign's store: a SQLite file or a PostgreSQL URL.")
    var db: String

    @Option(help: "json, ooni, csv, md or html.")
    var format: String

    @Option(help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(name: .customLong("asn-db"),
            help: ArgumentHelp("md and html: count blocked targets by AS from this file (an iptoasn.com TSV or a CAIDA pfx2as file).",
                               valueName: "file"))
    var asnDatabase: String?

    func validate() throws {
        guard let f = ReportFormat(rawValue: format), f != .pcapng else {
            throw ValidationError("unknown format '\(format)'; use json, ooni, csv, md or html")
        }
    }

    func run() throws {
        try runReportingUserErrors { out in
            guard let format = ReportFormat(rawValue: format) else { throw UserError("unknown format '\(self.format)'") }
            let database = try asnDatabase.map { path throws(MeasurementError) in try ASNLoading.load(path, warn: printWarning) }
            let text = try CampaignReport.text(db: db, format: format, asnDatabase: database)
            if let text = try ReportJob.deliver(text, to: output) { out.line(text) }
        }
    }
}
