import Foundation
import Yams
import YAMLLimits

/// Reads YAML nodes with every failure reported as `FILE:LINE: problem`.
struct YAMLReader {
    let file: String

    func fail(_ line: Int, _ problem: String) -> ScenarioError {
        ScenarioError(file: file, line: line, problem: problem)
    }

    static func line(_ node: Node) -> Int { node.mark?.line ?? 1 }

    /// Composes the text into one document, mapping Yams' errors to a line.
    func compose(_ text: String) throws -> Node {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw YAMLReader.describe(error, file: file, text: text)
        } catch {
            throw fail(1, "not valid YAML: \(error)")
        }
        guard let node else { throw fail(1, "the file is empty; a scenario needs `name`, `nodes` and `links`") }
        return node
    }

    static func describe(_ error: YamlError, file: String, text: String) -> ScenarioError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let where_ = context.map { " (\($0.text))" } ?? ""
            return ScenarioError(file: file, line: mark.line, problem: "not valid YAML: \(problem)\(where_)")
        case let .reader(problem, offset, _, _):
            let line = offset.map { off in text.utf8.prefix(off).reduce(1) { $1 == 0x0A ? $0 + 1 : $0 } } ?? 1
            return ScenarioError(file: file, line: line, problem: "not valid YAML text: \(problem)")
        default:
            return ScenarioError(file: file, line: 1, problem: "not valid YAML: \(error)")
        }
    }

    /// A mapping whose keys are all plain strings from `allowed`, each at most once.
    func mapping(_ node: Node, _ what: String, allowed: [String]) throws -> Fields {
        guard case .mapping(let m) = node else {
            throw fail(YAMLReader.line(node), "\(what) must be a mapping of \(allowed.joined(separator: ", "))")
        }
        var fields: [String: Node] = [:]
        for (k, v) in m {
            guard case .scalar(let s) = k else {
                throw fail(YAMLReader.line(k), "\(what): keys must be plain words")
            }
            let key = s.string
            guard allowed.contains(key) else {
                throw fail(YAMLReader.line(k), "\(what): unknown key `\(key)` (expected \(allowed.joined(separator: ", ")))")
            }
            if fields[key] != nil {
                throw fail(YAMLReader.line(k), "\(what): `\(key)` given twice")
            }
            fields[key] = v
        }
        return Fields(reader: self, what: what, line: YAMLReader.line(node), values: fields)
    }

    func sequence(_ node: Node, _ what: String) throws -> [Node] {
        guard case .sequence(let s) = node else { throw fail(YAMLReader.line(node), "\(what) must be a list") }
        return Array(s)
    }

    /// A scalar as text; a list or mapping is an error.
    func string(_ node: Node, _ what: String) throws -> String {
        guard case .scalar(let s) = node else { throw fail(YAMLReader.line(node), "\(what) must be a single value, not a list or mapping") }
        return s.string
    }

    /// One value or a list of values, as text.
    func strings(_ node: Node, _ what: String) throws -> [String] {
        if case .sequence(let s) = node { return try s.map { try string($0, what) } }
        return [try string(node, what)]
    }

    func bool(_ node: Node, _ what: String) throws -> Bool {
        switch try string(node, what) {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        case let other: throw fail(YAMLReader.line(node), "\(what) must be true or false, not `\(other)`")
        }
    }
}

/// The fields of one mapping, already checked for unknown and repeated keys.
struct Fields {
    let reader: YAMLReader
    let what: String
    let line: Int
    let values: [String: Node]

    subscript(key: String) -> Node? { values[key] }

    func required(_ key: String) throws -> Node {
        guard let v = values[key] else { throw reader.fail(line, "\(what): `\(key)` is missing") }
        return v
    }
}

/// This reader's bounds on hostile documents (see `YAMLLimits`).
enum YAMLBudget {
    static let limits = YAMLLimits(maximumBytes: 1 << 20, maximumNodes: 100_000)
    static var maximumBytes: Int { limits.maximumBytes }
    static var maximumNodes: Int { limits.maximumNodes }
    static var maximumFlowDepth: Int { limits.maximumFlowDepth }
    static var maximumIndent: Int { limits.maximumIndent }
    static func tooDeep(_ text: String) -> Int? { limits.tooDeep(text) }
    static func exceeded(_ root: Node) -> Int? { limits.exceeded(root) }
}
