import ChildProcess
import Foundation
import TestSupport

typealias CommandResult = CLIResult

enum Command {
    /// Runs argv (looked up on PATH), killing it after `timeout` seconds.
    static func run(_ argv: [String], stdin: Data? = nil, timeout: Double = 30) throws -> CommandResult {
        let r = Subprocess.run(argv, stdin: stdin.map { String(decoding: $0, as: UTF8.self) }, timeout: timeout)
        return CommandResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }
}
