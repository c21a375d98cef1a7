import Yams

/// The one YAML reader of CensorScope (experiment scripts, lab scenarios, censor policies).
/// It composes a document only within its `limits`, and every failure is a `SourceError`
/// naming the file and the node's line, in the words of the kind of file (`wording`).
public struct YAMLReader: Sendable {
    public let file: String
    public let limits: YAMLLimits
    public let wording: YAMLWording
    /// Added to Yams' lines when the text was cut out of a bigger file.
    public let lineOffset: Int

    public init(file: String, limits: YAMLLimits, wording: @escaping YAMLWording, lineOffset: Int = 0) {
        self.file = file
        self.limits = limits
        self.wording = wording
        self.lineOffset = lineOffset
    }

    /// A node's line in the file (from 1).
    public func line(of node: Node) -> Int { Self.line(node) + lineOffset }

    /// A node's line in the text it was composed from.
    public static func line(_ node: Node) -> Int { node.mark?.line ?? 1 }

    public func fail(_ node: Node, _ message: String) -> SourceError {
        SourceError(file: file, line: line(of: node), message: message)
    }

    public func fail(line: Int?, _ message: String) -> SourceError {
        SourceError(file: file, line: line, message: message)
    }

    public func fail(_ node: Node, _ problem: YAMLProblem) -> SourceError { fail(node, wording(problem)) }

    public func fail(line: Int?, _ problem: YAMLProblem) -> SourceError { fail(line: line, wording(problem)) }

    /// Composes one document within the limits; Yams' syntax errors keep their line.
    /// Nil for an empty document.
    public func compose(_ text: String) throws(SourceError) -> Node? {
        guard text.utf8.count <= limits.maximumBytes else { throw fail(line: nil, .tooLarge(limits)) }
        // libyaml reads C strings: text after a NUL would silently vanish.
        if let nul = text.utf8.firstIndex(of: 0) {
            throw fail(line: Self.lineCount(text.utf8[..<nul]) + lineOffset, .nulByte)
        }
        if let line = limits.tooDeep(text) { throw fail(line: line + lineOffset, .tooDeep(limits)) }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw describe(error, text: text)
        } catch {
            throw fail(line: 1 + lineOffset, .unreadable("\(error)"))
        }
        if let node, let line = limits.exceeded(node) { throw fail(line: line + lineOffset, .tooManyValues(limits)) }
        return node
    }

    private func describe(_ error: YamlError, text: String) -> SourceError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return fail(line: mark.line + lineOffset, .syntax(problem: problem, context: context?.text))
        case let .reader(problem, offset, _, _):
            let line = offset.map { Self.lineCount(text.utf8.prefix($0)) } ?? 1
            return fail(line: line + lineOffset, .encoding(problem: problem))
        default:
            return fail(line: 1 + lineOffset, .unreadable("\(error)"))
        }
    }

    /// The line (from 1) at the end of `bytes`.
    static func lineCount<C: Collection<UInt8>>(_ bytes: C) -> Int {
        bytes.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
    }
}
