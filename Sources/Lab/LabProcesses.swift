import SystemSupport
import CLabShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts the lab's long-running processes (`censorscope lab censor|serve`) inside node
/// namespaces and waits until they are ready, so `lab up` returns a working network.
struct LabLauncher {
    /// The censorscope binary (the running one, from /proc/self/exe).
    let executable: String
    let runner: CommandRunner
    let readyTimeout: Double = 20

    /// The hidden subcommand exists in this build: `censorscope lab SUB --help` exits 0
    /// with SUB's own usage (an unknown SUB makes `lab` print its usage, also with 0).
    func supports(_ subcommand: LabProcess.Kind) -> Bool {
        let result = runner.run([executable, "lab", subcommand.rawValue, "--help"])
        guard result.succeeded else { return false }
        return result.output.split(separator: "\n").contains { line in
            line.hasPrefix("USAGE:") && line.contains(" lab \(subcommand.rawValue)")
        }
    }

    func start(_ kind: LabProcess.Kind, node: PlannedNode, arguments: [String], log: String, output: String) throws -> LabProcess {
        let command = ["ip", "netns", "exec", node.namespace, executable, "lab", kind.rawValue] + arguments
        switch Spawn.detached(command, log: output) {
        case .failure(let reason):
            throw LabError.processFailed(node: node.name, kind: kind.rawValue, reason: "could not start (\(reason.description))", output: "")
        case .success(let pid):
            // The start time never changes across exec, so it identifies the process from now on.
            let started = ProcessTable.startTime(of: pid) ?? 0
            return LabProcess(node: node.name, kind: kind, pid: pid, startTime: started, command: command, log: log, output: output)
        }
    }

    /// Polls until `ready` holds; fails if the process exits or the timeout passes.
    func waitUntilReady(_ process: LabProcess, namespace: String, what: String, _ ready: (String) -> Bool) throws {
        let deadline = Date().addingTimeInterval(readyTimeout)
        let nsPath = LabStore.netnsDirectory + "/" + namespace
        while true {
            let signal = cs_lab_interrupt_signal()
            if signal != 0 { throw LabError.interrupted(signal: signal) }
            let alive = ProcessTable.startTime(of: process.pid).map { process.startTime == 0 || $0 == process.startTime } ?? false
            guard alive else {
                reap(process.pid)
                throw LabError.processFailed(node: process.node, kind: process.kind.rawValue, reason: "exited at start (log: \(process.output))",
                                             output: LabLauncher.tail(of: process.output))
            }
            // Until `ip netns exec` has entered the namespace, /proc/PID/net shows the host's.
            let procNet = "/proc/\(process.pid)/net"
            if let inside = NamespaceIdentity(path: "/proc/\(process.pid)/ns/net"),
               let target = NamespaceIdentity(path: nsPath), inside == target, ready(procNet) {
                return
            }
            guard Date() < deadline else {
                throw LabError.processFailed(node: process.node, kind: process.kind.rawValue,
                                             reason: "was not ready after \(Int(readyTimeout)) s (\(what); log: \(process.output))",
                                             output: LabLauncher.tail(of: process.output))
            }
            usleep(50_000)
        }
    }

    /// The censor has bound its NFQUEUE queue: /proc/net/netfilter/nfnetlink_queue lists it.
    static func queueBound(_ queue: Int) -> (String) -> Bool {
        { procNet in
            guard let text = try? String(contentsOfFile: procNet + "/netfilter/nfnetlink_queue", encoding: .utf8) else { return false }
            return text.split(separator: "\n").contains { $0.split(separator: " ").first.flatMap { Int($0) } == queue }
        }
    }

    /// Every port has a listening TCP socket or a bound UDP socket.
    static func portsBound(_ ports: [Int]) -> (String) -> Bool {
        { procNet in
            var bound = Set<Int>()
            for (file, listenOnly) in [("tcp", true), ("tcp6", true), ("udp", false), ("udp6", false)] {
                guard let text = try? String(contentsOfFile: procNet + "/" + file, encoding: .utf8) else { continue }
                for line in text.split(separator: "\n").dropFirst() {
                    let columns = line.split(separator: " ")
                    // sl local_address rem_address st ...; local_address is HEXADDR:HEXPORT.
                    guard columns.count > 3, let colon = columns[1].lastIndex(of: ":"),
                          let port = Int(columns[1][columns[1].index(after: colon)...], radix: 16) else { continue }
                    if !listenOnly || columns[3] == "0A" { bound.insert(port) }
                }
            }
            return ports.allSatisfy(bound.contains)
        }
    }

    /// Collects a child that has exited (no-op for processes that are not our children).
    func reap(_ pid: Int32) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    static func tail(of path: String) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(5).joined(separator: "\n")
    }
}
