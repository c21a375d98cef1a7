import CSystemShims
#if canImport(Glibc)
import Glibc
#endif

/// Runs programs with posix_spawn and waitpid on the child's own pid, with a clean signal
/// mask. Foundation's Process can hang in waitUntilExit on Linux (its SIGCHLD bookkeeping
/// races, and a daemon that blocks signals never sees the exit): one mechanism for the lab,
/// the censor's iptables calls and the tests.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `arguments` (PATH is searched) to completion, feeding `stdin`, capturing both outputs.
    /// After `timeout` seconds the child is killed (status 137) so a stuck tool cannot stall CI.
    public static func run(_ arguments: [String], stdin: String? = nil, timeout: Double = 300) -> Result {
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            return Result(status: -1, stdout: "", stderr: "cannot create pipes")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in inPipe + outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        // Nothing else inherited: a server it starts (pg_ctl's postgres) would otherwise hold a
        // parent's descriptors, such as a `flock` lock, for its whole life.
        _ = cs_spawn_close_from(&actions, 3)
        let spawned = spawnOrError(arguments, &actions, newSession: false)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard case .success(let pid) = spawned else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            if case .failure(let e) = spawned { return Result(status: 127, stdout: "", stderr: e.description) }
            return Result(status: 127, stdout: "", stderr: "")
        }
        var input = Array((stdin ?? "").utf8)[...]
        if input.isEmpty { close(inPipe[1]) }
        var out: [UInt8] = [], err: [UInt8] = []
        var open = (out: true, err: true, input: !input.isEmpty)
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = monotonicSeconds() + timeout
        while open.out || open.err {
            let left = deadline - monotonicSeconds()
            if left <= 0 {
                kill(pid, SIGKILL)
                err += Array("\n[killed after \(Int(timeout)) s]".utf8)
                break
            }
            var fds = [pollfd(fd: open.out ? outPipe[0] : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: open.err ? errPipe[0] : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: open.input ? inPipe[1] : -1, events: Int16(POLLOUT), revents: 0)]
            if poll(&fds, 3, Int32(min(left, 1) * 1000) + 1) < 0 { if errno == EINTR { continue }; break }
            for (i, isOut) in [(0, true), (1, false)] where fds[i].revents != 0 {
                let n = read(fds[i].fd, &buffer, buffer.count)
                if n > 0 {
                    if isOut { out += buffer[0..<n] } else { err += buffer[0..<n] }
                } else if n == 0 || errno != EINTR {
                    if isOut { open.out = false } else { open.err = false }
                }
            }
            if open.input, fds[2].revents != 0 {
                let n = input.withUnsafeBytes { write(inPipe[1], $0.baseAddress, $0.count) }
                if n > 0 { input = input.dropFirst(n) }
                if n < 0 || input.isEmpty { close(inPipe[1]); open.input = false }
            }
        }
        if open.input { close(inPipe[1]) }
        close(outPipe[0]); close(errPipe[0])
        return Result(status: wait(pid), stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// Starts `arguments` in the background, stdin from /dev/null, stdout and stderr to
    /// `outputFile` (appended with `append`) or discarded; returns its pid. With `newSession`
    /// it outlives its parent's session and ignores the terminal's ^C.
    public static func start(_ arguments: [String], outputFile: String? = nil, append: Bool = false,
                             newSession: Bool = false) -> pid_t? {
        try? background(arguments, outputFile: outputFile, append: append, newSession: newSession).get()
    }

    /// `start` in a new session with output appended to `log`, saying why when it fails.
    public static func detached(_ arguments: [String], log: String) -> Swift.Result<pid_t, StartError> {
        background(arguments, outputFile: log, append: true, newSession: true)
    }

    static func background(_ arguments: [String], outputFile: String?, append: Bool, newSession: Bool) -> Swift.Result<pid_t, StartError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile ?? "/dev/null",
                                         O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // A daemon keeps no descriptor it did not ask for: one inherited from a parent (a
        // `flock` lock, a pipe) would stay held for the daemon's whole life.
        if newSession { _ = cs_spawn_close_from(&actions, 3) }
        return spawnOrError(arguments, &actions, newSession: newSession)
    }

    /// Sends SIGTERM (then SIGKILL after `grace` seconds) and reaps the process.
    @discardableResult
    public static func stop(_ pid: pid_t, grace: Double = 3) -> Int32 {
        kill(pid, SIGTERM)
        let deadline = monotonicSeconds() + grace
        var status: Int32 = 0
        while monotonicSeconds() < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return decode(status) }
            if r < 0 && errno != EINTR { return -1 }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        return wait(pid)
    }

    /// Waits for `pid` and returns its exit status (128+signal when killed).
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return decode(status)
    }

    static func decode(_ status: Int32) -> Int32 {
        status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// A reason a program could not be started.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// posix_spawnp with a clean signal mask and default dispositions.
    static func spawnOrError(_ arguments: [String], _ actions: inout posix_spawn_file_actions_t,
                             newSession: Bool) -> Swift.Result<pid_t, StartError> {
        guard let program = arguments.first else { return .failure(StartError(description: "no command")) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // 0x80 is glibc's POSIX_SPAWN_SETSID (a GNU extension Swift does not import).
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? 0x80 : 0)))
        let cArgs = arguments.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = cArgs.withUnsafeBufferPointer { argv in
            posix_spawnp(&pid, program, &actions, &attributes, argv.baseAddress!, environ)
        }
        guard rc == 0 else { return .failure(StartError(description: "cannot run \(program): \(String(cString: strerror(rc)))")) }
        return .success(pid)
    }
}
