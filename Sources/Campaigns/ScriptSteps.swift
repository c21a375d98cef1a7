import Probing
import Yams

/// A parsed step and the line its `- probe:` item starts on, for later cross-checks.
struct LocatedStep {
    var step: ScriptStep
    var line: Int
}

/// Reads `steps:`, one probe kind at a time, each with its own allowed keys.
struct StepBuilder {
    let reader: ScriptReader

    /// The steps the language has of its own; the datagram kinds come from the probe-kind table.
    static let ownKinds = ["echo", "syn", "trace", "payload", "fetch", "transfer"]
    static let ownKeys: [String: [String]] = [
        "echo": ["probe", "count"],
        "syn": ["probe", "variants", "pad", "second_port"],
        "trace": ["probe", "method", "shape", "max_ttl", "when"],
        "payload": ["probe", "kind", "name", "control", "max_ttl", "pause_ms", "when"],
        "fetch": ["probe", "name", "path", "max_bytes", "max_ms", "when"],
        "transfer": ["probe", "kind", "name", "control", "path", "max_bytes", "max_ms", "min_bytes", "ratio", "when"],
    ]
    // Closures, not key paths, over the table's metatypes (Swift 6.3 crashes on those).
    static let datagramKinds = ProbeKinds.datagram.map { $0.name }
    static var probeKinds: [String] { ownKinds + datagramKinds }
    /// A datagram step's keys: `probe`, `count`, then the kind's own parameters.
    static func keys(_ kind: String) -> [String]? {
        if let own = ownKeys[kind] { return own }
        guard let k = ProbeKinds.datagramKind(named: kind) else { return nil }
        return ["probe", "count"] + k.parameters.map { $0.name }
    }
    static let maximumNameBytes = 255
    /// The payload name that stands for the target's own host name.
    static let targetName = "$target"

    func steps(_ node: Node) throws(CampaignError) -> [LocatedStep] {
        var out: [LocatedStep] = []
        for item in try reader.list(node, "steps", example: "[{probe: echo}, {probe: syn, variants: [mss, linux]}]") {
            out.append(LocatedStep(step: try step(item, earlier: out.map(\.step)), line: ScriptReader.line(item)))
        }
        return out
    }

    /// Reads one step; `earlier` are the steps before it, which `when:` depends on.
    func step(_ node: Node, earlier: [ScriptStep]) throws(CampaignError) -> ScriptStep {
        let earlierSYN = earlier.contains { $0.kind == "syn" }
        let kinds = ScriptReader.words(Self.probeKinds, last: "or")
        guard case .mapping(let m) = node else {
            throw reader.fail(node, "a step must be a mapping starting with `probe:` (\(kinds)), not \(ScriptReader.kind(node))")
        }
        guard let probeNode = m.first(where: { key, _ in
            if case .scalar(let s) = key { return s.string == "probe" } else { return false }
        })?.value else {
            throw reader.fail(node, "a step needs `probe:` to say what it sends: \(kinds)")
        }
        let kind = try reader.scalar(probeNode, "probe")
        guard let allowed = Self.keys(kind) else {
            throw reader.fail(probeNode, "unknown probe '\(ScriptReader.clip(kind))'; use \(kinds)")
        }
        let fields = try reader.mapping(node, "a step", whereText: " in a \(kind) step", allowed: allowed)
        switch kind {
        case "echo":
            return .echo(count: try fields["count"].map { n throws(CampaignError) in try reader.int(n, "count", 1...10) } ?? 2)
        case "syn":
            return .syn(try syn(fields))
        case "trace":
            return .trace(try trace(fields, earlierSYN: earlierSYN))
        case "payload":
            return .payload(try payload(fields, earlierSYN: earlierSYN, earlierLinuxSYN: Self.sendsLinux(earlier)))
        case "fetch":
            return .fetch(try fetch(fields, earlierSYN: earlierSYN))
        case "transfer":
            return .transfer(try transfer(fields, earlierSYN: earlierSYN, earlierLinuxSYN: Self.sendsLinux(earlier)))
        default:
            return .datagram(try datagram(kind, fields, node: node))
        }
    }

    func syn(_ fields: Fields) throws(CampaignError) -> SYNStep {
        let variants = try variantList(try fields.required("variants", "list the SYN shapes to send, like `variants: [mss, linux]`"), "variants")
        var step = SYNStep(variants: variants)
        if let padNode = fields["pad"] {
            step.pad = try variantList(padNode, "pad")
            for (variant, item) in zip(step.pad, try reader.list(padNode, "pad", example: "[bare, mss]")) where !variants.contains(variant) {
                throw reader.fail(item, "`pad` names '\(variant.rawValue)', which is not in `variants`; pad only variants the step sends")
            }
        }
        if let n = fields["second_port"] {
            guard case .scalar(let s) = n, s.string == "auto" || (UInt16(s.string).map { $0 > 0 } ?? false) else {
                let text = (try? reader.scalar(n, "second_port")).map { "'\(ScriptReader.clip($0))'" } ?? ScriptReader.kind(n)
                throw reader.fail(n, "`second_port` must be a port from 1 to 65535 or `auto` (443, or 80 for items on 443), not \(text)")
            }
            step.secondPort = s.string == "auto" ? .auto : .fixed(UInt16(s.string) ?? 443)
        }
        return step
    }

    private func variantList(_ node: Node, _ key: String) throws(CampaignError) -> [SYNVariant] {
        let names = SYNVariant.allCases.map(\.rawValue)
        var out: [SYNVariant] = []
        for item in try reader.list(node, key, example: "[bare, mss, linux]") {
            let text = try reader.scalar(item, key)
            guard let variant = SYNVariant(rawValue: text) else {
                throw reader.fail(item, "`\(key)` names '\(ScriptReader.clip(text))', which is not a SYN shape; use \(ScriptReader.words(names, last: "or"))")
            }
            guard !out.contains(variant) else { throw reader.fail(item, "`\(key)` lists '\(text)' twice; give each shape once") }
            out.append(variant)
        }
        return out
    }

    func trace(_ fields: Fields, earlierSYN: Bool) throws(CampaignError) -> TraceStep {
        let methodNode = try fields.required("method", "say how to trace: icmp, tcp or udp")
        guard let method = TraceMethod(rawValue: try reader.word(methodNode, "method", ["icmp", "tcp", "udp"])) else {
            throw reader.fail(methodNode, "`method` must be icmp, tcp or udp")
        }
        var step = TraceStep(method: method, shape: method == .tcp ? .variant(.mss) : nil)
        if let n = fields["max_ttl"] { step.maxTTL = try reader.int(n, "max_ttl", 2...64) }
        if let whenNode = fields["when"] {
            if case .scalar(let s) = whenNode, s.string == "passed" {
                throw reader.fail(whenNode, "`when: passed` is for payload steps only; a trace step runs `always` or when `blocked`")
            }
            step.when = StepCondition(rawValue: try reader.word(whenNode, "when", ["always", "blocked"])) ?? .always
            try requireEarlierSYN(step.when, earlierSYN: earlierSYN, line: ScriptReader.line(whenNode))
        }
        if let shapeNode = fields["shape"] {
            guard method == .tcp else {
                throw reader.fail(shapeNode, "`shape` is for tcp traces only; remove it or use `method: tcp`")
            }
            let names = SYNVariant.allCases.map(\.rawValue) + ["blocked", "passing"]
            let text = try reader.word(shapeNode, "shape", names)
            if text == "blocked" {
                guard step.when == .blocked else {
                    throw reader.fail(shapeNode, "`shape: blocked` traces the smallest blocked SYN shape, so the step needs `when: blocked`")
                }
                step.shape = .blocked
            } else if text == "passing" {
                guard earlierSYN else {
                    throw reader.fail(shapeNode, "`shape: passing` traces a SYN shape that passed, so an earlier syn step must send some; add one before this step")
                }
                step.shape = .passing
            } else if let variant = SYNVariant(rawValue: text) {
                step.shape = .variant(variant)
            }
        }
        return step
    }

    /// Whether an earlier syn step sends the kernel's own (linux) shape, which `when: passed` waits for.
    static func sendsLinux(_ earlier: [ScriptStep]) -> Bool {
        earlier.contains { if case .syn(let s) = $0 { return s.variants.contains(.linux) } else { return false } }
    }

    func payload(_ fields: Fields, earlierSYN: Bool, earlierLinuxSYN: Bool) throws(CampaignError) -> PayloadSpec {
        var spec = PayloadSpec(kind: try payloadKind(fields))
        if let name = try testName(fields) { spec.name = name }
        if let control = try controlName(fields) { spec.control = control }
        if let n = fields["max_ttl"] { spec.maxTTL = try reader.int(n, "max_ttl", 2...64) }
        if let n = fields["pause_ms"] { spec.pauseMilliseconds = try reader.int(n, "pause_ms", 0...5000) }
        spec.when = try condition(fields, ["passed", "always"], default: .passed, earlierSYN: earlierSYN, earlierLinuxSYN: earlierLinuxSYN)
        return spec
    }

    /// `kind`: what the step sends, http (a Host header) or tls (an SNI), or auto.
    func payloadKind(_ fields: Fields) throws(CampaignError) -> PayloadSpec.Kind {
        let kindNode = try fields.required("kind", "say what to send: http (a Host header) or tls (a ClientHello with SNI)")
        guard let kind = PayloadSpec.Kind(rawValue: try reader.word(kindNode, "kind", ["http", "tls", "auto"])) else {
            throw reader.fail(kindNode, "`kind` must be http, tls or auto")
        }
        return kind
    }

    /// `name`: `$target` or a literal name; nil when not given.
    func testName(_ fields: Fields) throws(CampaignError) -> PayloadSpec.Name? {
        guard let n = fields["name"] else { return nil }
        let text = try reader.scalar(n, "name")
        return text == Self.targetName ? .target : .fixed(try literalName(n, text, "name", allowTarget: true))
    }

    /// `control`: a literal name; nil when not given.
    func controlName(_ fields: Fields) throws(CampaignError) -> String? {
        guard let n = fields["control"] else { return nil }
        return try literalName(n, try reader.scalar(n, "control"), "control", allowTarget: false)
    }

    /// `when:` among `allowed`, checked against the steps before it.
    func condition(_ fields: Fields, _ allowed: [String], default fallback: StepCondition, earlierSYN: Bool,
                   earlierLinuxSYN: Bool) throws(CampaignError) -> StepCondition {
        var when = fallback
        var whenLine = fields.line
        if let whenNode = fields["when"] {
            when = StepCondition(rawValue: try reader.word(whenNode, "when", allowed)) ?? fallback
            whenLine = ScriptReader.line(whenNode)
        }
        try requireEarlierSYN(when, earlierSYN: earlierSYN, line: whenLine, implicit: fields["when"] == nil)
        // `passed` means the kernel-shaped (linux) SYN got through: some earlier syn step must send it.
        if when == .passed, !earlierLinuxSYN {
            throw reader.fail(line: whenLine, "`when: passed` waits for the linux SYN of an earlier syn step, but none sends `linux`; add it to that step's `variants` or use `when: always`")
        }
        return when
    }

    /// `blocked`, `passed` and `intercepted` act on what an earlier syn step found.
    func requireEarlierSYN(_ when: StepCondition, earlierSYN: Bool, line: Int, implicit: Bool = false) throws(CampaignError) {
        guard when != .always, !earlierSYN else { return }
        let how = implicit ? "runs `when: \(when.rawValue)` by default, which" : "has `when: \(when.rawValue)`, which"
        throw reader.fail(line: line, "this step \(how) acts on an earlier syn step's result, but none comes before it; add a syn step earlier or use `when: always`")
    }

    /// A Host/SNI value: 1 to 255 bytes, no spaces or control characters.
    func literalName(_ node: Node, _ text: String, _ key: String, allowTarget: Bool) throws(CampaignError) -> String {
        let bytes = text.utf8
        let clean = bytes.allSatisfy { $0 > 0x20 && $0 != 0x7F }
        guard clean, (1...Self.maximumNameBytes).contains(bytes.count), !text.hasPrefix("$") else {
            let what = allowTarget ? "\(Self.targetName) or a name" : "a name"
            throw reader.fail(node, "`\(key)` must be \(what) of 1 to \(Self.maximumNameBytes) bytes without spaces, not '\(ScriptReader.clip(text))'")
        }
        return text
    }

    /// A datagram kind's step: `count`, and the kind's parameters checked by the kind itself
    /// (the table's types, ranges, required ones and rules), each error at its key's line.
    func datagram(_ kind: String, _ fields: Fields, node: Node) throws(CampaignError) -> DatagramStep {
        guard let k = ProbeKinds.datagramKind(named: kind) else { throw reader.fail(node, "unknown probe '\(ScriptReader.clip(kind))'") }
        var step = DatagramStep(kind: kind)
        if let n = fields["count"] { step.count = try reader.int(n, "count", 1...10) }
        for p in k.parameters {
            guard let n = fields[p.name] else { continue }
            let text = try reader.scalar(n, p.name)
            do { step.values[p.name] = try p.parse(text) } catch { throw reader.fail(n, error.description) }
        }
        var values = step.values
        values["port"] = .integer(Int(k.defaultPort))
        do { _ = try ProbeKinds.arguments(for: k, values: values) } catch {
            // A required parameter left out, or the kind's own rule: at the key, else the step.
            if fields[error.parameter] == nil, let p = k.parameters.first(where: { $0.name == error.parameter }) {
                let help = p.help.hasSuffix(".") ? String(p.help.dropLast()) : p.help
                throw reader.fail(node, "`\(p.name)` is missing in a \(kind) step; give it (\(help.lowercased()), like `\(p.name): \(p.valueName.lowercased())`)")
            }
            throw reader.fail(fields[error.parameter] ?? node, error.description)
        }
        return step
    }
}
