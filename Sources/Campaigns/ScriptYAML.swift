import Yams
import YAMLLimits

/// Typed access to composed YAML nodes: every failure is a `CampaignError` naming the
/// node's line, with one sentence saying what is wrong and what is allowed.
struct ScriptReader {
    let file: String

    func fail(_ node: Node, _ message: String) -> CampaignError {
        CampaignError(file: file, line: Self.line(node), message: message)
    }

    func fail(line: Int?, _ message: String) -> CampaignError {
        CampaignError(file: file, line: line, message: message)
    }

    static func line(_ node: Node) -> Int { node.mark?.line ?? 1 }

    /// Composes one document; Yams' syntax errors keep their line. Nil for an empty file.
    func compose(_ text: String) throws(CampaignError) -> Node? {
        guard text.utf8.count <= ScriptBudget.maximumBytes else {
            throw fail(line: nil, "the file is larger than \(ScriptBudget.maximumBytes / 1024) KiB; a script is a few dozen lines")
        }
        // libyaml reads C strings: text after a NUL would silently vanish.
        if let nul = text.utf8.firstIndex(of: 0) {
            let line = text.utf8[..<nul].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            throw fail(line: line, "the line contains a NUL byte; a script is YAML text")
        }
        if let line = ScriptBudget.tooDeep(text) {
            throw fail(line: line, "nested more than \(ScriptBudget.maximumFlowDepth) brackets or \(ScriptBudget.maximumIndent) columns deep; a script is a flat list of steps")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw describe(error, text: text)
        } catch {
            throw fail(line: 1, "not valid YAML: \(error)")
        }
        if let node, let line = ScriptBudget.exceeded(node) {
            throw fail(line: line, "the document expands to more than \(ScriptBudget.maximumNodes) values (aliases?); a script is a few dozen lines")
        }
        return node
    }

    private func describe(_ error: YamlError, text: String) -> CampaignError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let context = context.map { " (\($0.text))" } ?? ""
            return fail(line: mark.line, "not valid YAML: \(problem)\(context)")
        case let .reader(problem, offset, _, _):
            let line = offset.map { off in text.utf8.prefix(off).reduce(1) { $1 == 0x0A ? $0 + 1 : $0 } }
            return fail(line: line ?? 1, "not valid YAML text: \(problem)")
        default:
            return fail(line: 1, "not valid YAML: \(error)")
        }
    }

    /// A mapping's entries, in file order, with plain keys from `allowed`, each at most once.
    /// `whereText` says where the mapping is ("" at the top, " in `pacing`", " in a trace step").
    func mapping(_ node: Node, _ what: String, whereText: String, allowed: [String]) throws(CampaignError) -> Fields {
        guard case .mapping(let m) = node else {
            throw fail(node, "\(what) must be a mapping of \(Self.words(allowed, last: "and")), not \(Self.kind(node))")
        }
        var values: [String: Node] = [:]
        var order: [String] = []
        for (k, v) in m {
            guard case .scalar(let s) = k else { throw fail(k, "keys\(whereText) must be plain words; use \(Self.words(allowed, last: "or"))") }
            let key = s.string
            guard allowed.contains(key) else {
                throw fail(k, "unknown key '\(Self.clip(key))'\(whereText); use \(Self.words(allowed, last: "or"))")
            }
            guard values[key] == nil else { throw fail(k, "`\(key)` appears twice\(whereText); give it once") }
            values[key] = v
            order.append(key)
        }
        return Fields(reader: self, line: Self.line(node), whereText: whereText, values: values, order: order)
    }

    /// A scalar's text; a list or a mapping is an error.
    func scalar(_ node: Node, _ key: String) throws(CampaignError) -> String {
        guard case .scalar(let s) = node else { throw fail(node, "`\(key)` must be a single value, not \(Self.kind(node))") }
        return s.string
    }

    /// A whole number in `range`; anything else (words, fractions, out of range) gets the same sentence.
    func int(_ node: Node, _ key: String, _ range: ClosedRange<Int>) throws(CampaignError) -> Int {
        let problem = "`\(key)` must be an integer from \(range.lowerBound) to \(range.upperBound)"
        guard case .scalar(let s) = node else { throw fail(node, "\(problem), not \(Self.kind(node))") }
        let text = s.string
        let digits = text.hasPrefix("-") ? text.utf8.dropFirst() : text.utf8[...]
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = Int(text), range.contains(value) else {
            throw fail(node, "\(problem), not '\(Self.clip(text))'")
        }
        return value
    }

    /// A decimal number (digits, `.`, exponent) in `range`.
    func number(_ node: Node, _ key: String, _ range: ClosedRange<Double>, orWord word: String) throws(CampaignError) -> Double? {
        let problem = "`\(key)` must be a number above 0 and at most \(Self.format(range.upperBound)), or `\(word)`"
        guard case .scalar(let s) = node else { throw fail(node, "\(problem), not \(Self.kind(node))") }
        let text = s.string
        if text == word { return nil }
        let decimal = !text.isEmpty && text.utf8.count <= 32
            && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
        guard decimal, let value = Double(text), value.isFinite, value > range.lowerBound, value <= range.upperBound else {
            throw fail(node, "\(problem), not '\(Self.clip(text))'")
        }
        return value
    }

    /// One of a few words.
    func word(_ node: Node, _ key: String, _ choices: [String]) throws(CampaignError) -> String {
        let problem = "`\(key)` must be \(Self.words(choices, last: "or"))"
        guard case .scalar(let s) = node else { throw fail(node, "\(problem), not \(Self.kind(node))") }
        guard choices.contains(s.string) else { throw fail(node, "\(problem), not '\(Self.clip(s.string))'") }
        return s.string
    }

    /// A YAML list (flow `[a, b]` or block `- a`); `example` shows the form in the error.
    func list(_ node: Node, _ key: String, example: String) throws(CampaignError) -> [Node] {
        guard case .sequence(let s) = node else {
            throw fail(node, "`\(key)` must be a list like \(example), not \(Self.kind(node))")
        }
        guard !s.isEmpty else { throw fail(node, "`\(key)` is an empty list; give at least one, like \(example)") }
        return Array(s)
    }

    /// `a, b or c`, in backquotes-free prose.
    static func words(_ items: [String], last: String) -> String {
        guard items.count > 1, let final = items.last else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " \(last) " + final
    }

    static func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "'\(clip(s.string))'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// Long or multi-line values shortened for a one-line message.
    static func clip(_ text: String) -> String {
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r" }
        if firstLine.count <= 60 && firstLine.count == text.count { return text }
        return String(firstLine.prefix(60)) + "…"
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// The fields of one mapping, already checked for unknown and repeated keys.
struct Fields {
    let reader: ScriptReader
    /// The mapping's own line: where a missing key is reported.
    let line: Int
    let whereText: String
    let values: [String: Node]
    /// The keys as the file gives them, so problems are reported top-down.
    let order: [String]

    subscript(key: String) -> Node? { values[key] }

    func required(_ key: String, _ hint: String) throws(CampaignError) -> Node {
        guard let v = values[key] else { throw reader.fail(line: line, "`\(key)` is missing\(whereText); \(hint)") }
        return v
    }
}

/// This reader's bounds on hostile documents (see `YAMLLimits`).
enum ScriptBudget {
    static let limits = YAMLLimits(maximumBytes: 256 << 10, maximumNodes: 10_000)
    static var maximumBytes: Int { limits.maximumBytes }
    static var maximumNodes: Int { limits.maximumNodes }
    static var maximumFlowDepth: Int { limits.maximumFlowDepth }
    static var maximumIndent: Int { limits.maximumIndent }
    static func tooDeep(_ text: String) -> Int? { limits.tooDeep(text) }
    static func exceeded(_ root: Node) -> Int? { limits.exceeded(root) }
}
