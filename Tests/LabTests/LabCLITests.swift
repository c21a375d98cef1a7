import Foundation
import ChildProcess
import Lab
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The `lab` commands' answers that build nothing: listing, bad scenario files, usage.
@Suite("lab command line", .enabled(if: FileManager.default.isExecutableFile(atPath: LabHarness.binary), "needs the censorscope binary (swift build)"))
struct LabCLITests {
    @Test("lab list names every built-in scenario with its description")
    func list() throws {
        let r = try LabHarness.run(["lab", "list"])
        #expect(r.status == 0)
        for name in BuiltinScenarios.names { #expect(r.stdout.contains(name)) }
        #expect(r.stdout.contains("SYN-size DPI forging RSTs"))
        let json = try LabHarness.json(try LabHarness.run(["lab", "list", "--json"]).stdout)
        let rows = try #require(json["scenarios"] as? [[String: Any]])
        #expect(rows.compactMap { $0["name"] as? String }.prefix(BuiltinScenarios.names.count) == ArraySlice(BuiltinScenarios.names))
        #expect(rows.allSatisfy { $0["description"] is String && $0["up"] is Bool && $0["builtin"] is Bool })
    }

    @Test("a bad scenario file: one error naming file, line and problem, exit 1, nothing built")
    func badFile() throws {
        let path = NSTemporaryDirectory() + "cs-lab-bad-\(getpid()).yaml"
        try Data(replacingLine(11, with: "  a: [{to: default, via: b}]").utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try LabHarness.run(["lab", "up", path])
        #expect(r.status == 1)
        #expect(r.stderr == "error: \(path):11: route of `a`: via `b`, but a has no link to b (its neighbours: r)\n")
        #expect(r.stdout.isEmpty)
        #expect(LabHarness.namespaces("mini").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: LabStore().directory(of: "mini")))
    }

    /// Issue: this scenario crashed `lab up FILE` (a stack overflow in Yams): a `"` in a plain
    /// scalar hid 50,000 nested brackets from the depth check.
    @Test("a quote inside a plain scalar does not hide deep nesting: one error line, exit 1, nothing built")
    func disguisedNesting() throws {
        let path = NSTemporaryDirectory() + "cs-lab-deep-\(getpid()).yaml"
        try Data(("name: x \"y\nnodes: " + String(repeating: "[", count: 50_000) + "\ndescription: w\"\n").utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try LabHarness.run(["lab", "up", path])
        #expect(r.status == 1)
        #expect(r.stderr == "error: \(path):2: nested more than 64 brackets or 256 columns deep; refusing it\n")
        #expect(r.stdout.isEmpty)
    }

    @Test("unknown scenario names and missing files are clear errors")
    func unknown() throws {
        let r = try LabHarness.run(["lab", "up", "telegram-2019"])
        #expect(r.status == 1 && r.stderr.contains("telegram-2019: no such built-in scenario") && r.stderr.contains("telegram-2018"))
        let missing = try LabHarness.run(["lab", "up", "/nonexistent/lab.yaml"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/lab.yaml: no such file"))
        for bad in ["../etc", "", "A"] {
            let down = try LabHarness.run(["lab", "down", bad])
            #expect(down.status == 1 && down.stderr.contains("is not a scenario name"), "\(down.stderr)")
            let status = try LabHarness.run(["lab", "status", bad])
            #expect(status.status == 1 && status.stderr.contains("is not a scenario name"), "\(status.stderr)")
        }
        let noCommand = try LabHarness.run(["lab", "exec", "client"])
        #expect(noCommand.status != 0 && noCommand.stderr.contains("give the command after `--`"))
    }

    @Test("without root, lab up says to use sudo",
          .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser"), "needs root to become nobody"))
    func notRoot() throws {
        let r = Subprocess.run(["/usr/sbin/runuser", "-u", "nobody", "--", LabHarness.binary, "lab", "up", "clean"], timeout: 60)
        let text = r.stderr
        // The binary may sit where nobody cannot reach it; then there is nothing to check.
        try #require(!text.contains("Permission denied"), "binary not accessible to nobody")
        #expect(r.status == 1)
        #expect(text.contains("needs root: run it with sudo"), "\(text)")
    }
}
