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

struct SpawnFailure: Error {
    let message: String
}

/// posix_spawn wrappers: children get a clean signal mask even while `lab up` blocks
/// SIGINT/SIGTERM to roll back on its own terms.
enum Spawn {
    // glibc's POSIX_SPAWN_SETSID (GNU extension, not imported into Swift).
    static let setsidFlag: Int32 = 0x80

    /// Runs to completion, capturing stdout and stderr together.
    static func run(_ arguments: [String]) -> CommandResult {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return CommandResult(status: -1, output: "cannot create a pipe: \(errnoText())") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let spawned = spawn(arguments, actions: &actions, newSession: false)
        close(fds[1])
        guard case .success(let pid) = spawned else {
            close(fds[0])
            if case .failure(let e) = spawned { return CommandResult(status: -1, output: e.message) }
            return CommandResult(status: -1, output: "")
        }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n > 0 { data.append(contentsOf: buffer[0..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        close(fds[0])
        let status = wait(pid)
        return CommandResult(status: status, output: String(decoding: data, as: UTF8.self))
    }

    /// Starts a long-running process in its own session (so it outlives `lab up` and
    /// ignores the terminal's ^C), stdin from /dev/null, stdout and stderr appended to `log`.
    static func detached(_ arguments: [String], log: String) -> Result<pid_t, SpawnFailure> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        return spawn(arguments, actions: &actions, newSession: true)
    }

    private static func spawn(_ arguments: [String], actions: inout posix_spawn_file_actions_t, newSession: Bool) -> Result<pid_t, SpawnFailure> {
        guard let program = arguments.first else { return .failure(SpawnFailure(message: "no command")) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession { flags |= setsidFlag }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let cArgs = arguments.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawnp(&pid, program, &actions, &attributes, cArgs, environ)
        guard rc == 0 else { return .failure(SpawnFailure(message: "cannot run \(program): \(String(cString: strerror(rc)))")) }
        return .success(pid)
    }

    /// Waits for a child; the exit status, or 128 + signal like a shell.
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
