import ChildProcess
import Foundation
import Lab
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `censorscope` binary's lab commands and inspects what the lab left on
/// the system. Namespace tests run under the machine-wide lab lock (see README).
public enum LabHarness {
    public typealias Result = CLIResult

    public static var canRun: Bool { Tools.isRoot && Tools.available(["ip"]) && CLI.isBuilt }

    public static let hasTools = Tools.available(["ping", "traceroute"])

    public static var binary: String { CLI.binary }

    /// Runs `censorscope ARGS`, feeding `stdin`, collecting both outputs.
    @discardableResult
    public static func run(_ args: [String], stdin: String? = nil) throws -> Result {
        try CLI.run(args, stdin: stdin, timeout: 180)
    }

    /// Brings `name` up, runs `body`, and tears the lab down whatever happens, checking
    /// that nothing of it is left.
    public static func withLab(_ name: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) throws {
        down(name)
        defer {
            down(name)
            expectNothingLeft(name, sourceLocation: sourceLocation)
        }
        let up = try run(["lab", "up", name])
        try #require(up.status == 0, "lab up \(name) failed: \(up.stderr)", sourceLocation: sourceLocation)
        try body()
    }

    /// Runs another tool (tshark, chromium) and returns its standard output.
    public static func runTool(_ command: [String]) throws -> String {
        let r = Subprocess.run(command, timeout: 120)
        try #require(r.status == 0, "\(command[0]) failed: \(r.stderr)")
        return r.stdout
    }

    /// `censorscope lab exec [--scenario S] NODE -- COMMAND…`.
    public static func exec(_ node: String, _ command: [String], scenario: String? = nil) throws -> Result {
        try run(["lab", "exec"] + (scenario.map { ["--scenario", $0] } ?? []) + [node, "--"] + command)
    }

    public static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Lab namespaces on the system (optionally of one scenario).
    public static func namespaces(_ scenario: String? = nil) -> [String] { LabStore.namespaces(scenario: scenario) }

    /// Checks that nothing of `scenario` is left: namespaces, state, the given processes.
    public static func expectNothingLeft(_ scenario: String, processes: [Int32] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(namespaces(scenario).isEmpty, "namespaces left: \(namespaces(scenario))", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: LabStore().directory(of: scenario)), "state directory left", sourceLocation: sourceLocation)
        for pid in processes {
            #expect(!ProcessTable.isAlive(pid), "process \(pid) still running", sourceLocation: sourceLocation)
        }
    }

    /// Always-run cleanup for `defer`.
    public static func down(_ scenario: String) {
        _ = try? run(["lab", "down", scenario])
        if !namespaces(scenario).isEmpty { _ = try? LabNetwork(executable: nil).down(scenario) }
    }

    /// traceroute -n with one probe per hop: the address per TTL, nil for `*`.
    public static func traceroute(from node: String, to address: String, scenario: String, extra: [String] = []) throws -> [String?] {
        let r = try exec(node, ["traceroute", "-n", "-q", "1", "-w", "1", "-m", "12"] + extra + [address], scenario: scenario)
        #expect(r.status == 0, "traceroute failed: \(r.stderr)")
        var hops: [String?] = []
        for line in r.stdout.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, Int(fields[0]) != nil else { continue }
            hops.append(fields[1] == "*" ? nil : String(fields[1]))
        }
        return hops
    }
}
