import Foundation
import JSONSupport

/// `lab status`: a running lab as DESIGN.md's JSON (`scenario`, `nodes` of `name`, `role`,
/// `addresses`) plus where things are, and the same as text.
public enum LabStatus {
    public static func json(_ state: LabState, store: LabStore) -> JSONValue {
        let nodes: [JSONValue] = state.nodes.map { node in
            let processes: [JSONValue] = state.processes.filter { $0.node == node.name }.map { p in
                ["kind": .string(p.kind.rawValue), "pid": .number(p.pid), "running": .bool(p.isRunning),
                 "log": .string(p.log), "output": .string(p.output)]
            }
            return [
                "name": .string(node.name),
                "role": .string(node.role.rawValue),
                "addresses": .array(node.addresses.map { .string($0) }),
                "namespace": .string(node.namespace),
                "present": .bool(FileManager.default.fileExists(atPath: LabStore.netnsDirectory + "/" + node.namespace)),
                "interfaces": .array(node.interfaces.map { i in
                    ["name": .string(i.name), "peer": .string(i.peer), "mac": .string(i.mac),
                     "addresses": .array(i.addresses.map { .string($0) })]
                }),
                "processes": .array(processes),
            ]
        }
        return [
            "scenario": .string(state.scenario),
            "nodes": .array(nodes),
            "description": .string(state.description),
            "source": .string(state.source),
            "phase": .string(state.phase.rawValue),
            "created": .string(state.created),
            "state_dir": .string(store.directory(of: state.scenario)),
            "warnings": .array(state.warnings.map { .string($0) }),
        ]
    }

    public static func text(_ state: LabState, store: LabStore) -> [String] {
        var lines = ["lab \(state.scenario) (\(state.phase.rawValue)) from \(state.source)"]
        if !state.description.isEmpty { lines.append("  " + state.description) }
        for node in state.nodes {
            let present = FileManager.default.fileExists(atPath: LabStore.netnsDirectory + "/" + node.namespace)
            lines.append("  \(node.name) [\(node.role.rawValue)] \(node.addresses.joined(separator: " "))\(present ? "" : " (namespace missing)")")
            for p in state.processes where p.node == node.name {
                lines.append("      \(p.kind.rawValue) pid \(p.pid) \(p.isRunning ? "running" : "NOT RUNNING"), log \(p.log)")
            }
        }
        for w in state.warnings { lines.append("  warning: \(w)") }
        lines.append("  state: \(store.directory(of: state.scenario))")
        return lines
    }
}
