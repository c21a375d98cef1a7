import Yams
import YAMLReading

/// Experiment scripts are read by the shared YAML reader, in the scripts' words: every
/// failure is a `CampaignError` naming the node's line, with one sentence saying what is
/// wrong and what is allowed.
typealias ScriptReader = YAMLReader
typealias Fields = YAMLFields

extension YAMLReader {
    /// A reader for one experiment script.
    init(file: String) {
        self.init(file: file, limits: ScriptBudget.limits, wording: scriptWording)
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

    /// A non-empty YAML list (flow `[a, b]` or block `- a`); `example` shows the form in the error.
    func list(_ node: Node, _ key: String, example: String) throws(CampaignError) -> [Node] {
        guard case .sequence(let s) = node else {
            throw fail(node, "`\(key)` must be a list like \(example), not \(Self.kind(node))")
        }
        guard !s.isEmpty else { throw fail(node, "`\(key)` is an empty list; give at least one, like \(example)") }
        return Array(s)
    }
}

/// The scripts' sentences for the shared reader's problems.
let scriptWording: YAMLWording = { problem in
    typealias R = YAMLReader
    switch problem {
    case .tooLarge(let limits):
        return "the file is larger than \(limits.maximumBytes / 1024) KiB; a script is a few dozen lines"
    case .nulByte:
        return "the line contains a NUL byte; a script is YAML text"
    case .tooDeep(let limits):
        return "nested more than \(limits.maximumFlowDepth) brackets or \(limits.maximumIndent) columns deep; a script is a flat list of steps"
    case .tooManyValues(let limits):
        return "the document expands to more than \(limits.maximumNodes) values (aliases?); a script is a few dozen lines"
    case .syntax, .encoding, .unreadable:
        return problem.parserSentence ?? ""
    case .notMapping(let what, let allowed, let found):
        return "\(what) must be a mapping of \(R.words(allowed, last: "and")), not \(R.kind(found))"
    case .keyNotPlain(_, let whereText, let allowed):
        return "keys\(whereText) must be plain words; use \(R.words(allowed, last: "or"))"
    case .unknownKey(let key, _, let whereText, let allowed):
        return "unknown key '\(R.clip(key))'\(whereText); use \(R.words(allowed, last: "or"))"
    case .duplicateKey(let key, _, let whereText):
        return "`\(key)` appears twice\(whereText); give it once"
    case .missingKey(let key, _, let whereText, let hint):
        return "`\(key)` is missing\(whereText); \(hint)"
    case .notScalar(let key, let found):
        return "`\(key)` must be a single value, not \(R.kind(found))"
    case .notList(let key, let found):
        return "`\(key)` must be a list, not \(R.kind(found))"
    case .notInteger(let key, let found, let range):
        return "`\(key)` must be an integer from \(range.lowerBound) to \(range.upperBound), not \(R.kind(found))"
    case .integerOutOfRange(let key, _, let text, let range):
        return "`\(key)` must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(R.clip(text))'"
    case .notBool(let key, let found):
        return "`\(key)` must be true or false, not \(R.kind(found))"
    }
}

/// This reader's bounds on hostile documents (see `YAMLLimits`).
enum ScriptBudget {
    static let limits = YAMLLimits(maximumBytes: 256 << 10, maximumNodes: 10_000)
    static var maximumBytes: Int { limits.maximumBytes }
    static var maximumNodes: Int { limits.maximumNodes }
    static var maximumFlowDepth: Int { limits.maximumFlowDepth }
    static var maximumIndent: Int { limits.maximumIndent }
}
