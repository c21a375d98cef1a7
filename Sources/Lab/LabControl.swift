import Foundation
import JSONSupport
#if canImport(Glibc)
import Glibc
#endif

// What the `lab` commands do beyond building and removing: pick the lab a command is
// about, list the scenarios, run a command on a node, and their outputs.

extension LabStore {
    /// The scenario a command is about: the one given, else the only lab up.
    public func choose(_ given: String?) throws(LabError) -> String {
        let active = activeScenarios()
        if let given {
            guard ScenarioParser.isScenarioName(given) else { throw .invalidName(given) }
            guard active.contains(given) else { throw .notUp(scenario: given) }
            return given
        }
        guard let first = active.first else { throw .notUp(scenario: nil) }
        guard active.count == 1 else { throw .ambiguous(scenarios: active) }
        return first
    }

    /// The state of a lab that is up.
    public func state(of scenario: String) throws -> LabState {
        guard let state = try load(scenario) else { throw LabError.noState(scenario: scenario) }
        return state
    }
}

extension LabNetwork {
    /// `lab up SCENARIO`: a built-in name or a file beside or given, parsed (its censor
    /// policy checked by `validateCensor`) and built, ^C rolling back what was built.
    public static func up(_ scenario: String, validateCensor: ScenarioParser.CensorValidator?,
                          warn: @escaping @Sendable (String) -> Void) throws -> (state: LabState, store: LabStore) {
        let executable = currentExecutable()
        let source = try ScenarioSource.resolve(scenario, executable: executable)
        let parsed = try source.parse(validateCensor: validateCensor)
        LabInterrupts.catchSignals()
        defer { LabInterrupts.release() }
        let network = LabNetwork(executable: executable, warn: warn)
        return (try network.up(parsed, source: source.label, text: source.text), network.store)
    }
}

extension LabStatus {
    /// What `lab up` prints once the lab is up.
    public static func upText(_ state: LabState) -> [String] {
        ["lab \(state.scenario) is up (\(state.nodes.count) nodes); `censorscope lab exec NODE -- CMD` runs commands on a node"]
            + state.nodes.map { "  \($0.name) [\($0.role.rawValue)] \($0.addresses.joined(separator: " "))" }
    }
}

extension TeardownReport {
    /// `lab down --json`.
    public var json: JSONValue {
        .object([
            ("removed", .array(scenarios.map { .string($0) })),
            ("namespaces", .array(namespaces.map { .string($0) })),
            ("processes", .array(processes.map { .number($0) })),
        ])
    }

    /// `lab down`'s line; `scenario` is the one asked for, nil for all.
    public func text(asked scenario: String?) -> String {
        if scenarios.isEmpty && namespaces.isEmpty {
            return scenario.map { "lab \($0) was not up; nothing to remove" } ?? "no lab was up; nothing to remove"
        }
        return "removed \(scenarios.joined(separator: ", ")): \(namespaces.count) namespaces, \(processes.count) processes"
    }
}

/// `lab list`: the built-in scenarios, then labs up from a file, and which are up.
public struct LabCatalog {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var description: String
        public var builtin: Bool
        public var up: Bool
    }

    public var entries: [Entry]

    public init(store: LabStore) {
        let active = store.activeScenarios()
        entries = BuiltinScenarios.names.map { name in
            let text = BuiltinScenarios.embeddedText(of: name) ?? ""
            let description = (try? ScenarioParser.parse(text, file: name).description) ?? ""
            return Entry(name: name, description: description, builtin: true, up: active.contains(name))
        }
        for name in active where !BuiltinScenarios.names.contains(name) {
            entries.append(Entry(name: name, description: (try? store.load(name))??.description ?? "", builtin: false, up: true))
        }
    }

    public var json: JSONValue {
        .object([("scenarios", .array(entries.map { e in
            ["name": .string(e.name), "description": .string(e.description), "builtin": .bool(e.builtin), "up": .bool(e.up)]
        }))])
    }

    public var text: [String] {
        let width = entries.map(\.name.count).max() ?? 0
        return entries.map { ($0.up ? "up  " : "    ") + $0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.description }
    }
}

/// `lab exec NODE -- CMD`: the command replaces this process inside the node's namespace,
/// so standard input, output, signals and the exit status pass through untouched.
public enum LabExec {
    /// Returns only by throwing. The command sees CENSORSCOPE_LAB, CENSORSCOPE_LAB_NODE and
    /// CENSORSCOPE_ALLOW_RESERVED=1.
    public static func replaceProcess(scenario given: String?, node: String, command: [String]) throws -> Never {
        guard geteuid() == 0 else { throw LabError.notRoot }
        let store = LabStore()
        let name = try store.choose(given)
        let state = try store.state(of: name)
        guard let planned = state.nodes.first(where: { $0.name == node }) else {
            throw LabError.unknownNode(node: node, scenario: name, nodes: state.nodes.map(\.name))
        }
        guard FileManager.default.fileExists(atPath: LabStore.netnsDirectory + "/" + planned.namespace) else {
            throw LabError.namespaceGone(node: node, scenario: name)
        }
        setenv("CENSORSCOPE_LAB", name, 1)
        setenv("CENSORSCOPE_LAB_NODE", node, 1)
        setenv("CENSORSCOPE_ALLOW_RESERVED", "1", 1)
        let argv = ["ip", "netns", "exec", planned.namespace] + command
        let cArgs = argv.map { strdup($0) } + [nil]
        execvp("ip", cArgs)
        let reason = String(cString: strerror(errno))
        cArgs.forEach { free($0) }
        throw LabError.execFailed(reason: reason)
    }
}

/// This binary, to start `lab censor` / `lab serve` from.
public func currentExecutable() -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
