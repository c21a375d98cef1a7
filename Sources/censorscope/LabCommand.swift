import ArgumentParser
import Censor
import Foundation
import JSONSupport
import Lab
#if canImport(Glibc)
import Glibc
#endif

struct Lab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Build a network of namespaces with an emulated censor to test against.",
        discussion: """
            A scenario (a built-in name from `lab list`, or a YAML file; see Docs/lab.md) \
            describes nodes, links and routes. `lab up` builds it with real services and a \
            censor, `lab exec NODE -- CMD` runs a command on a node, `lab down` removes it. \
            Needs root. The lab uses only 198.18.0.0/16 and 2001:db8::/32.
            """,
        subcommands: [LabUpCommand.self, LabDownCommand.self, LabListCommand.self, LabStatusCommand.self, LabExecCommand.self, LabCensor.self, LabServe.self]
    )
}

/// Runs a lab action, turning lab and scenario errors into one line on stderr.
func labAction(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as ScenarioError {
        printError(e.description)
        throw ExitCode.failure
    } catch let e as LabError {
        printError(e.description)
        throw ExitCode.failure
    } catch let e as UserError {
        printError(e.description)
        throw ExitCode.failure
    }
}

/// This binary, to start `lab censor` / `lab serve` from.
func currentExecutable() -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func printWarning(_ message: String) {
    let line = Array(("warning: " + message + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// The scenario a command is about: the one given, else the only lab up.
func chooseScenario(_ given: String?, store: LabStore) throws -> String {
    let active = store.activeScenarios()
    if let given {
        guard ScenarioParser.isScenarioName(given) else { throw LabError.invalidName(given) }
        guard active.contains(given) else { throw LabError.notUp(scenario: given) }
        return given
    }
    guard let first = active.first else { throw LabError.notUp(scenario: nil) }
    guard active.count == 1 else { throw LabError.ambiguous(scenarios: active) }
    return first
}

func loadState(_ scenario: String, store: LabStore) throws -> LabState {
    guard let state = try store.load(scenario) else {
        throw UserError("lab \(scenario) has namespaces but no state (a crashed `lab up`?): run `censorscope lab down \(scenario)`")
    }
    return state
}

struct LabUpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Build a scenario's network and start its services and censor.",
        discussion: "On any failure, or ^C, everything built so far is removed again."
    )

    @Argument(help: "A built-in scenario (see `lab list`) or a path to a scenario .yaml file.")
    var scenario: String

    @Flag(name: .long, help: "Print the lab's status as JSON when it is up.")
    var json = false

    func run() throws {
        try labAction {
            let executable = currentExecutable()
            let source = try ScenarioSource.resolve(scenario, executable: executable)
            let parsed = try source.parse(validateCensor: validateCensorPolicy)
            LabInterrupts.catchSignals()
            defer { LabInterrupts.release() }
            let network = LabNetwork(executable: executable, warn: printWarning)
            let state = try network.up(parsed, source: source.label, text: source.text)
            var out = StandardOutput()
            defer { out.flush() }
            if json {
                out.line(LabStatus.json(state, store: network.store).serialized())
            } else {
                out.line("lab \(state.scenario) is up (\(state.nodes.count) nodes); `censorscope lab exec NODE -- CMD` runs commands on a node")
                for node in state.nodes {
                    out.line("  \(node.name) [\(node.role.rawValue)] \(node.addresses.joined(separator: " "))")
                }
            }
        }
    }
}

struct LabDownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Remove a lab (or, with no scenario, every lab): processes, namespaces, state.",
        discussion: "Also cleans up after a crashed `lab up`: lab namespaces are found by their `cslab-` prefix."
    )

    @Argument(help: "The scenario to remove; all labs when omitted.")
    var scenario: String?

    @Flag(name: .long, help: "Print what was removed as JSON.")
    var json = false

    func run() throws {
        try labAction {
            let report = try LabNetwork(executable: nil).down(scenario)
            var out = StandardOutput()
            defer { out.flush() }
            if json {
                out.line(JSONValue.object([
                    ("removed", .array(report.scenarios.map { .string($0) })),
                    ("namespaces", .array(report.namespaces.map { .string($0) })),
                    ("processes", .array(report.processes.map { .number($0) })),
                ]).serialized())
            } else if report.scenarios.isEmpty && report.namespaces.isEmpty {
                out.line(scenario.map { "lab \($0) was not up; nothing to remove" } ?? "no lab was up; nothing to remove")
            } else {
                out.line("removed \(report.scenarios.joined(separator: ", ")): \(report.namespaces.count) namespaces, \(report.processes.count) processes")
            }
        }
    }
}

struct LabListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the built-in scenarios and which labs are up."
    )

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        try labAction {
            let store = LabStore()
            let active = store.activeScenarios()
            var rows: [(name: String, description: String, builtin: Bool)] = []
            for name in BuiltinScenarios.names {
                let description = (try? ScenarioParser.parse(BuiltinScenarios.embeddedText(of: name)!, file: name).description) ?? ""
                rows.append((name, description, true))
            }
            for name in active where !BuiltinScenarios.names.contains(name) {
                rows.append((name, (try? store.load(name))??.description ?? "", false))
            }
            var out = StandardOutput()
            defer { out.flush() }
            if json {
                out.line(JSONValue.object([("scenarios", .array(rows.map { r in
                    ["name": .string(r.name), "description": .string(r.description), "builtin": .bool(r.builtin), "up": .bool(active.contains(r.name))]
                }))]).serialized())
                return
            }
            let width = rows.map(\.name.count).max() ?? 0
            for r in rows {
                let mark = active.contains(r.name) ? "up  " : "    "
                out.line(mark + r.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + r.description)
            }
        }
    }
}

struct LabStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running lab: nodes, roles, addresses, namespaces, processes."
    )

    @Argument(help: "The lab to show; needed only when several are up.")
    var scenario: String?

    @Flag(name: .long, help: "Print JSON: {scenario, nodes: [{name, role, addresses, …}], …}.")
    var json = false

    func run() throws {
        try labAction {
            let store = LabStore()
            let state = try loadState(try chooseScenario(scenario, store: store), store: store)
            var out = StandardOutput()
            defer { out.flush() }
            if json {
                out.line(LabStatus.json(state, store: store).serialized())
            } else {
                LabStatus.text(state, store: store).forEach { out.line($0) }
            }
        }
    }
}

/// Checks a scenario's `censor:` section with the censor's own parser before anything is
/// built, so a bad policy is reported at its line of the scenario file.
func validateCensorPolicy(_ configuration: CensorConfiguration, _ file: String) throws {
    do {
        _ = try CensorPolicy.parse(node: configuration.node, file: file)
    } catch {
        throw ScenarioError(file: error.file, line: error.line, problem: error.problem)
    }
}
