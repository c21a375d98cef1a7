import Analysis
import ArgumentParser
import JSONSupport
import Packets
import Reports
#if canImport(Glibc)
import Glibc
#endif

struct RoutesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "Compare traced paths.",
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
        try runReportingUserErrors { try compare(&$0) }
    }

    private func compare(_ out: inout StandardOutput) throws {
        let database = try loadDatabase()
        let forcedFormat = RouteFormat(rawValue: format)
        let forwardBytes = try readInput(forward)
        let forwardName = forward == "-" ? "standard input" : forward
        let forwardPath: RoutePath, reversePath: RoutePath
        do {
            if let reverse {
                let reverseName = reverse == "-" ? "standard input" : reverse
                let picked = direction.flatMap(RouteDirection.init(rawValue:))
                forwardPath = try RouteImport.parse(forwardBytes, name: forwardName, format: forcedFormat,
                                                    direction: picked ?? .forward, index: index)
                reversePath = try RouteImport.parse(try readInput(reverse), name: reverseName, format: forcedFormat,
                                                    direction: picked ?? .reverse, index: index)
            } else {
                forwardPath = try RouteImport.parse(forwardBytes, name: forwardName, format: forcedFormat, direction: .forward, index: index)
                guard RouteImport.holdsBothDirections(forwardBytes, index: index) else {
                    throw UserError("\(forwardName) holds one path; give the reverse trace as a second file.")
                }
                reversePath = try RouteImport.parse(forwardBytes, name: forwardName, format: forcedFormat, direction: .reverse, index: index)
            }
        } catch let error as RouteImportError {
            throw UserError(error.description)
        }
        let censorAddress = censor.flatMap(IPAddress.init) ?? forwardPath.censor
        let comparison = RouteComparison.compare(forward: forwardPath, reverse: reversePath, asn: database, censor: censorAddress)
        let notes = Self.unique(forwardPath.notes + reversePath.notes)
        let record = comparison.record(notes: notes, forward: (forwardName, forwardPath), reverse: (reverse ?? forwardName, reversePath))
        if let html {
            let title = "Routes: \(forwardName) and \(reverse ?? forwardName)"
            try writeFile(html, Array(RoutesHTML.render(record, title: title).utf8))
        }
        if json {
            out.json(record.json)
            return
        }
        RoutesText.print(comparison, forwardSource: "\(forwardPath.source ?? "?"), \(forwardName)",
                         reverseSource: "\(reversePath.source ?? "?"), \(reverse ?? forwardName)",
                         hasDatabase: database != nil, notes: notes, into: &out)
        if let html { out.line("wrote \(html)") }
    }

    static func unique(_ notes: [String]) -> [String] {
        var seen = Set<String>()
        return notes.filter { seen.insert($0).inserted }
    }

    private func loadDatabase() throws -> ASNDatabase? {
        try asnDatabase.map(loadASNDatabase)
    }
}

/// The human view: both paths side by side (the reverse one read backwards, so a row holds
/// hops at the same place on the way from the client), the AS paths and the verdict.
enum RoutesText {
    static func print(_ c: RouteComparison, forwardSource: String, reverseSource: String, hasDatabase: Bool,
                      notes: [String], into out: inout StandardOutput) {
        let client = c.client?.description ?? "?", server = c.server?.description ?? "?"
        out.line("forward: \(client) → \(server) (\(forwardSource))")
        out.line("reverse: \(server) → \(client) (\(reverseSource))")
        let censor = c.censor
        func cell(_ hop: RouteComparison.Hop?, censorTTL: Int?) -> String {
            guard let hop else { return "" }
            var text = hop.silent ? "*" : hop.addresses.isEmpty ? "(name only)" : hop.addresses.map(\.description).joined(separator: ", ")
            if hasDatabase, !hop.silent { text += " " + bracket(hop.asn, hop.asName) }
            if let censorTTL, censorTTL == hop.ttl { text += " <- censor" }
            return text
        }
        func hop(_ hops: [RouteComparison.Hop], _ ttl: Int?) -> RouteComparison.Hop? {
            ttl.flatMap { t in hops.first { $0.ttl == t } }
        }
        func endTTL(_ hops: [RouteComparison.Hop], _ address: IPAddress?) -> String {
            guard let address, let h = hops.first(where: { $0.address == address }) else { return "" }
            return String(h.ttl)
        }
        // An end's AS, from the hop where the other direction reached it.
        func endText(_ address: IPAddress?, _ role: String, _ hops: [RouteComparison.Hop]) -> String {
            var text = "\(address?.description ?? "?") (\(role))"
            if hasDatabase, let address, let h = hops.first(where: { $0.address == address }) { text += " " + bracket(h.asn, h.asName) }
            return text
        }
        let clientText = endText(c.client, "client", c.reverse), serverText = endText(c.server, "server", c.forward)
        var rows: [(String, String, String, String, String)] = []
        rows.append(("", clientText, "", endTTL(c.reverse, c.client), clientText))
        for row in c.aligned {
            let marker = row.match == .address ? "=" : row.match == .subnet ? "~" : ""
            rows.append((row.forwardTTL.map(String.init) ?? "", cell(hop(c.forward, row.forwardTTL), censorTTL: censor?.forwardTTL),
                         marker, row.reverseTTL.map(String.init) ?? "", cell(hop(c.reverse, row.reverseTTL), censorTTL: censor?.reverseTTL)))
        }
        rows.append((endTTL(c.forward, c.server), serverText, "", "", serverText))
        let width = min(max(rows.map { $0.1.count }.max() ?? 0, 24), 60)
        out.line(" ttl  " + pad("forward (client → server)", width) + "     ttl  reverse (server → client, read backwards)")
        for r in rows {
            let forwardCell = r.1.count > width ? String(r.1.prefix(width - 1)) + "…" : r.1
            let line = leftPad(r.0, 4) + "  " + pad(forwardCell, width) + "  " + pad(r.2, 1) + "  " + leftPad(r.3, 3) + "  " + r.4
            out.line(String(line.reversed().drop(while: { $0 == " " }).reversed()))
        }
        out.line("(= same address both ways, ~ same /24 or /64 subnet)")
        if hasDatabase {
            out.line("forward AS path: " + asPath(c.forwardASPath, c.asNames))
            out.line("reverse AS path: " + asPath(c.reverseASPath, c.asNames))
            if !c.forwardOnlyASes.isEmpty || !c.reverseOnlyASes.isEmpty {
                out.line("ASes only forward: " + asList(c.forwardOnlyASes) + "; only reverse: " + asList(c.reverseOnlyASes))
            }
        } else {
            out.line("AS paths: not looked up (give --asn-db FILE)")
        }
        out.line(c.summary)
        if !c.sharedHops.isEmpty { out.line("same address both ways: " + c.sharedHops.map(\.description).joined(separator: ", ")) }
        for s in c.sharedSubnets {
            var parts: [String] = []
            if !s.forward.isEmpty { parts.append("forward " + s.forward.map(\.description).joined(separator: ", ")) }
            if !s.reverse.isEmpty { parts.append("reverse " + s.reverse.map(\.description).joined(separator: ", ")) }
            if !s.ends.isEmpty { parts.append("end " + s.ends.map(\.description).joined(separator: ", ")) }
            out.line("same subnet both ways: \(s.subnet) (" + parts.joined(separator: "; ") + ")")
        }
        if !c.forwardOnlyHops.isEmpty { out.line("only forward: " + c.forwardOnlyHops.map(\.description).joined(separator: ", ")) }
        if !c.reverseOnlyHops.isEmpty { out.line("only reverse: " + c.reverseOnlyHops.map(\.description).joined(separator: ", ")) }
        if let censor { out.line(censorLine(censor)) }
        for note in notes { out.line("note: " + note) }
    }

    /// Where the censor sits in each direction, in one line.
    static func censorLine(_ p: RouteComparison.CensorPlacement) -> String {
        func side(_ name: String, _ ttl: Int?, _ address: IPAddress?, _ match: RouteMatch?) -> String {
            guard let ttl else { return "the \(name) path does not cross it (no hop with its address or in its subnet)" }
            if match == .subnet, let address {
                return "\(name) hop \(ttl) (\(address), same subnet: the censor through another interface, or its neighbour on that link)"
            }
            return "\(name) hop \(ttl)"
        }
        return "censor \(p.address): " + side("forward", p.forwardTTL, p.forwardAddress, p.forwardMatch) + "; "
            + side("reverse", p.reverseTTL, p.reverseAddress, p.reverseMatch)
    }

    static func bracket(_ asn: UInt32?, _ name: String?) -> String {
        guard let asn else { return "[*]" }
        guard let name, !name.isEmpty else { return "[AS\(asn)]" }
        return "[AS\(asn) \(name)]"
    }

    static func asPath(_ path: [UInt32], _ names: [UInt32: String]) -> String {
        guard !path.isEmpty else { return "unknown (no address on it is in the database)" }
        return path.map { asn in names[asn].map { "AS\(asn) \($0)" } ?? "AS\(asn)" }.joined(separator: " → ")
    }

    static func asList(_ list: [UInt32]) -> String { list.isEmpty ? "none" : list.map { "AS\($0)" }.joined(separator: ", ") }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    static func leftPad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
