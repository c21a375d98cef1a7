import Yams

extension ExperimentScript {
    /// The top-level keys of a script, in the order the documentation gives them.
    static let topLevelKeys = ["name", "description", "ports", "repetitions", "pacing", "steps", "analyses"]
    static let pacingKeys = ["rate", "parallel", "target_gap_ms", "timeout_ms", "holdoff_s"]

    /// Parses and validates an experiment script (Docs/campaigns.md). `source` names the file
    /// in errors. Hostile input never traps: every problem is a `CampaignError` with its line.
    public static func parse(_ text: String, source: String) throws(CampaignError) -> ExperimentScript {
        let reader = ScriptReader(file: source)
        guard let root = try reader.compose(text) else {
            throw reader.fail(line: nil, "the file is empty; a script needs `name`, `ports`, `steps` and `analyses`")
        }
        return try ScriptBuilder(reader: reader).script(root)
    }
}

/// One parse: reads the document top-down, validating as it goes, then checks the rules
/// that tie steps, ports and analyses together.
struct ScriptBuilder {
    let reader: ScriptReader

    static let maximumNameLength = 64

    func script(_ root: Node) throws(CampaignError) -> ExperimentScript {
        if case .scalar(let s) = root, s.string.isEmpty {
            throw reader.fail(line: nil, "the file is empty; a script needs `name`, `ports`, `steps` and `analyses`")
        }
        let top = try reader.mapping(root, "a script", whereText: "", allowed: ExperimentScript.topLevelKeys)
        var name: String?, description = "", ports: [ServicePort]?, repetitions = 1, pacing = Pacing()
        var steps: [LocatedStep]?, analyses: [(analysis: ScriptAnalysis, line: Int)]?
        // In file order, so the first problem reported is the first one in the file.
        for key in top.order {
            guard let node = top[key] else { continue }
            switch key {
            case "name": name = try scriptName(node)
            case "description": description = try reader.scalar(node, "description")
            case "ports": ports = try servicePorts(node)
            case "repetitions": repetitions = try reader.int(node, "repetitions", 1...10)
            case "pacing": pacing = try self.pacing(node)
            case "steps": steps = try StepBuilder(reader: reader).steps(node)
            default: analyses = try analysisList(node)
            }
        }
        guard let name else { throw missing(top, "name", "give the campaign a name like `name: telegram`") }
        guard let ports else { throw missing(top, "ports", "list the ports to probe, like `ports: [443, 3478/udp]`") }
        guard let steps else { throw missing(top, "steps", "list the probes to run, like `steps: [{probe: echo}]`") }
        guard let analyses else { throw missing(top, "analyses", "say what judges the answers, like `analyses: [investigation]`") }

        try checkPorts(of: steps, ports: ports)
        try checkAnalyses(analyses, steps: steps.map(\.step), ports: ports)
        return ExperimentScript(name: name, description: description, ports: ports, repetitions: repetitions,
                                pacing: pacing, steps: steps.map(\.step), analyses: analyses.map(\.analysis))
    }

    /// A required key that is absent, reported at the mapping's first line.
    private func missing(_ fields: Fields, _ key: String, _ hint: String) -> CampaignError {
        reader.fail(line: fields.line, "`\(key)` is missing; \(hint)")
    }

    func scriptName(_ node: Node) throws(CampaignError) -> String {
        let name = try reader.scalar(node, "name")
        let allowed = name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
        }
        guard allowed, (1...Self.maximumNameLength).contains(name.utf8.count) else {
            throw reader.fail(node, "`name` must be 1 to \(Self.maximumNameLength) letters, digits, '-', '_' or '.', not '\(ScriptReader.clip(name))'")
        }
        return name
    }

    func servicePorts(_ node: Node) throws(CampaignError) -> [ServicePort] {
        var ports: [ServicePort] = []
        for item in try reader.list(node, "ports", example: "[443, 80, 3478/udp]") {
            let text = try reader.scalar(item, "ports")
            guard let port = ServicePort(text) else {
                throw reader.fail(item, "'\(ScriptReader.clip(text))' in `ports` is not a port; write a number from 1 to 65535, optionally followed by /udp, like 443 or 3478/udp")
            }
            guard !ports.contains(port) else { throw reader.fail(item, "port \(port) appears twice in `ports`; list each port once") }
            ports.append(port)
        }
        return ports
    }

    func pacing(_ node: Node) throws(CampaignError) -> Pacing {
        let fields = try reader.mapping(node, "`pacing`", whereText: " in `pacing`", allowed: ExperimentScript.pacingKeys)
        var pacing = Pacing()
        if let rate = fields["rate"] { pacing.rate = try reader.number(rate, "rate", 0...1_000_000, orWord: "max") }
        if let n = fields["parallel"] { pacing.parallel = try reader.int(n, "parallel", 1...256) }
        if let n = fields["target_gap_ms"] { pacing.targetGapMilliseconds = try reader.int(n, "target_gap_ms", 0...60_000) }
        if let n = fields["timeout_ms"] { pacing.timeoutMilliseconds = try reader.int(n, "timeout_ms", 100...30_000) }
        if let n = fields["holdoff_s"] { pacing.holdoffSeconds = try reader.int(n, "holdoff_s", 0...3600) }
        return pacing
    }

    func analysisList(_ node: Node) throws(CampaignError) -> [(analysis: ScriptAnalysis, line: Int)] {
        let names = ScriptAnalysis.allCases.map(\.rawValue)
        var out: [(analysis: ScriptAnalysis, line: Int)] = []
        for item in try reader.list(node, "analyses", example: "[investigation, datagram, asn]") {
            let word = try reader.scalar(item, "analyses")
            guard let analysis = ScriptAnalysis(rawValue: word) else {
                throw reader.fail(item, "unknown analysis '\(ScriptReader.clip(word))'; use \(ScriptReader.words(names, last: "or"))")
            }
            guard !out.contains(where: { $0.analysis == analysis }) else {
                throw reader.fail(item, "analysis `\(word)` appears twice in `analyses`; list each once")
            }
            out.append((analysis, ScriptReader.line(item)))
        }
        return out
    }

    /// A step that probes TCP needs a TCP port, one that probes UDP a UDP port.
    func checkPorts(of steps: [LocatedStep], ports: [ServicePort]) throws(CampaignError) {
        let hasTCP = ports.contains { $0.transport == .tcp }
        let hasUDP = ports.contains { $0.transport == .udp }
        for located in steps {
            switch located.step {
            case .syn, .payload, .fetch, .transfer:
                guard hasTCP else {
                    throw reader.fail(line: located.line, "a \(located.step.kind) step probes TCP but `ports` has no TCP port; add one like 443")
                }
            case .trace(let trace) where trace.method == .tcp:
                guard hasTCP else {
                    throw reader.fail(line: located.line, "a tcp trace needs a TCP port in `ports` to trace towards; add one like 443 or use `method: icmp`")
                }
            case .datagram:
                guard hasUDP else {
                    throw reader.fail(line: located.line, "a \(located.step.kind) step probes UDP but `ports` has no UDP port; add one like 3478/udp")
                }
            default:
                break
            }
        }
    }

    /// Each analysis needs the steps (and ports) whose answers it judges.
    func checkAnalyses(_ analyses: [(analysis: ScriptAnalysis, line: Int)], steps: [ScriptStep], ports: [ServicePort]) throws(CampaignError) {
        let kinds = Set(steps.map(\.kind))
        for (analysis, line) in analyses {
            switch analysis {
            case .investigation:
                guard kinds.contains("syn") else {
                    throw reader.fail(line: line, "analysis `investigation` judges SYN trials, so `steps` needs a syn step")
                }
                guard ports.contains(where: { $0.transport == .tcp }) else {
                    throw reader.fail(line: line, "analysis `investigation` judges TCP ports, so `ports` needs one like 443")
                }
            case .datagram:
                guard steps.contains(where: { if case .datagram = $0 { return true }; return false }) else {
                    throw reader.fail(line: line, "analysis `datagram` judges UDP answers, so `steps` needs a step of a UDP kind: \(ScriptReader.words(StepBuilder.datagramKinds, last: "or"))")
                }
                guard ports.contains(where: { $0.transport == .udp }) else {
                    throw reader.fail(line: line, "analysis `datagram` judges UDP ports, so `ports` needs one like 3478/udp")
                }
            case .asn:
                guard kinds.contains("trace") else {
                    throw reader.fail(line: line, "analysis `asn` names the ASes on the path, so `steps` needs a trace step")
                }
            }
        }
    }
}
