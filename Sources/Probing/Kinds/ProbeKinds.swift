import Packets

/// The table of probe kinds: the correlator, the `probe` commands and the experiment
/// language find every kind here. Adding a UDP application kind is one file (a
/// `DatagramKind`) and one line in `datagram`.
public enum ProbeKinds {
    /// The UDP application kinds, in the order the correlator tries their responses.
    /// At most 64 (the correlator keeps one bit per kind).
    public static let datagram: [any DatagramKind.Type] = [STUNKind.self, DNSKind.self, QUICKind.self]

    /// Every kind.
    public static let all: [any ProbeKind.Type] = [TCPKind.self, ICMPEchoKind.self, UDPKind.self] + datagram

    /// The kind that builds probes named `module`; nil for an unknown name.
    public static func kind(named module: String) -> (any ProbeKind.Type)? {
        all.first { $0.names.contains(module) }
    }

    /// The datagram kind called `name`; nil for any other name.
    public static func datagramKind(named name: String) -> (any DatagramKind.Type)? {
        datagramPosition(of: name).map { datagram[$0] }
    }

    /// Position in `datagram` by name: how the correlator tags a probe's transactions. A
    /// short scan of a few small strings, as cheap as the switch it replaces, per probe.
    static func datagramPosition(of module: String) -> Int? {
        datagramNames.firstIndex(of: module)
    }

    // Closures, not key paths, over the metatypes: Swift 6.3 crashes on `\.name` there.
    private static let datagramNames = datagram.map { $0.name }

    /// The kind's `recognises`; false for an unknown module name.
    public static func recognises(module: String, answer: IPPacket, probe: Probe) -> Bool {
        kind(named: module)?.recognises(answer, for: probe) ?? false
    }

    /// Every answer kind there is: each kind's own, then the ICMP errors.
    public static var answerKinds: [AnswerKind] {
        var out: [AnswerKind] = []
        for kind in all { for k in kind.answerKinds where !out.contains(k) { out.append(k) } }
        return out + AnswerKind.icmpErrors.filter { !out.contains($0) }
    }

    /// The answer kinds that are a service's own answer to a datagram (a response, or any
    /// datagram back from the port): what shows a UDP port reachable.
    public static var serviceAnswerKinds: [AnswerKind] { datagram.map { $0.responseKind } + [.udp] }

    // MARK: - Parameters

    /// The parameters every datagram kind takes before its own.
    public static func sharedParameters(defaultPort: UInt16) -> [KindParameter] {
        [
            KindParameter(name: "port", type: .integer(1...65535), defaultValue: .value(.integer(Int(defaultPort))),
                          help: "Destination port."),
            KindParameter(name: "ttl", type: .integer(1...255), defaultValue: .value(.integer(64)),
                          help: "IP TTL / hop limit."),
            KindParameter(name: "count", type: .integer(1...10_000), defaultValue: .value(.integer(1)),
                          help: "Number of requests, each from its own source port."),
        ]
    }

    /// Every parameter of `kind`: the shared ones, then its own.
    public static func parameters(of kind: any DatagramKind.Type) -> [KindParameter] {
        sharedParameters(defaultPort: kind.defaultPort) + kind.parameters
    }

    /// Checks typed values (an experiment step's): unknown names, types, ranges, required
    /// parameters, then the kind's own rules. Defaults fill what is left out.
    public static func arguments(for kind: any DatagramKind.Type, values: [String: KindValue]) throws(KindParameterError) -> KindArguments {
        let known = parameters(of: kind)
        for name in values.keys.sorted() where !known.contains(where: { $0.name == name }) {
            throw KindParameterError(parameter: name,
                                     problem: "is not a parameter of \(kind.name) probes; they take \(known.map(\.name).joined(separator: ", "))")
        }
        var checked: [String: KindValue] = [:]
        for p in known {
            if let given = values[p.name] {
                checked[p.name] = try p.check(given)
                continue
            }
            switch p.defaultValue {
            case .required: throw KindParameterError(parameter: p.name, problem: "is required: \(p.help.lowercasedFirst())")
            case .value(let v): checked[p.name] = v
            case .chosen: break
            }
        }
        let arguments = KindArguments(values: checked)
        try kind.validate(arguments)
        return arguments
    }

    /// Reads `--name value` / `--name=value` options (command-line words after the host)
    /// against `kind`'s parameters. Returns the arguments and the words that are none of
    /// them, in order, for the command's own options.
    public static func arguments(for kind: any DatagramKind.Type, commandLine words: [String]) throws(KindParameterError) -> (KindArguments, rest: [String]) {
        let known = parameters(of: kind)
        var values: [String: KindValue] = [:]
        var rest: [String] = []
        var i = 0
        while i < words.count {
            let word = words[i]
            if word == "--" {
                rest += words[i...]
                break
            }
            let (flag, inline) = word.splitOnce("=")
            guard let p = known.first(where: { $0.flag == flag }) else {
                rest.append(word)
                i += 1
                continue
            }
            let text: String
            if let inline {
                text = inline
                i += 1
            } else {
                guard i + 1 < words.count else { throw KindParameterError(parameter: p.name, problem: "needs a value (\(p.valueName))") }
                text = words[i + 1]
                i += 2
            }
            guard values[p.name] == nil else { throw KindParameterError(parameter: p.name, problem: "is given twice; give it once") }
            values[p.name] = try p.parse(text)
        }
        return (try arguments(for: kind, values: values), rest)
    }

    // MARK: - Building

    /// One probe of `kind` from `builder`'s source to its destination: the kind's request
    /// to `arguments.port` with `arguments.ttl`, labelled e.g. "stun binding ttl 64 #0".
    public static func datagramProbe(_ kind: any DatagramKind.Type, builder: ProbeBuilder, index: Int, sourcePort: UInt16,
                                     ipID: UInt16, arguments: KindArguments,
                                     random: inout some RandomNumberGenerator) throws(ProbeBuildError) -> Probe {
        let request = try kind.request(arguments, random: &random)
        return try builder.udpProbe(index: index, module: kind.name, label: "\(request.label) ttl \(arguments.ttl) #\(index)",
                                    sourcePort: sourcePort, destinationPort: arguments.port, payload: request.payload,
                                    ttl: arguments.ttl, ipID: ipID, checksum: nil)
    }
}

extension String {
    /// (before, after) the first `separator`; after is nil when there is none.
    fileprivate func splitOnce(_ separator: Character) -> (String, String?) {
        guard let i = firstIndex(of: separator) else { return (self, nil) }
        return (String(self[..<i]), String(self[index(after: i)...]))
    }

    fileprivate func lowercasedFirst() -> String {
        guard let first else { return self }
        return first.lowercased() + dropFirst()
    }
}
