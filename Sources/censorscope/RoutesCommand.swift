import Analysis
import ArgumentParser
import Measurement
import Packets
import Reports
import SystemSupport
import TextViews

struct RoutesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "Compare traced paths.",
        discussion: "Example: censorscope trace example.org --both --agent URL --token T --json > both.json && censorscope routes compare both.json",
        subcommands: [RoutesCompareCommand.self]
    )
}

struct RoutesCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Set a forward path against a reverse one: asymmetry, AS paths, where the censor sits each way.",
        discussion: """
            FORWARD is a trace from the client to the server, REVERSE one from the server back \
            to the client, each the output of `censorscope trace --json` or `investigate --json`, \
            a RIPE Atlas traceroute result, scamper JSON (sc_warts2json), `mtr --json` or \
            `traceroute` text; the format is told from the content. A `trace --both --json` file \
            holds both: give it alone. Hops match by address, else by /24 (IPv4) or /64 (IPv6) \
            subnet, since routers answer from another interface in each direction. See Docs/routes.md.
            Example: censorscope routes compare forward.json reverse.txt --asn-db ip2asn-combined.tsv
            """
    )

    @Argument(help: ArgumentHelp("The forward trace (client to server), or - for standard input.", valueName: "forward"))
    var forward: String

    @Argument(help: ArgumentHelp("The reverse trace (server to client); omit when FORWARD is a trace --both result.", valueName: "reverse"))
    var reverse: String?

    @Option(name: .customLong("asn-db"),
            help: ArgumentHelp("AS numbers from this file: an iptoasn.com TSV or a CAIDA pfx2as file, uncompressed.", valueName: "file"))
    var asnDatabase: String?

    @Option(help: ArgumentHelp("The censor's address (default: location.address of an investigate --json FORWARD).", valueName: "address"))
    var censor: String?

    @Option(help: "auto, censorscope, atlas, scamper, mtr or traceroute (both files).")
    var format: String = "auto"

    @Option(help: ArgumentHelp("Which half of a trace --both file to read: forward or reverse (default: the argument's role).", valueName: "direction"))
    var direction: String?

    @Option(help: ArgumentHelp("Which result (0-based) of a file holding several: Atlas arrays, JSON Lines, several traceroutes.", valueName: "n"))
    var index: Int?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: ArgumentHelp("Also write a self-contained HTML page with both paths drawn.", valueName: "file"))
    var html: String?

    func validate() throws {
        if format != "auto", RouteFormat(rawValue: format) == nil {
            throw ValidationError("unknown format '\(format)'; use auto, censorscope, atlas, scamper, mtr or traceroute")
        }
        if let censor, IPAddress(censor) == nil { throw ValidationError("--censor '\(censor)' is not an IPv4 or IPv6 address") }
        if let direction, RouteDirection(rawValue: direction) == nil {
            throw ValidationError("unknown direction '\(direction)'; use forward or reverse")
        }
        if direction != nil, reverse == nil {
            throw ValidationError("--direction picks one half of a trace --both file for each argument; with one file both halves are read")
        }
        if let index, index < 0 { throw ValidationError("--index must be 0 or more") }
        if forward == "-", reverse == "-" { throw ValidationError("only one of FORWARD and REVERSE can be standard input") }
    }

    func run() throws {
        try runReportingUserErrors { out in
            let database = try asnDatabase.map { path throws(MeasurementError) in try ASNLoading.load(path, warn: printWarning) }
            let pair = try RoutePair(forward: forward, reverse: reverse, format: RouteFormat(rawValue: format),
                                     direction: direction.flatMap(RouteDirection.init(rawValue:)), index: index, asn: database,
                                     censor: censor.flatMap(IPAddress.init), read: FileBytes.read)
            let record = pair.record
            if let html {
                try FileBytes.write(html, Array(RoutesHTML.render(record, title: "Routes: \(pair.forwardName) and \(pair.reverseName)").utf8))
            }
            if json {
                out.json(record.json)
            } else {
                out.lines(RoutesText.lines(pair, hasDatabase: database != nil))
                if let html { out.line("wrote \(html)") }
            }
        }
    }
}
