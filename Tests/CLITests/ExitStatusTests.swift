import Foundation
import TestSupport
import Testing

/// Every command's exit status and error line, as DESIGN.md lists them: 0 measured and
/// not blocked, 1 error, 2 blocked, 3 inconclusive, 64 usage; every error one line
/// beginning `error: `. The commands that send packets are in LabTests/EverydayLabTests
/// (good, blocked and absent targets); here, what needs no network.
@Suite(.serialized) struct ExitStatusTests {
    static let routes = CLI.repositoryRoot.appendingPathComponent("Tests/AnalysisTests/Fixtures/routes").path
    static let investigation = routes + "/investigate.censorscope.json"

    struct Case: CustomStringConvertible, Sendable {
        var args: [String]
        var status: Int32
        /// The whole error line, or a prefix of it ending in "…".
        var error: String?
        var stdin: String?
        var description: String { args.joined(separator: " ") }
    }

    static let cases: [Case] = [
        // Good inputs.
        Case(args: ["decode", "--hex", "4500001c000100004011f97cc0a80001c0a8000200350035000800ff"], status: 0),
        Case(args: ["routes", "compare", routes + "/forward.censorscope.json", routes + "/reverse.censorscope.json"], status: 0),
        Case(args: ["report", investigation, "--format", "csv"], status: 0),
        Case(args: ["report", "-", "--format", "md"], status: 0, stdin: (try? String(contentsOfFile: investigation, encoding: .utf8)) ?? ""),
        Case(args: ["help", "probe", "syn"], status: 0),
        Case(args: ["probe", "syn", "--help"], status: 0),
        Case(args: ["--version"], status: 0),
        // Usage errors: one line, with where to read more.
        Case(args: ["nosuch"], status: 64, error: "error: unexpected argument 'nosuch' (see 'censorscope --help')"),
        Case(args: ["help", "nosuch"], status: 64, error: "error: no command 'censorscope nosuch' (see 'censorscope --help')"),
        Case(args: ["help", "probe", "nosuch"], status: 64, error: "error: no command 'censorscope probe nosuch' (see 'censorscope probe --help')"),
        Case(args: ["probe", "syn", "198.18.9.2", "--rate", "-5"], status: 64,
             error: "error: --rate must be 0 or a positive number of probes per second (see 'censorscope probe syn --help')"),
        Case(args: ["probe", "syn", "198.18.9.2", "--timeout", "-1"], status: 64,
             error: "error: --timeout must be between 0 and 3600 seconds (see 'censorscope probe syn --help')"),
        Case(args: ["probe", "syn"], status: 64, error: "error: missing expected argument '<host>' (see 'censorscope probe syn --help')"),
        Case(args: ["probe", "syn", "198.18.9.2", "--variant", "nope"], status: 64, error: "error: unknown variant 'nope'…"),
        Case(args: ["probe", "payload", "198.18.9.2", "--host", "a", "--sni", "b"], status: 64, error: "error: give exactly one payload…"),
        Case(args: ["trace", "198.18.9.2", "--queries", "0"], status: 64, error: "error: --queries must be between 1 and 10…"),
        Case(args: ["trace", "198.18.9.2", "--report", "--pcap", "x.pcapng"], status: 64, error: "error: --report runs many traces…"),
        Case(args: ["investigate", "198.18.9.2", "--port", "0"], status: 64, error: "error: --port must be a port from 1 to 65535…"),
        Case(args: ["investigate", "198.18.9.2", "-v", "-q"], status: 64, error: "error: give at most one of -v and -q…"),
        Case(args: ["investigate", "198.18.9.2", "--color", "sometimes"], status: 64, error: "error: the value 'sometimes' is invalid for '--color <color>'…"),
        Case(args: ["analyze"], status: 64, error: "error: missing expected argument '<test>'…"),
        Case(args: ["report", investigation, "--format", "xml"], status: 64, error: "error: unknown format 'xml'…"),
        Case(args: ["routes", "compare", "a", "b", "--format", "csv"], status: 64, error: "error: unknown format 'csv'…"),
        Case(args: ["campaign", "run"], status: 64, error: "error: missing expected argument '<script>'…"),
        Case(args: ["agent", "serve"], status: 64, error: "error: missing expected argument '--listen <addr:port>'…"),
        Case(args: ["lab", "up"], status: 64, error: "error: missing expected argument '<scenario>'…"),
        Case(args: ["decode"], status: 64, error: "error: give either --hex HEX or --pcap FILE (see 'censorscope decode --help')"),
        // Errors: bad files, refused targets, outputs that cannot be written; before any packet.
        Case(args: ["decode", "--pcap", "/nonexistent.pcap"], status: 1, error: "error: …"),
        Case(args: ["analyze", "/dev/null"], status: 1, error: "error: …"),
        Case(args: ["report", "/nonexistent.json", "--format", "json"], status: 1, error: "error: cannot read the input file /nonexistent.json…"),
        Case(args: ["report", "-", "--format", "json"], status: 1, error: "error: standard input is not JSON…", stdin: "SQLite? no"),
        Case(args: ["routes", "compare", "/nonexistent/f.json", routes + "/forward.censorscope.json"], status: 1,
             error: "error: cannot read the input file /nonexistent/f.json: No such file or directory."),
        Case(args: ["investigate", "198.18.9.2", "--pcap", "/nonexistent/x.pcapng"], status: 1,
             error: "error: cannot write the evidence file /nonexistent/x.pcapng: there is no directory /nonexistent"),
        Case(args: ["trace", "198.18.9.2", "--pcap", "/"], status: 1,
             error: "error: cannot write the evidence file /: it exists and is not a regular file"),
        Case(args: ["probe", "syn", "192.0.2.1"], status: 1, error: "error: 192.0.2.1 is in…"),
        Case(args: ["probe", "payload", "no-such-name.invalid", "--host", "x"], status: 1, error: "error: cannot resolve 'no-such-name.invalid'…"),
        Case(args: ["campaign", "status", "--db", "/nonexistent/c.db"], status: 1, error: "error: …"),
        Case(args: ["lab", "down", "no-such-lab"], status: 1, error: "error: …"),
    ]

    @Test(arguments: cases)
    func exitStatusAndErrorLine(_ c: Case) throws {
        let r = try CLI.run(c.args, stdin: c.stdin)
        #expect(r.status == c.status, "\(c): exit \(r.status); stderr \(r.stderr)")
        guard let error = c.error else {
            #expect(r.stderr.isEmpty, "\(c): \(r.stderr)")
            return
        }
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 1, "\(c): one line, got \(r.stderr)")
        if error.hasSuffix("…") {
            #expect(r.stderr.hasPrefix(String(error.dropLast())), "\(c): \(r.stderr)")
        } else {
            #expect(r.stderr == error + "\n", "\(c): \(r.stderr)")
        }
        #expect(r.stdout.isEmpty, "\(c): nothing on stdout, got \(r.stdout)")
    }

    @Test func versionNamesTheCommitAndBuildDate() throws {
        let r = try CLI.run(["--version"])
        let line = r.stdout.trimmingCharacters(in: .newlines)
        #expect(line.hasPrefix("0.1.0 (commit "), "\(line)")
        #expect(line.range(of: #"^0\.1\.0 \(commit ([0-9a-f]{12}(-modified)?|unknown), built \d{4}-\d{2}-\d{2}\)$"#, options: .regularExpression) != nil,
                "\(line)")
    }

    /// Every command's help page ends with an example of its use.
    @Test func everyHelpPageHasAnExample() throws {
        let dump = try CLI.run(["--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var missing: [String] = []
        func walk(_ command: [String: Any], _ path: [String]) {
            guard command["shouldDisplay"] as? Bool ?? true else { return }
            let name = command["commandName"] as? String ?? "?"
            if name == "help" { return }
            if !((command["discussion"] as? String ?? "").contains("Example: ")) { missing.append((path + [name]).joined(separator: " ")) }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub, path + [name]) }
        }
        walk(try #require(root["command"] as? [String: Any]), [])
        #expect(missing.isEmpty, "help pages without an example: \(missing)")
    }
}
