/// A problem in an input file (a YAML document, a target list), located in it.
/// The message is one sentence: what is wrong and what is allowed.
public struct SourceError: Error, CustomStringConvertible, Equatable, Hashable, Sendable {
    public var file: String
    /// From 1; nil when the problem is the file as a whole (empty, too large).
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `FILE:LINE: message` (the form compilers use, so editors jump to it) or `FILE: message`.
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
