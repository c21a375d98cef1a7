import SystemSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a running (or half-built, or crashed) lab consists of, saved as `state.json` in
/// its state directory before anything is created and after every process start, so
/// `lab down` can undo it even after `lab up` was killed.
public struct LabState: Codable, Sendable {
    public enum Phase: String, Codable, Sendable { case building, up }

    public var scenario: String
    public var description: String
    /// The scenario file given to `lab up`, or `builtin:NAME`.
    public var source: String
    public var phase: Phase
    public var created: String
    public var namespaces: [String]
    public var nodes: [PlannedNode]
    public var processes: [LabProcess]
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case scenario, description, source, phase, created, namespaces, nodes, processes, warnings
    }
}

/// A long-running process the lab started in a node's namespace.
public struct LabProcess: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case censor, serve }

    public var node: String
    public var kind: Kind
    public var pid: Int32
    /// Start time in clock ticks since boot (/proc/PID/stat field 22): a recycled pid
    /// with another start time is not ours and is never signalled.
    public var startTime: UInt64
    public var command: [String]
    /// The process's own event log (its `--log`).
    public var log: String
    /// Its stdout and stderr.
    public var output: String

    enum CodingKeys: String, CodingKey {
        case node, kind, pid, startTime = "start_time", command, log, output
    }

    /// Still the same process, and not a zombie.
    public var isRunning: Bool { ProcessTable.startTime(of: pid) == startTime }
}

/// Reads /proc: start times, liveness, and which processes live in which namespace.
public enum ProcessTable {
    /// Field 22 of /proc/PID/stat; nil when the process is gone or a zombie.
    public static func startTime(of pid: Int32) -> UInt64? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": field 3 is the state, field 22 the start time.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X" else { return nil }
        return UInt64(fields[19])
    }

    public static func isAlive(_ pid: Int32) -> Bool { startTime(of: pid) != nil }

    /// Processes whose network namespace is one of `namespaces` (names in /run/netns),
    /// like `ip netns pids`, in one pass over /proc.
    public static func processes(inNamespaces namespaces: [String]) -> [String: [Int32]] {
        var wanted: [String: NamespaceIdentity] = [:]
        for ns in namespaces {
            if let id = NamespaceIdentity(path: LabStore.netnsDirectory + "/" + ns) { wanted[ns] = id }
        }
        var result: [String: [Int32]] = [:]
        guard !wanted.isEmpty, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return result }
        for entry in entries {
            guard let pid = Int32(entry), pid != getpid(), let id = NamespaceIdentity(path: "/proc/\(entry)/ns/net") else { continue }
            for (ns, nsID) in wanted where nsID == id {
                result[ns, default: []].append(pid)
            }
        }
        return result
    }
}
