import Packets
import Yams

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

    /// `FILE:LINE: problem`, the form compilers use, so editors can jump to it.
    public var description: String { "\(file):\(line): \(problem)" }
}

/// Typed access to composed YAML nodes, with errors that carry the node's line.
/// `lineOffset` shifts Yams' lines when the text was cut out of a bigger file.
struct YAMLReader {
    let file: String
    let lineOffset: Int

    func line(_ node: Node) -> Int { (node.mark?.line ?? 1) + lineOffset }

    func error(_ node: Node, _ problem: String) -> CensorPolicyError {
        CensorPolicyError(file: file, line: line(node), problem: problem)
    }

    /// A mapping's entries with string keys; duplicate and unknown keys are errors.
    func mapping(_ node: Node, _ what: String, allowed: [String]) throws(CensorPolicyError) -> [String: Node] {
        guard case .mapping(let m) = node else { throw error(node, "\(what) must be a mapping (key: value lines)") }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard case .scalar(let s) = k else { throw error(k, "\(what): keys must be plain words") }
            let key = s.string
            guard allowed.contains(key) else {
                throw error(k, "unknown key '\(key)' in \(what) (known: \(allowed.joined(separator: ", ")))")
            }
            guard out[key] == nil else { throw error(k, "key '\(key)' appears twice in \(what)") }
            out[key] = v
        }
        return out
    }

    func scalar(_ node: Node, _ what: String) throws(CensorPolicyError) -> String {
        guard case .scalar(let s) = node else { throw error(node, "\(what) must be a single value, not a list or mapping") }
        return s.string
    }

    func string(_ node: Node, _ what: String) throws(CensorPolicyError) -> String {
        let s = try scalar(node, what)
        guard !s.isEmpty else { throw error(node, "\(what) is empty") }
        return s
    }

    func bool(_ node: Node, _ what: String) throws(CensorPolicyError) -> Bool {
        switch try scalar(node, what).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, "\(what) must be true or false")
        }
    }

    func int(_ node: Node, _ what: String, _ range: ClosedRange<Int>) throws(CensorPolicyError) -> Int {
        let s = try scalar(node, what)
        guard let v = Int(s), s.allSatisfy({ $0.isASCII }) else { throw error(node, "\(what) must be a whole number, not '\(s)'") }
        guard range.contains(v) else {
            throw error(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(v)")
        }
        return v
    }

    func number(_ node: Node, _ what: String, _ range: ClosedRange<Double>) throws(CensorPolicyError) -> Double {
        let s = try scalar(node, what)
        guard let v = Double(s), v.isFinite else { throw error(node, "\(what) must be a number, not '\(s)'") }
        guard range.contains(v) else {
            throw error(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(s)")
        }
        return v
    }

    /// A single item or a list of items.
    func items(_ node: Node) -> [Node] {
        if case .sequence(let s) = node { return Array(s) }
        return [node]
    }

    func list<T>(_ node: Node, _ what: String, _ each: (Node) throws(CensorPolicyError) -> T) throws(CensorPolicyError) -> [T] {
        let nodes = items(node)
        guard !nodes.isEmpty else { throw error(node, "\(what) is an empty list") }
        var out: [T] = []
        for n in nodes { out.append(try each(n)) }
        return out
    }

    func prefix(_ node: Node, _ what: String) throws(CensorPolicyError) -> IPPrefix {
        let s = try string(node, what)
        guard let p = IPPrefix(s) else {
            throw error(node, "\(what): '\(s)' is not an address or prefix (like 198.18.1.0/24 or 2001:db8:1::/64)")
        }
        return p
    }

    func portRange(_ node: Node, _ what: String) throws(CensorPolicyError) -> ClosedRange<UInt16> {
        let s = try string(node, what)
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        let values = parts.compactMap { UInt16($0.trimmingWhitespace) }
        guard parts.count <= 2, values.count == parts.count, values[0] <= values[values.count - 1] else {
            throw error(node, "\(what): '\(s)' is not a port (0-65535) or a range like 8000-8010")
        }
        return values[0]...values[values.count - 1]
    }

    func hex(_ node: Node, _ what: String) throws(CensorPolicyError) -> [UInt8] {
        let s = try string(node, what).filter { !$0.isWhitespace && $0 != ":" }
        var out: [UInt8] = []
        var chars = Array(s.utf8)
        if chars.count >= 2, chars[0] == UInt8(ascii: "0"), chars[1] | 0x20 == UInt8(ascii: "x") { chars.removeFirst(2) }
        guard chars.count % 2 == 0, !chars.isEmpty else { throw error(node, "\(what) must be an even number of hex digits") }
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let hi = hexDigit(chars[i]), let lo = hexDigit(chars[i + 1]) else {
                throw error(node, "\(what) must contain hex digits only")
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

extension Substring {
    var trimmingWhitespace: Substring {
        var s = self
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return s
    }
}
