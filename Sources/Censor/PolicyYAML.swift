import Packets
import Yams
import YAMLReading

/// A problem in a censor policy, located in its file.
public struct CensorPolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var problem: String

    public init(file: String, line: Int, problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    /// The shared reader's error; a problem of the whole text is reported at its first line.
    init(_ error: SourceError, firstLine: Int) {
        self.init(file: error.file, line: error.line ?? firstLine, problem: error.message)
    }

    /// `FILE:LINE: problem`, the form compilers use, so editors can jump to it.
    public var description: String { "\(file):\(line): \(problem)" }
}

/// Policies are read by the shared YAML reader, in the policies' words.
extension YAMLReader {
    /// `lineOffset` shifts Yams' lines when the text was cut out of a bigger file.
    static func policy(file: String, lineOffset: Int) -> YAMLReader {
        YAMLReader(file: file, limits: PolicyBudget.limits, wording: policyWording, lineOffset: lineOffset)
    }

    /// A non-empty scalar.
    func string(_ node: Node, _ what: String) throws(SourceError) -> String {
        let s = try scalar(node, what)
        guard !s.isEmpty else { throw fail(node, "\(what) is empty") }
        return s
    }

    func number(_ node: Node, _ what: String, _ range: ClosedRange<Double>) throws(SourceError) -> Double {
        let s = try scalar(node, what)
        guard let v = Double(s), v.isFinite else { throw fail(node, "\(what) must be a number, not '\(s)'") }
        guard range.contains(v) else {
            throw fail(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(s)")
        }
        return v
    }

    /// One item or a non-empty list of them, each read by `each`.
    func list<T>(_ node: Node, _ what: String, _ each: (Node) throws(SourceError) -> T) throws(SourceError) -> [T] {
        let nodes = items(node)
        guard !nodes.isEmpty else { throw fail(node, "\(what) is an empty list") }
        var out: [T] = []
        for n in nodes { out.append(try each(n)) }
        return out
    }

    func prefix(_ node: Node, _ what: String) throws(SourceError) -> IPPrefix {
        let s = try string(node, what)
        guard let p = IPPrefix(s) else {
            throw fail(node, "\(what): '\(s)' is not an address or prefix (like 198.18.1.0/24 or 2001:db8:1::/64)")
        }
        return p
    }

    func portRange(_ node: Node, _ what: String) throws(SourceError) -> ClosedRange<UInt16> {
        let s = try string(node, what)
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        let values = parts.compactMap { UInt16($0.trimmingWhitespace) }
        guard parts.count <= 2, values.count == parts.count, values[0] <= values[values.count - 1] else {
            throw fail(node, "\(what): '\(s)' is not a port (0-65535) or a range like 8000-8010")
        }
        return values[0]...values[values.count - 1]
    }

    func hex(_ node: Node, _ what: String) throws(SourceError) -> [UInt8] {
        let s = try string(node, what).filter { !$0.isWhitespace && $0 != ":" }
        var out: [UInt8] = []
        var chars = Array(s.utf8)
        if chars.count >= 2, chars[0] == UInt8(ascii: "0"), chars[1] | 0x20 == UInt8(ascii: "x") { chars.removeFirst(2) }
        guard chars.count % 2 == 0, !chars.isEmpty else { throw fail(node, "\(what) must be an even number of hex digits") }
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let hi = hexDigit(chars[i]), let lo = hexDigit(chars[i + 1]) else {
                throw fail(node, "\(what) must contain hex digits only")
            }
            out.append(hi << 4 | lo)
        }
        return out
    }

    private func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// The policies' sentences for the shared reader's problems.
let policyWording: YAMLWording = { problem in
    let single = { (what: String) in "\(what) must be a single value, not a list or mapping" }
    switch problem {
    case .tooLarge(let limits):
        return "the policy is larger than \(limits.maximumBytes / 1024) KiB; a policy is a few dozen lines"
    case .nulByte:
        return "the line contains a NUL byte; a policy is YAML text"
    case .tooDeep(let limits):
        return "nested more than \(limits.maximumFlowDepth) brackets or \(limits.maximumIndent) columns deep; refusing it"
    case .tooManyValues(let limits):
        return "the document expands to more than \(limits.maximumNodes) values (aliases?); refusing it"
    case .syntax(let problem, let context):
        return "invalid YAML: \(context.map { "\($0), " } ?? "")\(problem)"
    case .encoding(let problem):
        return "invalid YAML: \(problem)"
    case .unreadable(let error):
        return "invalid YAML: \(error)"
    case .notMapping(let what, _, _):
        return "\(what) must be a mapping (key: value lines)"
    case .keyNotPlain(let what, _, _):
        return "\(what): keys must be plain words"
    case .unknownKey(let key, let what, _, let allowed):
        return "unknown key '\(key)' in \(what) (known: \(allowed.joined(separator: ", ")))"
    case .duplicateKey(let key, let what, _):
        return "key '\(key)' appears twice in \(what)"
    case .missingKey(let key, let what, _, _):
        return "missing '\(key)' in \(what)"
    case .notScalar(let what, _):
        return single(what)
    case .notList(let what, _):
        return "\(what) must be a list"
    case .notInteger(let what, let found, _):
        guard case .scalar(let s) = found else { return single(what) }
        return "\(what) must be a whole number, not '\(s.string)'"
    case .integerOutOfRange(let what, let value, _, let range):
        return "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(value)"
    case .notBool(let what, let found):
        guard case .scalar = found else { return single(what) }
        return "\(what) must be true or false"
    }
}

/// This reader's bounds on hostile documents (see `YAMLLimits`): those of a scenario, whose
/// `censor:` section becomes the policy file of `lab censor`.
enum PolicyBudget {
    static let limits = YAMLLimits(maximumBytes: 1 << 20, maximumNodes: 100_000)
}

extension Substring {
    var trimmingWhitespace: Substring {
        var s = self
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return s
    }
}
