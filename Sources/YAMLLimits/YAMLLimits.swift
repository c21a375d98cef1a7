import Yams

/// Bounds that keep a hostile YAML document from hurting its reader: nesting deep enough
/// to exhaust the stack of Yams' recursive composer, and alias bombs that expand beyond
/// reason once composed. Shared by every YAML file CensorScope reads (scenarios, scripts).
public struct YAMLLimits: Sendable {
    public let maximumBytes: Int
    public let maximumNodes: Int
    public let maximumFlowDepth: Int
    public let maximumIndent: Int

    public init(maximumBytes: Int, maximumNodes: Int, maximumFlowDepth: Int = 64, maximumIndent: Int = 256) {
        self.maximumBytes = maximumBytes
        self.maximumNodes = maximumNodes
        self.maximumFlowDepth = maximumFlowDepth
        self.maximumIndent = maximumIndent
    }

    /// Before composing: the line where nesting goes too deep, or nil. Block nesting is
    /// bounded by the indentation (and `- `/`? ` indicators) before a line's content,
    /// flow nesting by the open brackets outside quotes and comments.
    public func tooDeep(_ text: String) -> Int? {
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

    /// Counts nodes, stopping as soon as the budget is spent; returns the line of the
    /// node where it ran out, or nil when the document fits.
    public func exceeded(_ root: Node) -> Int? {
        var remaining = maximumNodes
        var stack: [Node] = [root]
        while let node = stack.popLast() {
            remaining -= 1
            if remaining < 0 { return node.mark?.line ?? 1 }
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
