import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The censor's own iptables/ip6tables rules in its namespace: every packet that
/// arrives goes to the queue, in `raw PREROUTING`, before conntrack, routing and the
/// TTL check, so TTL-limited probes that expire at this router are seen, as a DPI box
/// on the wire sees them. nftables' `queue` statement is not in this kernel; the
/// xtables NFQUEUE target is.
///
/// `--queue-bypass` lets traffic through when no censor listens (killed with -9): a
/// dead censor shows as "no censorship", not as a black hole.
struct Firewall {
    let queue: UInt16
    var comment: String { "censorscope-censor-q\(queue)" }

    var ruleSpec: [String] {
        ["PREROUTING", "-m", "comment", "--comment", comment, "-j", "NFQUEUE", "--queue-num", String(queue), "--queue-bypass"]
    }

    static let tools = ["iptables", "ip6tables"]

    /// Installs the rule for both families (removing leftovers of an earlier run first).
    /// Fails if IPv4 cannot be set up; returns the IPv6 problem, if any, for the log.
    func install() throws(CensorDaemonError) -> String? {
        remove()
        let v4 = Self.run("iptables", ["-w", "-t", "raw", "-I"] + ruleSpec)
        guard v4.ok else { throw .firewall(v4.output) }
        let v6 = Self.run("ip6tables", ["-w", "-t", "raw", "-I"] + ruleSpec)
        return v6.ok ? nil : "ip6tables: \(v6.output) (IPv6 packets are not censored)"
    }

    /// Deletes every copy of the rule; quiet when there is none.
    func remove() {
        for tool in Self.tools {
            var removed = 0
            while removed < 16, Self.run(tool, ["-w", "-t", "raw", "-D"] + ruleSpec).ok { removed += 1 }
        }
    }

    /// Whether the rule is present (for tests and `lab status`).
    func isInstalled(_ tool: String = "iptables") -> Bool {
        Self.run(tool, ["-w", "-t", "raw", "-C"] + ruleSpec).ok
    }

    /// Runs a tool and collects its output. posix_spawn and waitpid, not Foundation's
    /// Process, whose exit monitoring missed exits in this long-running, signal-handling
    /// program (the child stayed a zombie and waitUntilExit never returned).
    static func run(_ tool: String, _ args: [String]) -> (ok: Bool, output: String) {
        guard let path = locate(tool) else { return (false, "\(tool) not found (install the iptables package)") }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return (false, "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            return (false, "cannot run \(tool): \(String(cString: strerror(rc)))")
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n > 0 { output += chunk.prefix(n); continue }
            if n < 0, errno == EINTR { continue }
            break
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exited = status & 0x7F == 0 && (status >> 8) & 0xFF == 0
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (exited, text)
    }

    static func locate(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] + path.split(separator: ":").map(String.init)
        return dirs.map { $0 + "/" + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
