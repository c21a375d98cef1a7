import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `lab down` removed.
public struct TeardownReport: Sendable, Equatable {
    public var scenarios: [String] = []
    public var namespaces: [String] = []
    public var processes: [Int32] = []

    public init(scenarios: [String] = [], namespaces: [String] = [], processes: [Int32] = []) {
        self.scenarios = scenarios
        self.namespaces = namespaces
        self.processes = processes
    }
}

extension LabNetwork {
    /// Removes one scenario's lab, or with nil every lab: processes first (recorded ones
    /// and anything else running in the namespaces), then namespaces, then state.
    /// Works from whatever is left after a crash: namespaces are found by name prefix.
    public func down(_ scenario: String?) throws -> TeardownReport {
        if let scenario, !ScenarioParser.isScenarioName(scenario) { throw LabError.invalidName(scenario) }
        guard geteuid() == 0 else { throw LabError.notRoot }
        let lock = try store.lock()
        defer { lock.release() }
        return try tearDown(scenario)
    }

    func tearDown(_ scenario: String?) throws -> TeardownReport {
        var report = TeardownReport()
        report.scenarios = scenario.map { [$0] } ?? store.activeScenarios()
        var namespaces = Set(LabStore.namespaces(scenario: scenario))
        var recorded: [LabProcess] = []
        for s in report.scenarios {
            guard let state = try? store.load(s) else { continue }
            recorded += state.processes
            namespaces.formUnion(state.namespaces.filter { FileManager.default.fileExists(atPath: LabStore.netnsDirectory + "/" + $0) })
        }
        report.namespaces = namespaces.sorted()

        // Victims keyed by pid with their start time, so a recycled pid is never hit.
        var victims: [Int32: UInt64] = [:]
        for p in recorded where p.isRunning { victims[p.pid] = p.startTime }
        for (_, pids) in ProcessTable.processes(inNamespaces: report.namespaces) {
            for pid in pids { if let t = ProcessTable.startTime(of: pid) { victims[pid] = t } }
        }
        report.processes = victims.keys.sorted()
        stop(victims)
        // Processes this very process started (`up` in a long-running program) would
        // otherwise stay zombies; for anyone else's, waitpid just fails with ECHILD.
        for p in recorded {
            var status: Int32 = 0
            _ = waitpid(p.pid, &status, WNOHANG)
        }

        var leftovers: [String] = []
        for ns in report.namespaces {
            let result = runner.run(["ip", "netns", "del", ns])
            if !result.succeeded && FileManager.default.fileExists(atPath: LabStore.netnsDirectory + "/" + ns) {
                leftovers.append("namespace \(ns) (\(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))")
            }
        }
        for s in report.scenarios where !leftovers.contains(where: { $0.contains(LabPlan.namespacePrefix(scenario: s)) }) {
            let directory = store.directory(of: s)
            if FileManager.default.fileExists(atPath: directory) {
                do { try FileManager.default.removeItem(atPath: directory) } catch { leftovers.append("state directory \(directory) (\(error))") }
            }
        }
        guard leftovers.isEmpty else { throw LabError.teardownIncomplete(leftovers: leftovers) }
        return report
    }

    /// SIGTERM, a grace period, then SIGKILL for whatever is still running.
    func stop(_ victims: [Int32: UInt64]) {
        guard !victims.isEmpty else { return }
        func running() -> [Int32] {
            // A zombie counts as gone (startTime is nil for it): it holds no namespace.
            victims.filter { pid, start in ProcessTable.startTime(of: pid) == start }.map(\.key)
        }
        for pid in running() { kill(pid, SIGTERM) }
        if waitForExit(running, seconds: 3) { return }
        for pid in running() { kill(pid, SIGKILL) }
        _ = waitForExit(running, seconds: 3)
    }

    func waitForExit(_ running: () -> [Int32], seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if running().isEmpty { return true }
            usleep(20_000)
        }
        return running().isEmpty
    }
}
