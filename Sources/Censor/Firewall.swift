import ChildProcess
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

    /// Runs a tool and collects its output, through ChildProcess (posix_spawn and waitpid):
    /// Foundation's Process missed exits in this long-running, signal-handling program.
    static func run(_ tool: String, _ args: [String]) -> (ok: Bool, output: String) {
        guard let path = locate(tool) else { return (false, "\(tool) not found (install the iptables package)") }
        let r = Subprocess.run([path] + args, timeout: 60)
        return (r.status == 0, (r.stdout + r.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func locate(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] + path.split(separator: ":").map(String.init)
        return dirs.map { $0 + "/" + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
