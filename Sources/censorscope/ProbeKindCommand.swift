import ArgumentParser
import Measurement
import Probing
import TextViews

// `probe stun|dns|quic|… HOST`: one command type, specialised for every datagram kind in
// `ProbeKinds.datagram`, whose options are the kind's parameter table. A new kind appears
// here without any edit.

enum ProbeKindCommands {
    /// One subcommand per datagram kind, in the table's order.
    static var all: [ParsableCommand.Type] { ProbeKinds.datagram.map { command(for: $0) } }

    private static func command<Kind: DatagramKind>(for kind: Kind.Type) -> ParsableCommand.Type {
        ProbeKindCommand<Kind>.self
    }
}

/// The host and the run options every probe command shares, read after the kind's own
/// options are taken out.
struct DatagramTarget: ParsableArguments {
    @Argument(help: "The target's address or name.") var host: String
    @OptionGroup var common: RunOptions
}

struct ProbeKindCommand<Kind: DatagramKind>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Kind.name, abstract: Kind.summary, usage: ProbeKindHelp.usage(Kind.self),
                             discussion: ProbeKindHelp.discussion(Kind.self))
    }

    @Argument(parsing: .captureForPassthrough, help: .hidden)
    var words: [String] = []

    /// The command line read against the kind's parameters, then the shared options.
    struct Parsed {
        var arguments: KindArguments
        var target: DatagramTarget
    }

    func parsed() throws -> Parsed {
        let options = words.prefix { $0 != "--" }
        if options.contains(where: { ["-h", "--help", "-help"].contains($0) }) { throw CleanExit.helpRequest(Self.self) }
        let arguments: KindArguments, rest: [String]
        do {
            (arguments, rest) = try ProbeKinds.arguments(for: Kind.self, commandLine: words)
        } catch {
            throw ValidationError(error.commandLineDescription)
        }
        do {
            return Parsed(arguments: arguments, target: try DatagramTarget.parse(rest))
        } catch {
            throw ValidationError(DatagramTarget.message(for: error))
        }
    }

    func validate() throws { _ = try parsed() }

    func run() throws {
        let p = try parsed()
        try runReportingFinding { out in
            return try report(.kind(Kind.self, try p.target.common.run(to: p.target.host), arguments: p.arguments), p.target.common, into: &out)
        }
    }
}
