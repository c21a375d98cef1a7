/// Failures of `lab` operations; each description says what to do next.
public indirect enum LabError: Error, Sendable, CustomStringConvertible {
    case notRoot
    case alreadyUp(scenario: String)
    case stepFailed(step: String, command: [String], output: String)
    case processFailed(node: String, kind: String, reason: String, output: String)
    case interrupted(signal: Int32)
    case teardownIncomplete(leftovers: [String])
    case notUp(scenario: String?)
    case invalidName(String)
    case ambiguous(scenarios: [String])
    case unknownNode(node: String, scenario: String, nodes: [String])
    case corruptState(path: String, reason: String)
    /// Namespaces without a state file: a `lab up` that crashed.
    case noState(scenario: String)
    /// The node's namespace was removed behind the lab's back.
    case namespaceGone(node: String, scenario: String)
    case execFailed(reason: String)
    case io(path: String, reason: String)
    /// `up` failed and rolled back; `rollback` says what could not be removed, if anything.
    case upFailed(cause: LabError, rollback: String?)

    public var description: String {
        switch self {
        case .notRoot:
            return "the lab creates network namespaces and needs root: run it with sudo"
        case .alreadyUp(let s):
            return "lab \(s) is already up (or left over from a crash): run `censorscope lab down \(s)` first"
        case let .stepFailed(step, command, output):
            let detail = output.split(separator: "\n").prefix(3).joined(separator: "; ")
            return "cannot \(step): `\(command.joined(separator: " "))` failed: \(detail.isEmpty ? "no output" : detail)"
        case let .processFailed(node, kind, reason, output):
            let tail = output.split(separator: "\n").suffix(3).joined(separator: "; ")
            return "the \(kind) process on \(node) \(reason)\(tail.isEmpty ? "" : ": " + tail)"
        case .interrupted(let signal):
            return "interrupted by signal \(signal)"
        case .teardownIncomplete(let leftovers):
            return "could not remove \(leftovers.joined(separator: ", ")): stop what still uses them and run `censorscope lab down` again"
        case .notUp(let s):
            if let s { return "lab \(s) is not up: start it with `censorscope lab up \(s)`" }
            return "no lab is up: start one with `censorscope lab up SCENARIO` (see `censorscope lab list`)"
        case .invalidName(let name):
            return "`\(name)` is not a scenario name (lower-case letters, digits and `-`); see `censorscope lab list`"
        case .ambiguous(let scenarios):
            return "several labs are up (\(scenarios.joined(separator: ", "))): say which, e.g. `lab status \(scenarios[0])` or `lab exec --scenario \(scenarios[0]) NODE -- CMD`"
        case let .unknownNode(node, scenario, nodes):
            return "lab \(scenario) has no node `\(node)` (nodes: \(nodes.joined(separator: ", ")))"
        case let .corruptState(path, reason):
            return "the lab state \(path) cannot be read (\(reason)): run `censorscope lab down` to clean up"
        case .noState(let s):
            return "lab \(s) has namespaces but no state (a crashed `lab up`?): run `censorscope lab down \(s)`"
        case let .namespaceGone(node, s):
            return "the namespace of \(node) is gone: run `censorscope lab down \(s)` and `lab up` again"
        case .execFailed(let reason):
            return "cannot run `ip netns exec`: \(reason) (is iproute2 installed?)"
        case let .io(path, reason):
            return "cannot write \(path): \(reason)"
        case let .upFailed(cause, nil):
            return "\(cause); everything built so far was removed"
        case let .upFailed(cause, rollback?):
            return "\(cause); removing what was built failed too (\(rollback)): run `censorscope lab down`"
        }
    }
}
