import Yams

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

/// Guards against hostile documents: nesting deep enough to exhaust the stack of the
/// (recursive) composer, and alias bombs that expand beyond reason once composed.
/// The same bounds as the lab's scenario reader.
enum ScriptBudget {
    static let maximumBytes = 256 << 10
    static let maximumNodes = 10_000
    static let maximumFlowDepth = 64
    static let maximumIndent = 256

    /// Before composing: the line where nesting goes too deep, or nil. Block nesting is
    /// bounded by the indentation (and `- `/`? ` indicators) before a line's content,
    /// flow nesting by the open brackets outside quotes and comments.
    static func tooDeep(_ text: String) -> Int? {
        var line = 1, depth = 0, column = 0, leading = true
        var quote: UInt8? = nil
        var previous: UInt8 = 0x0A
        var comment = false
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            defer { previous = c; i += 1 }
            if c == 0x0A {
                // A quoted scalar may span lines; its state carries over.
                line += 1; column = 0; leading = quote == nil; comment = false
                continue
            }
            column += 1
            if comment { continue }
            if leading {
                if c == 0x20 || c == 0x09 || c == UInt8(ascii: "-") || c == UInt8(ascii: "?") {
                    if column > maximumIndent { return line }
                    continue
                }
                leading = false
            }
            if let q = quote {
                if c == UInt8(ascii: "\\") && q == UInt8(ascii: "\"") { i += 1; continue }   // skip the escaped byte
                if c == q { quote = nil }
                continue
            }
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                // A quote opens a quoted scalar only where a scalar may start.
                if [0x20, 0x09, 0x0A, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: "-")].contains(previous) { quote = c }
            case UInt8(ascii: "#"):
                if previous == 0x20 || previous == 0x09 || previous == 0x0A { comment = true }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumFlowDepth { return line }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default: break
            }
        }
        return nil
    }

    /// Counts nodes, stopping as soon as the budget is spent; the line where it ran out, or nil.
    static func exceeded(_ root: Node) -> Int? {
        var remaining = maximumNodes
        var stack: [Node] = [root]
        while let node = stack.popLast() {
            remaining -= 1
            if remaining < 0 { return ScriptReader.line(node) }
            switch node {
            case .scalar: break
            case .sequence(let s): stack.append(contentsOf: s)
            case .mapping(let m):
                for (k, v) in m { stack.append(k); stack.append(v) }
            }
        }
        return nil
    }
}
