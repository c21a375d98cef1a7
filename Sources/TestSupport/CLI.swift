import ChildProcess
import Foundation

/// What the real `censorscope` binary did: its exit status and both outputs.
public struct CLIResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs the real `censorscope` binary, as a user would.
public enum CLI {
    public static var repositoryRoot: URL { Repository.root }
    public static var sharedDirectory: URL? { Repository.shared }

    /// The binary next to the test bundle, else in .build/debug.
    public static let binary: String = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("censorscope").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        return Repository.root.appendingPathComponent(".build/debug/censorscope").path
    }()

    public static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// Runs `censorscope ARGS` (with `environment` added to the test's), feeding `stdin`,
    /// killed after `timeout` seconds.
    public static func run(_ args: [String], stdin: String? = nil, timeout: Double = 120,
                           environment: [String: String] = [:]) throws -> CLIResult {
        let prefix = environment.isEmpty ? [] : ["/usr/bin/env"] + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let r = Subprocess.run(prefix + [binary] + args, stdin: stdin, timeout: timeout)
        return CLIResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// One JSON object (a line of `--json` output).
    public static func json(_ line: String) throws -> [String: Any] {
        guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(line.prefix(200))")
        }
        return obj
    }
}

extension CLI {
    /// The exit status DESIGN.md gives a verdict: 0 reachable, 2 a block, 3 nothing decided.
    public static func status(forVerdict verdict: String?) -> Int32 {
        switch verdict {
        case "reachable"?: return 0
        case "host-down"?, "unreachable"?: return 3
        default: return 2
        }
    }
}
