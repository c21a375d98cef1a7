import Foundation
import ChildProcess

/// Runs the real `censorscope` binary, as a user would.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

enum CLI {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// ../shared beside the repository (the project's reference data); nil when absent.
    static let sharedDirectory: URL? = {
        let u = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: u.path) ? u : nil
    }()

    /// The binary next to the test bundle, else in .build/debug.
    static let binary: String = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("censorscope").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        return repositoryRoot.appendingPathComponent(".build/debug/censorscope").path
    }()

    static func run(_ args: [String], stdin: String? = nil) throws -> CLIResult {
        let r = Subprocess.run([binary] + args, stdin: stdin, timeout: 120)
        return CLIResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    static func json(_ line: String) throws -> [String: Any] {
        guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw CocoaError(.coderInvalidValue)
        }
        return obj
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var done = false
    func set(_ d: Data) { lock.lock(); data = d; done = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return done }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}
