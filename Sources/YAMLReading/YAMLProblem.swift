import Yams

/// What the reader found wrong, before it is put into words. Each kind of file words its
/// problems its own way (`YAMLWording`), so the reader is shared and the messages stay the
/// ones users and tests know.
public enum YAMLProblem {
    // The document as a whole.
    case tooLarge(YAMLLimits)
    case nulByte
    case tooDeep(YAMLLimits)
    case tooManyValues(YAMLLimits)
    /// libyaml's scanner, parser or composer: its problem and, when it has one, its context.
    case syntax(problem: String, context: String?)
    /// libyaml's reader: bytes that are not YAML text.
    case encoding(problem: String)
    /// Any other failure of the YAML library, as it describes itself.
    case unreadable(String)

    // One node. `what` names it as the caller's messages do ("a node", "rule 2", "ports");
    // `whereText` says where a mapping is (" in `pacing`"), for callers that word it apart.
    case notMapping(what: String, allowed: [String], found: Node)
    case keyNotPlain(what: String, whereText: String, allowed: [String])
    case unknownKey(String, what: String, whereText: String, allowed: [String])
    case duplicateKey(String, what: String, whereText: String)
    case missingKey(String, what: String, whereText: String, hint: String)
    case notScalar(what: String, found: Node)
    case notList(what: String, found: Node)
    /// Not a whole number (or not a single value at all).
    case notInteger(what: String, found: Node, range: ClosedRange<Int>)
    /// A whole number outside `range`; `text` is how the file wrote it.
    case integerOutOfRange(what: String, value: Int, text: String, range: ClosedRange<Int>)
    /// Not true or false (or not a single value at all).
    case notBool(what: String, found: Node)
}

/// One kind of file's sentences for the reader's problems.
public typealias YAMLWording = @Sendable (YAMLProblem) -> String

extension YAMLProblem {
    /// The parser's own problems (bad syntax, bad encoding, unreadable text) as scripts and
    /// scenarios word them; nil for every other problem.
    public var parserSentence: String? {
        switch self {
        case .syntax(let problem, let context): return "not valid YAML: \(problem)\(context.map { " (\($0))" } ?? "")"
        case .encoding(let problem): return "not valid YAML text: \(problem)"
        case .unreadable(let error): return "not valid YAML: \(error)"
        default: return nil
        }
    }
}
