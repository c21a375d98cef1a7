import ArgumentParser
import Censor
import Lab

struct Lab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Build a network of namespaces with an emulated censor to test against.",
        discussion: """
            A scenario (a built-in name from `lab list`, or a YAML file; see Docs/lab.md) \
            describes nodes, links and routes. `lab up` builds it with real services and a \
            censor, `lab exec NODE -- CMD` runs a command on a node, `lab down` removes it. \
            Needs root. The lab uses only 198.18.0.0/16 and 2001:db8::/32.
            Example: censorscope lab up telegram-2018 && censorscope lab exec client -- censorscope investigate 198.18.9.2
            """,
        subcommands: [LabUpCommand.self, LabDownCommand.self, LabListCommand.self, LabStatusCommand.self, LabExecCommand.self, LabCensor.self, LabServe.self]
    )
}

struct LabUpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Build a scenario's network and start its services and censor.",
        discussion: """
            On any failure, or ^C, everything built so far is removed again.
            Example: censorscope lab up clean --json
            """
    )

    @Argument(help: "A built-in scenario (see `lab list`) or a path to a scenario .yaml file.")
    var scenario: String

    @Flag(name: .long, help: "Print the lab's status as JSON when it is up.")
    var json = false

    func run() throws {
        try runReportingUserErrors { out in
            let (state, store) = try LabNetwork.up(scenario, validateCensor: CensorPolicy.validateScenarioCensor, warn: printWarning)
            if json { out.json(LabStatus.json(state, store: store)) } else { out.lines(LabStatus.upText(state)) }
        }
    }
}

struct LabDownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Remove a lab (or, with no scenario, every lab): processes, namespaces, state.",
        discussion: """
            Also cleans up after a crashed `lab up`: lab namespaces are found by their `cslab-` prefix. \
            A name that is neither a built-in scenario nor up is an error (exit 1).
            Example: censorscope lab down clean
            """
    )

    @Argument(help: "The scenario to remove; all labs when omitted.")
    var scenario: String?

    @Flag(name: .long, help: "Print what was removed as JSON.")
    var json = false

    func run() throws {
        try runReportingUserErrors { out in
            let report = try LabNetwork(executable: nil).down(scenario)
            // Nothing removed under a name no scenario has: a typo, not an idempotent teardown.
            if let scenario, report.namespaces.isEmpty, report.processes.isEmpty, !BuiltinScenarios.names.contains(scenario) {
                throw UserError("no lab '\(scenario)': it is not a built-in scenario and is not up (see 'censorscope lab list')")
            }
            if json { out.json(report.json) } else { out.line(report.text(asked: scenario)) }
        }
    }
}

struct LabListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the built-in scenarios and which labs are up.",
        discussion: "Example: censorscope lab list --json"
    )

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        try runReportingUserErrors { out in
            let catalog = LabCatalog(store: LabStore())
            if json { out.json(catalog.json) } else { out.lines(catalog.text) }
        }
    }
}

struct LabStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running lab: nodes, roles, addresses, namespaces, processes.",
        discussion: "Example: censorscope lab status clean --json"
    )

    @Argument(help: "The lab to show; needed only when several are up.")
    var scenario: String?

    @Flag(name: .long, help: "Print JSON: {scenario, nodes: [{name, role, addresses, …}], …}.")
    var json = false

    func run() throws {
        try runReportingUserErrors { out in
            let store = LabStore()
            let state = try store.state(of: try store.choose(scenario))
            if json { out.json(LabStatus.json(state, store: store)) } else { out.lines(LabStatus.text(state, store: store)) }
        }
    }
}
