import Yams

/// Typed access to composed nodes; each failure is a `SourceError` at the node's line.
extension YAMLReader {
    /// A mapping's entries, in file order, with plain keys from `allowed`, each at most once.
    /// `whereText` says where the mapping is ("" at the top, " in `pacing`") for wordings
    /// that put it after the sentence.
    public func mapping(_ node: Node, _ what: String, whereText: String = "", allowed: [String]) throws(SourceError) -> YAMLFields {
        guard case .mapping(let m) = node else { throw fail(node, .notMapping(what: what, allowed: allowed, found: node)) }
        var values: [String: Node] = [:]
        var order: [String] = []
        for (k, v) in m {
            guard case .scalar(let s) = k else { throw fail(k, .keyNotPlain(what: what, whereText: whereText, allowed: allowed)) }
            let key = s.string
            guard allowed.contains(key) else {
                throw fail(k, .unknownKey(key, what: what, whereText: whereText, allowed: allowed))
            }
            guard values[key] == nil else { throw fail(k, .duplicateKey(key, what: what, whereText: whereText)) }
            values[key] = v
            order.append(key)
        }
        return YAMLFields(reader: self, what: what, whereText: whereText, line: line(of: node), values: values, order: order)
    }

    /// A scalar's text; a list or a mapping is an error.
    public func scalar(_ node: Node, _ what: String) throws(SourceError) -> String {
        guard case .scalar(let s) = node else { throw fail(node, .notScalar(what: what, found: node)) }
        return s.string
    }

    /// A YAML list (flow `[a, b]` or block `- a`), possibly empty.
    public func sequence(_ node: Node, _ what: String) throws(SourceError) -> [Node] {
        guard case .sequence(let s) = node else { throw fail(node, .notList(what: what, found: node)) }
        return Array(s)
    }

    /// A single item or a list of items.
    public func items(_ node: Node) -> [Node] {
        if case .sequence(let s) = node { return Array(s) }
        return [node]
    }

    /// A whole number (optional sign, then ASCII digits) in `range`.
    public func int(_ node: Node, _ what: String, _ range: ClosedRange<Int>) throws(SourceError) -> Int {
        guard case .scalar(let s) = node else { throw fail(node, .notInteger(what: what, found: node, range: range)) }
        let text = s.string
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.utf8.dropFirst() : text.utf8[...]
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(text) else {
            throw fail(node, .notInteger(what: what, found: node, range: range))
        }
        guard range.contains(value) else {
            throw fail(node, .integerOutOfRange(what: what, value: value, text: text, range: range))
        }
        return value
    }

    /// true/false (also yes/no and on/off, in any case, as YAML 1.1 has them).
    public func bool(_ node: Node, _ what: String) throws(SourceError) -> Bool {
        guard case .scalar(let s) = node else { throw fail(node, .notBool(what: what, found: node)) }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail(node, .notBool(what: what, found: node))
        }
    }

    /// `a, b or c`, in prose.
    public static func words(_ items: [String], last: String) -> String {
        guard items.count > 1, let final = items.last else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " \(last) " + final
    }

    /// What a node is, for "…, not X": its (clipped) text in quotes, "a list" or "a mapping".
    public static func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "'\(clip(s.string))'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// Long or multi-line values shortened for a one-line message.
    public static func clip(_ text: String) -> String {
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r" }
        if firstLine.count <= 60 && firstLine.count == text.count { return text }
        return String(firstLine.prefix(60)) + "…"
    }

    /// A bound as written in a sentence: whole numbers without `.0`.
    public static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// The fields of one mapping, already checked for unknown and repeated keys.
public struct YAMLFields {
    public let reader: YAMLReader
    public let what: String
    public let whereText: String
    /// The mapping's own line: where a missing key is reported.
    public let line: Int
    public let values: [String: Node]
    /// The keys as the file gives them, so problems are reported top-down.
    public let order: [String]

    public subscript(key: String) -> Node? { values[key] }

    /// The value of a key that must be there; `hint` says what to write, for wordings that use one.
    public func required(_ key: String, _ hint: String = "") throws(SourceError) -> Node {
        guard let v = values[key] else {
            throw reader.fail(line: line, .missingKey(key, what: what, whereText: whereText, hint: hint))
        }
        return v
    }
}
