/// A scenario file problem tied to a file and line: `FILE:LINE: problem` (line 0 is the
/// file as a whole, e.g. it cannot be read: `FILE: problem`).
public struct ScenarioError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let problem: String

    public init(file: String, line: Int, problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    public var description: String { line > 0 ? "\(file):\(line): \(problem)" : "\(file): \(problem)" }
}
