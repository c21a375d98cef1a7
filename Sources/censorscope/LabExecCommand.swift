import ArgumentParser
import Lab

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
        try runReportingUserErrors { _ in try LabExec.replaceProcess(scenario: scenario, node: node, command: command) }
    }
}
