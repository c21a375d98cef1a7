import Foundation
import ChildProcess
import Lab
import Packets
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `censorscope` binary and inspects what the lab left on the system.
enum LabHarness {
    static var canRun: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") && FileManager.default.isExecutableFile(atPath: binary)
    }

    static let hasTools = FileManager.default.isExecutableFile(atPath: "/usr/bin/ping")
        && (FileManager.default.isExecutableFile(atPath: "/usr/sbin/traceroute") || FileManager.default.isExecutableFile(atPath: "/usr/bin/traceroute"))

    /// The binary next to the test bundle, else in .build/debug.
    static let binary: String = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("censorscope").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return repositoryRoot.appendingPathComponent(".build/debug/censorscope").path
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `censorscope ARGS`, feeding `stdin`, collecting both outputs.
    @discardableResult
    static func run(_ args: [String], stdin: String? = nil) throws -> Result {
        let r = Subprocess.run([binary] + args, stdin: stdin, timeout: 180)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// Brings `name` up, runs `body`, and tears the lab down whatever happens, checking
    /// that nothing of it is left.
    static func withLab(_ name: String, _ body: () throws -> Void) throws {
        down(name)
        defer {
            down(name)
            expectNothingLeft(name)
        }
        let up = try run(["lab", "up", name])
        try #require(up.status == 0, "lab up \(name) failed: \(up.stderr)")
        try body()
    }

    /// Runs another tool (tshark, chromium) and returns its standard output.
    static func runTool(_ command: [String]) throws -> String {
        let r = Subprocess.run(command, timeout: 120)
        try #require(r.status == 0, "\(command[0]) failed: \(r.stderr)")
        return r.stdout
    }

    static func exec(_ node: String, _ command: [String], scenario: String? = nil) throws -> Result {
        try run(["lab", "exec"] + (scenario.map { ["--scenario", $0] } ?? []) + [node, "--"] + command)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Lab namespaces on the system (optionally of one scenario).
    static func namespaces(_ scenario: String? = nil) -> [String] { LabStore.namespaces(scenario: scenario) }

    /// Checks that nothing of `scenario` is left: namespaces, state, the given processes.
    static func expectNothingLeft(_ scenario: String, processes: [Int32] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(namespaces(scenario).isEmpty, "namespaces left: \(namespaces(scenario))", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: LabStore().directory(of: scenario)), "state directory left", sourceLocation: sourceLocation)
        for pid in processes {
            #expect(!ProcessTable.isAlive(pid), "process \(pid) still running", sourceLocation: sourceLocation)
        }
    }

    /// Always-run cleanup for `defer`.
    static func down(_ scenario: String) {
        _ = try? run(["lab", "down", scenario])
        if !namespaces(scenario).isEmpty { _ = try? LabNetwork(executable: nil).down(scenario) }
    }

    /// traceroute -n with one probe per hop: the address per TTL, nil for `*`.
    static func traceroute(from node: String, to address: String, scenario: String, extra: [String] = []) throws -> [String?] {
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

final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var done = false
    func set(_ d: Data) { lock.lock(); data = d; done = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return done }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}
