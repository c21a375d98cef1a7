import Probing

/// The help of `probe KIND`, from the kind's parameter table: a new kind gets its command's
/// usage and option list without an edit.
public enum ProbeKindHelp {
    /// `censorscope probe dns HOST [--port PORT] … --name NAME … [--json]`.
    public static func usage(_ kind: any DatagramKind.Type) -> String {
        let options = ProbeKinds.parameters(of: kind).map { p in
            if case .required = p.defaultValue { return "\(p.flag) \(p.valueName)" }
            return "[\(p.flag) \(p.valueName)]"
        }
        return "censorscope probe \(kind.name) HOST \(options.joined(separator: " ")) [--rate N] [--timeout S] [--pcap FILE] [--interface IF] [--allow-reserved] [--json]"
    }

    /// The kind's options, then the run options every probe command takes.
    public static func discussion(_ kind: any DatagramKind.Type) -> String {
        """
        Options of \(kind.name) probes (in an experiment step: the same names, _ for -):
        \(parameterHelp(ProbeKinds.parameters(of: kind)))

        Run options, as every probe command takes them:
          --rate N          Probes per second; 0: as fast as possible (default 500).
          --timeout S       Seconds to wait after the last probe (default 2).
          --pcap FILE       Write every packet sent and received to a pcapng file.
          --interface IF    Capture on this interface, not the routed one.
          --allow-reserved  Allow special-purpose destinations.
          --json            Print JSON instead of text (Docs/probing.md).

        Example: censorscope probe \(kind.name) example.org --json
        """
    }

    /// "  --name NAME (at most 255 bytes; required)" then the help, indented: lines short
    /// enough that help output does not wrap them.
    static func parameterHelp(_ parameters: [KindParameter]) -> String {
        parameters.map { p in
            "  \(p.flag) \(p.valueName) (\(p.rangeText); \(p.defaultText))\n      \(p.help)"
        }.joined(separator: "\n")
    }
}
