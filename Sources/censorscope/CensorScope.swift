import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct CensorScope: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "censorscope",
        abstract: "Find out, with evidence, whether and how a service is blocked.",
        discussion: """
            Probes are built packet by packet, answers are matched by a libpcap sniffer, and \
            every verdict carries the packets that prove it. See Docs/ for data formats.
            Exit status, every command: 0 measured and not blocked, 1 error, 2 blocked, \
            3 inconclusive (nothing decided: no answer, host down), 64 usage error.
            Example: censorscope investigate example.org --port 443 --sni example.org
            """,
        version: BuildInfo.versionLine(version),
        subcommands: [Decode.self, ProbeCommand.self, SweepCommand.self, TraceCommand.self, InvestigateCommand.self, AnalyzeCommand.self, ReportCommand.self, CampaignCommand.self, ServeCommand.self, RoutesCommand.self, AgentCommand.self, Lab.self]
    )

    /// Our own entry point instead of ArgumentParser's: usage errors print one `error: …`
    /// line (not "Error:" plus the usage) and every failure exits with DESIGN.md's codes.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            try HelpTopic.check(arguments, root: self)
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            finish(error, arguments: arguments)
        }
        Glibc.exit(0)
    }

    /// Help and --version go to stdout with status 0; anything else is one line on stderr.
    static func finish(_ error: Error, arguments: [String]) -> Never {
        if let code = error as? ExitCode { Glibc.exit(code.rawValue) }
        let code = exitCode(for: error)
        if code == .success {
            let text = fullMessage(for: error)
            if !text.isEmpty { print(text) }
            Glibc.exit(0)
        }
        var sentence = message(for: error).split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            .filter { !$0.isEmpty }.joined(separator: " ")
        if sentence.isEmpty { sentence = "\(error)" }
        if code == .validationFailure {
            let path = HelpTopic.commandPath(arguments, root: self).joined(separator: " ")
            sentence = HelpTopic.lowercasingFirst(sentence) + " (see 'censorscope \(path.isEmpty ? "" : path + " ")--help')"
        }
        printError(sentence)
        Glibc.exit(code == .validationFailure ? ExitStatus.usage : ExitStatus.error)
    }
}

/// `help TOPIC…` and the command path of a command line, found by walking the subcommands.
enum HelpTopic {
    /// The names of the subcommands the arguments select, root excluded.
    static func commandPath(_ arguments: [String], root: ParsableCommand.Type) -> [String] {
        var path: [String] = []
        var command = root
        for word in arguments.drop(while: { $0 == "help" }) {
            guard let next = command.configuration.subcommands.first(where: { name(of: $0) == word }) else { break }
            path.append(word)
            command = next
        }
        return path
    }

    /// `help nosuch` is a usage error: ArgumentParser would print the root's help and exit 0.
    static func check(_ arguments: [String], root: ParsableCommand.Type) throws {
        guard arguments.first == "help" else { return }
        let topics = arguments.dropFirst().filter { !$0.hasPrefix("-") }
        let path = commandPath(Array(topics), root: root)
        if path.count < topics.count {
            let unknown = topics[topics.index(topics.startIndex, offsetBy: path.count)]
            throw ValidationError("no command '\(([ "censorscope"] + path + [unknown]).joined(separator: " "))'")
        }
    }

    static func name(of command: ParsableCommand.Type) -> String {
        command.configuration.commandName ?? String(describing: command).lowercased()
    }

    /// "Missing value" → "missing value", but "TLS …" stays.
    static func lowercasingFirst(_ text: String) -> String {
        guard let first = text.first, first.isUppercase, text.dropFirst().first?.isLowercase == true else { return text }
        return first.lowercased() + text.dropFirst()
    }
}

extension BuildInfo {
    /// `0.1.0 (commit 1a2b3c4d5e6f, built 2026-12-02)`.
    static func versionLine(_ version: String) -> String { "\(version) (commit \(commit), built \(date))" }
}
