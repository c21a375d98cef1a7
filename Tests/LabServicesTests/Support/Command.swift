import Foundation
import ChildProcess
#if canImport(Glibc)
import Glibc
#endif

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Command {
    /// The `censorscope` binary next to the test bundle, else in .build/debug.
    static let binary: String = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("censorscope").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/censorscope").path
    }()

    static var isRoot: Bool { geteuid() == 0 }

    static func exists(_ tool: String) -> Bool {
        ["/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/bin/"].contains {
            FileManager.default.isExecutableFile(atPath: $0 + tool)
        } || (try? run(["sh", "-c", "command -v \(tool)"]).status == 0) == true
    }

    /// Runs argv (looked up on PATH), killing it after `timeout` seconds.
    static func run(_ argv: [String], stdin: Data? = nil, timeout: Double = 30) throws -> CommandResult {
        let r = Subprocess.run(argv, stdin: stdin.map { String(decoding: $0, as: UTF8.self) }, timeout: timeout)
        return CommandResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }
}

/// Data handed from a reader thread, waited for with a semaphore.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    func set(_ d: Data) {
        lock.lock()
        data = d
        lock.unlock()
        done.signal()
    }

    func wait() -> Data {
        done.wait()
        lock.lock()
        defer { lock.unlock() }
        return data
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
