import Measurement
import ArgumentParser
import JSONSupport
import Packets
import Probing

// `probe stun|dns|quic|… HOST`: one command type, specialised for every datagram kind in
// `ProbeKinds.datagram`, whose options are the kind's parameter table. A new kind appears
// here without any edit.

enum ProbeKindCommands {
    /// One subcommand per datagram kind, in the table's order.
    static var all: [ParsableCommand.Type] { ProbeKinds.datagram.map { command(for: $0) } }

    private static func command<Kind: DatagramKind>(for kind: Kind.Type) -> ParsableCommand.Type {
        ProbeKindCommand<Kind>.self
    }

    /// "  --name NAME (at most 255 bytes; required)" then the help, indented: lines short
    /// enough that help output does not wrap them.
    static func parameterHelp(_ parameters: [KindParameter]) -> String {
        parameters.map { p in
            "  \(p.flag) \(p.valueName) (\(p.rangeText); \(p.defaultText))\n      \(p.help)"
        }.joined(separator: "\n")
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
        let parameters = ProbeKinds.parameters(of: Kind.self)
        let options = parameters.map { p in
            if case .required = p.defaultValue { return "\(p.flag) \(p.valueName)" }
            return "[\(p.flag) \(p.valueName)]"
        }
        return CommandConfiguration(
            commandName: Kind.name,
            abstract: Kind.summary,
            usage: "censorscope probe \(Kind.name) HOST \(options.joined(separator: " ")) [--rate N] [--timeout S] [--pcap FILE] [--interface IF] [--allow-reserved] [--json]",
            discussion: """
                Options of \(Kind.name) probes (in an experiment step: the same names, _ for -):
                \(ProbeKindCommands.parameterHelp(parameters))

                Run options, as every probe command takes them:
                  --rate N          Probes per second; 0: as fast as possible (default 500).
                  --timeout S       Seconds to wait after the last probe (default 2).
                  --pcap FILE       Write every packet sent and received to a pcapng file.
                  --interface IF    Capture on this interface, not the routed one.
                  --allow-reserved  Allow special-purpose destinations.
                  --json            Print JSON instead of text (Docs/probing.md).
                """
        )
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
        let firstPort = randomSourcePort()
        var random = SystemRandomNumberGenerator()
        try runAndReport(host: p.target.host, options: p.target.common, count: p.arguments.count, kind: Kind.name,
                         port: p.arguments.port,
                         details: { probe, answer in Kind.resultFields(probe: probe, answer: answer) },
                         humanDetail: { Kind.textDetail($0) }) { builder, i in
            try ProbeKinds.datagramProbe(Kind.self, builder: builder, index: i, sourcePort: SourcePorts.port(firstPort, i),
                                         ipID: randomIdentifier(), arguments: p.arguments, random: &random)
        }
    }
}
