import ArgumentParser
import Foundation
import Lab
#if canImport(Glibc)
import Glibc
#endif

struct LabExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command on a lab node (in its network namespace).",
        discussion: """
            Standard input, output and error pass through and the command's exit status is \
            returned. The command sees CENSORSCOPE_LAB, CENSORSCOPE_LAB_NODE and \
            CENSORSCOPE_ALLOW_RESERVED=1 (lab addresses are in reserved ranges).
            Example: censorscope lab exec client -- ping -c1 198.18.9.2
            """
    )

    @Option(name: .long, help: "The lab, when several are up.")
    var scenario: String?

    @Argument(help: "The node, as named in the scenario.")
    var node: String

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after `--`.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after `--`, e.g. lab exec client -- ping -c1 198.18.9.2") }
    }

    func run() throws {
        try labAction {
            guard geteuid() == 0 else { throw LabError.notRoot }
            let store = LabStore()
            let name = try chooseScenario(scenario, store: store)
            let state = try loadState(name, store: store)
            guard let planned = state.nodes.first(where: { $0.name == node }) else {
                throw LabError.unknownNode(node: node, scenario: name, nodes: state.nodes.map(\.name))
            }
            guard FileManager.default.fileExists(atPath: LabStore.netnsDirectory + "/" + planned.namespace) else {
                throw UserError("the namespace of \(node) is gone: run `censorscope lab down \(name)` and `lab up` again")
            }
            setenv("CENSORSCOPE_LAB", name, 1)
            setenv("CENSORSCOPE_LAB_NODE", node, 1)
            setenv("CENSORSCOPE_ALLOW_RESERVED", "1", 1)
            // Replace this process: stdio, signals and the exit status pass through untouched.
            let argv = ["ip", "netns", "exec", planned.namespace] + command
            let cArgs = argv.map { strdup($0) } + [nil]
            execvp("ip", cArgs)
            let reason = String(cString: strerror(errno))
            cArgs.forEach { free($0) }
            throw UserError("cannot run `ip netns exec`: \(reason) (is iproute2 installed?)")
        }
    }
}
