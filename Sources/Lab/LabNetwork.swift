import CLabShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Builds and removes lab networks. `up` is all or nothing: on any failure or signal it
/// tears down what it built before reporting.
public struct LabNetwork: Sendable {
    public let store: LabStore
    public let runner: CommandRunner
    /// The censorscope binary used to start `lab censor` / `lab serve`; nil starts none.
    public let executable: String?
    /// Receives warnings (e.g. a service skipped because this build cannot run it).
    public let warn: @Sendable (String) -> Void

    public init(store: LabStore = LabStore(), runner: CommandRunner = SystemCommandRunner(),
                executable: String?, warn: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.runner = runner
        self.executable = executable
        self.warn = warn
    }

    /// The queue the censor reads (`lab censor --queue`), fed by NFQUEUE in its FORWARD chain.
    public static let censorQueue = 0

    /// Builds the scenario's network and starts its processes. `source` is recorded for
    /// `lab status`; `text` is saved as scenario.yaml.
    @discardableResult
    public func up(_ scenario: Scenario, source: String, text: String) throws -> LabState {
        guard geteuid() == 0 else { throw LabError.notRoot }
        let lock = try store.lock()
        defer { lock.release() }
        guard !store.activeScenarios().contains(scenario.name) else { throw LabError.alreadyUp(scenario: scenario.name) }

        let plan = LabPlan(scenario)
        let directory = store.directory(of: scenario.name)
        var state = LabState(
            scenario: scenario.name, description: scenario.description, source: source, phase: .building,
            created: ISO8601DateFormatter().string(from: Date()), namespaces: plan.nodes.map(\.namespace),
            nodes: plan.nodes, processes: [], warnings: [])
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/scenario.yaml"))
            // Recorded before the first namespace exists, so `lab down` knows what to remove.
            try store.save(state)
            for step in plan.steps {
                try checkInterrupt()
                let result = runner.run(step.arguments)
                guard result.succeeded else { throw LabError.stepFailed(step: step.description, command: step.arguments, output: result.output) }
            }
            try startProcesses(plan, &state)
            try checkInterrupt()
            state.phase = .up
            try store.save(state)
            return state
        } catch {
            let cause = error as? LabError ?? .io(path: directory, reason: "\(error)")
            var rollback: String?
            do { _ = try tearDown(scenario.name) } catch let e { rollback = "\(e)" }
            throw LabError.upFailed(cause: cause, rollback: rollback)
        }
    }

    func checkInterrupt() throws {
        let signal = cs_lab_interrupt_signal()
        if signal != 0 { throw LabError.interrupted(signal: signal) }
    }

    func startProcesses(_ plan: LabPlan, _ state: inout LabState) throws {
        let directory = store.directory(of: plan.scenario.name)
        let censors = plan.scenario.nodes.filter { $0.censor != nil }
        let servers = plan.scenario.nodes.filter { !$0.services.isEmpty }
        guard !censors.isEmpty || !servers.isEmpty else { return }
        guard let executable else {
            note("no censorscope binary given: censor and services not started", &state)
            return
        }
        let launcher = LabLauncher(executable: executable, runner: runner)
        if !censors.isEmpty && !launcher.supports(.censor) {
            note("this censorscope has no `lab censor` yet: censor nodes (\(censors.map(\.name).joined(separator: ", "))) forward everything", &state)
        } else {
            for node in censors {
                guard let planned = plan.node(named: node.name), let policy = node.censor else { continue }
                let policyFile = directory + "/\(node.name).censor.yaml"
                let yaml: String
                do { yaml = try policy.yamlText() } catch { throw LabError.io(path: policyFile, reason: "cannot write the policy: \(error)") }
                do { try Data(yaml.utf8).write(to: URL(fileURLWithPath: policyFile)) } catch { throw LabError.io(path: policyFile, reason: "\(error)") }
                let log = directory + "/\(node.name).censor.log"
                let process = try launcher.start(.censor, node: planned,
                                                 arguments: ["--policy", policyFile, "--queue", String(LabNetwork.censorQueue), "--log", log],
                                                 log: log, output: directory + "/\(node.name).censor.out")
                state.processes.append(process)
                try store.save(state)
                try launcher.waitUntilReady(process, namespace: planned.namespace, what: "NFQUEUE \(LabNetwork.censorQueue) not bound",
                                            LabLauncher.queueBound(LabNetwork.censorQueue))
                // The censor installs its own NFQUEUE rules (raw PREROUTING, with --queue-bypass
                // so traffic fails open if it stops) once it listens.
            }
        }
        if !servers.isEmpty && !launcher.supports(.serve) {
            note("this censorscope has no `lab serve` yet: services on \(servers.map(\.name).joined(separator: ", ")) not started", &state)
        } else {
            for node in servers {
                guard let planned = plan.node(named: node.name) else { continue }
                var arguments: [String] = []
                for service in node.services { arguments += ["--\(service.rawValue)", String(service.port)] }
                // A node hosting whole prefixes listens on every address (0.0.0.0 and ::).
                if node.hosts.isEmpty {
                    for address in planned.addresses { arguments += ["--address", address] }
                }
                // DNS answers point at this server; the certificate lives with the lab's state.
                for address in planned.addresses {
                    arguments += [address.contains(":") ? "--dns-answer6" : "--dns-answer", address]
                }
                let log = directory + "/\(node.name).serve.log"
                arguments += ["--name", node.name, "--state-dir", directory, "--log", log]
                let process = try launcher.start(.serve, node: planned, arguments: arguments, log: log,
                                                 output: directory + "/\(node.name).serve.out")
                state.processes.append(process)
                try store.save(state)
                let ports = node.services.map(\.port)
                try launcher.waitUntilReady(process, namespace: planned.namespace,
                                            what: "ports \(ports.map(String.init).joined(separator: ", ")) not all bound", LabLauncher.portsBound(ports))
            }
        }
    }

    func note(_ warning: String, _ state: inout LabState) {
        state.warnings.append(warning)
        warn(warning)
    }
}

/// Catches SIGINT/SIGTERM/SIGHUP so a running `up` stops between steps and rolls back.
public enum LabInterrupts {
    public static func catchSignals() { cs_lab_catch_interrupts() }
    public static func release() { cs_lab_release_interrupts() }
    public static var pending: Int32 { cs_lab_interrupt_signal() }
}
