import ArgumentParser
import Censor

/// The censor emulator of a lab node. `lab up` starts it inside the censor's namespace;
/// by hand: `ip netns exec NODE censorscope lab censor --policy censor.yaml`.
struct LabCensor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "censor",
        abstract: "Run the censor emulator in this namespace (started by `lab up`).",
        discussion: """
            Queues every packet arriving in the current network namespace (iptables raw \
            PREROUTING → NFQUEUE), applies the policy's rules (Docs/censor.md) and logs one \
            JSON line per decision. Runs until SIGTERM or SIGINT, then removes its rules. \
            With --check it only validates the policy.
            Example: ip netns exec cslab-telegram-2018-dpi censorscope lab censor --policy censor.yaml --check
            """,
        shouldDisplay: false
    )

    @Option(name: .long, help: "The policy: a YAML file with `clients` and `rules`.")
    var policy: String

    @Option(name: .long, help: "The NFQUEUE queue number (one per censor in a namespace).")
    var queue: UInt16 = 0

    @Option(name: .long, help: "Append JSON lines here (default: standard output).")
    var log: String?

    @Flag(name: .long, help: "Validate the policy and exit: silent and 0 when valid, one error line and 1 otherwise.")
    var check = false

    func run() throws {
        try runReportingUserErrors { _ in try CensorCommand.run(policy: policy, queue: queue, log: log, checkOnly: check) }
    }
}
