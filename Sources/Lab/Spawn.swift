import ChildProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The result of one finished command.
public struct CommandResult: Sendable {
    public let status: Int32
    /// stdout and stderr together, as the tool printed them.
    public let output: String
    public var succeeded: Bool { status == 0 }

    public init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }
}

/// Runs external commands (`ip`, `sysctl`, `iptables`). A protocol so tests can wrap the
/// real runner, e.g. to make the build fail at a chosen step and check the rollback.
public protocol CommandRunner: Sendable {
    func run(_ arguments: [String]) -> CommandResult
}

public struct SystemCommandRunner: CommandRunner {
    public init() {}
    public func run(_ arguments: [String]) -> CommandResult { Spawn.run(arguments) }
}

/// Children get a clean signal mask even while `lab up` blocks SIGINT/SIGTERM to roll
/// back on its own terms (ChildProcess.Subprocess sets it).
enum Spawn {
    /// Runs to completion; stdout and stderr together in the output.
    static func run(_ arguments: [String]) -> CommandResult {
        let r = Subprocess.run(arguments)
        return CommandResult(status: r.status, output: r.stdout + r.stderr)
    }

    /// Starts a long-running process in its own session (so it outlives `lab up` and
    /// ignores the terminal's ^C), stdin from /dev/null, stdout and stderr appended to `log`.
    static func detached(_ arguments: [String], log: String) -> Swift.Result<pid_t, Subprocess.StartError> {
        Subprocess.detached(arguments, log: log)
    }
}
