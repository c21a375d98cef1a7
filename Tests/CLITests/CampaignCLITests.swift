import Foundation
import TestSupport
import Testing

/// Bad scripts, bad target lists and bad stores: one sentence, a non-zero exit, and no
/// store created — everything is checked before a packet could go.
@Suite(.serialized) struct CampaignCLITests {
    static let goodScript = """
        name: t
        ports: [80]
        steps:
          - probe: syn
            variants: [mss]
        analyses: [investigation]
        """

    /// A fresh directory with `script.yaml` and `targets.txt`; removed after `body`.
    func withFiles(script: String = goodScript, targets: String = "198.18.20.1\n", _ body: (String) throws -> Void) throws {
        let dir = NSTemporaryDirectory() + "cstest-campaign-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try script.write(toFile: dir + "/script.yaml", atomically: true, encoding: .utf8)
        try targets.write(toFile: dir + "/targets.txt", atomically: true, encoding: .utf8)
        try body(dir)
    }

    func run(_ dir: String, _ extra: [String] = []) throws -> CLIResult {
        try CLI.run(["campaign", "run", dir + "/script.yaml", "--targets", dir + "/targets.txt", "--db", dir + "/db.sqlite"] + extra)
    }

    func expectRefused(_ r: CLIResult, _ fragment: String, dir: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 1, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains(fragment), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: dir + "/db.sqlite"), "no store is created", sourceLocation: sourceLocation)
    }

    @Test("Scripts: unknown probe, wrong type, YAML syntax, an analysis without its step — file and line named")
    func badScripts() throws {
        let cases: [(String, String)] = [
            (Self.goodScript.replacingOccurrences(of: "probe: syn", with: "probe: synflood"), "script.yaml:4: unknown probe 'synflood'"),
            (Self.goodScript + "\nrepetitions: many", "script.yaml:7:"),
            ("name: t\nports: [80\n", "script.yaml:"),
            (Self.goodScript.replacingOccurrences(of: "[investigation]", with: "[datagram]"), "script.yaml:6:"),
            ("", "script.yaml"),
        ]
        for (script, fragment) in cases {
            try withFiles(script: script) { dir in expectRefused(try run(dir, ["--allow-reserved"]), fragment, dir: dir) }
        }
    }

    /// Issue: this script crashed `campaign run` (a stack overflow in Yams): a `"` in a plain
    /// scalar hid 50,000 nested brackets from the depth check.
    @Test("A quote inside a plain scalar does not hide deep nesting: one error line, no crash")
    func disguisedNesting() throws {
        let script = "name: x \"y\nsteps: " + String(repeating: "[", count: 50_000) + "\ndescription: w\"\n"
        try withFiles(script: script) { dir in
            expectRefused(try run(dir, ["--allow-reserved"]), "script.yaml:2: nested more than 64 brackets or 256 columns deep", dir: dir)
        }
    }

    @Test("Target lists: malformed CIDR, bad port, empty list, unreadable file, special-purpose addresses")
    func badTargets() throws {
        try withFiles(targets: "198.18.20.1\n198.18.0.0/33\n") { dir in
            expectRefused(try run(dir, ["--allow-reserved"]), "targets.txt:2: malformed CIDR '198.18.0.0/33'", dir: dir)
        }
        try withFiles(targets: "198.18.20.1:99999\n") { dir in expectRefused(try run(dir, ["--allow-reserved"]), "targets.txt:1:", dir: dir) }
        try withFiles(targets: "# nothing\n\n") { dir in expectRefused(try run(dir, ["--allow-reserved"]), "no targets", dir: dir) }
        try withFiles(targets: "2001:db8::/16\n") { dir in expectRefused(try run(dir, ["--allow-reserved"]), "targets.txt:1:", dir: dir) }
        try withFiles { dir in
            try FileManager.default.removeItem(atPath: dir + "/targets.txt")
            expectRefused(try run(dir), "cannot read the target list", dir: dir)
        }
        try withFiles { dir in
            try FileManager.default.removeItem(atPath: dir + "/script.yaml")
            expectRefused(try run(dir), "cannot read the script", dir: dir)
        }
        // The lab's benchmarking range is special-purpose: refused unless allowed.
        try withFiles(targets: "# lab\n198.18.20.1\n") { dir in
            #expect(ProcessInfo.processInfo.environment["CENSORSCOPE_ALLOW_RESERVED"] == nil)
            expectRefused(try run(dir), "targets.txt:2:", dir: dir)
        }
        try withFiles(targets: "198.18.20.1:3478/udp\n") { dir in
            expectRefused(try run(dir, ["--allow-reserved"]), "targets.txt:1:", dir: dir)
        }
    }

    @Test("Stores: a second run refuses an existing campaign; status, resume and report refuse what is no store")
    func badStores() throws {
        try withFiles { dir in
            try "not a database".write(toFile: dir + "/text.sqlite", atomically: true, encoding: .utf8)
            for args in [["campaign", "status", "--db", dir + "/missing.sqlite"], ["campaign", "status", "--db", dir + "/text.sqlite"],
                         ["campaign", "resume", "--db", dir + "/text.sqlite"], ["campaign", "report", "--db", dir + "/missing.sqlite", "--format", "csv"]] {
                let r = try CLI.run(args)
                #expect(r.status == 1 && r.stderr.hasPrefix("error: "), "\(args): \(r.stderr)")
                #expect(!FileManager.default.fileExists(atPath: dir + "/missing.sqlite"), "a missing store is not created by \(args[1])")
            }
            let usage = try CLI.run(["campaign", "report", "--db", dir + "/text.sqlite", "--format", "pdf"])
            #expect(usage.status == 64)
            let rate = try CLI.run(["campaign", "run", dir + "/script.yaml", "--targets", dir + "/targets.txt", "--db", dir + "/db.sqlite", "--rate", "fast"])
            #expect(rate.status == 64 && rate.stderr.contains("--rate"))
        }
    }
}
