import Yams
import YAMLReading

/// Scenario files are read by the shared YAML reader, in the scenarios' words; every
/// failure is a `ScenarioError` (`FILE:LINE: problem`).
extension YAMLReader {
    static func scenario(file: String) -> YAMLReader {
        YAMLReader(file: file, limits: ScenarioBudget.limits, wording: scenarioWording)
    }

    /// One value or a list of values, as text.
    func strings(_ node: Node, _ what: String) throws(SourceError) -> [String] {
        var out: [String] = []
        for item in items(node) { out.append(try scalar(item, what)) }
        return out
    }
}

extension ScenarioError {
    /// The reader's error; a problem of the whole file (too large) is reported at line 1.
    init(_ error: SourceError) {
        self.init(file: error.file, line: error.line ?? 1, problem: error.message)
    }
}

/// The scenarios' sentences for the shared reader's problems.
let scenarioWording: YAMLWording = { problem in
    switch problem {
    case .tooLarge(let limits):
        return "the file is larger than \(limits.maximumBytes / 1024) KiB; a scenario is a few dozen lines"
    case .nulByte:
        return "the line contains a NUL byte; a scenario is YAML text"
    case .tooDeep(let limits):
        return "nested more than \(limits.maximumFlowDepth) brackets or \(limits.maximumIndent) columns deep; refusing it"
    case .tooManyValues(let limits):
        return "the document expands to more than \(limits.maximumNodes) values (aliases?); refusing it"
    case .syntax, .encoding, .unreadable:
        return problem.parserSentence ?? ""
    case .notMapping(let what, let allowed, _):
        return "\(what) must be a mapping of \(allowed.joined(separator: ", "))"
    case .keyNotPlain(let what, _, _):
        return "\(what): keys must be plain words"
    case .unknownKey(let key, let what, _, let allowed):
        return "\(what): unknown key `\(key)` (expected \(allowed.joined(separator: ", ")))"
    case .duplicateKey(let key, let what, _):
        return "\(what): `\(key)` given twice"
    case .missingKey(let key, let what, _, _):
        return "\(what): `\(key)` is missing"
    case .notScalar(let what, _):
        return "\(what) must be a single value, not a list or mapping"
    case .notList(let what, _):
        return "\(what) must be a list"
    case .notInteger(let what, let found, let range):
        guard case .scalar(let s) = found else { return "\(what) must be a single value, not a list or mapping" }
        return "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound), not `\(YAMLReader.clip(s.string))`"
    case .integerOutOfRange(let what, _, let text, let range):
        return "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound), not `\(YAMLReader.clip(text))`"
    case .notBool(let what, let found):
        guard case .scalar(let s) = found else { return "\(what) must be a single value, not a list or mapping" }
        return "\(what) must be true or false, not `\(s.string)`"
    }
}

/// This reader's bounds on hostile documents (see `YAMLLimits`).
enum ScenarioBudget {
    static let limits = YAMLLimits(maximumBytes: 1 << 20, maximumNodes: 100_000)
}
