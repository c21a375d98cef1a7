import ChildProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A helper's failure, as one sentence.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The system tools the tests drive (ip, iptables, curl, python3, …).
public enum Tools {
    public static var isRoot: Bool { geteuid() == 0 }

    /// Whether every tool is on PATH or in the usual system directories.
    public static func available(_ tools: [String]) -> Bool {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return tools.allSatisfy { tool in
            path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
        }
    }

    /// Runs argv to completion and returns its standard output and error together;
    /// throws with them when it fails.
    @discardableResult
    public static func run(_ argv: [String], timeout: Double = 120) throws -> String {
        let r = Subprocess.run(argv, timeout: timeout)
        let text = r.stdout + r.stderr
        guard r.status == 0 else { throw TestFailure("\(argv.joined(separator: " ")) failed (\(r.status)): \(text)") }
        return text
    }
}
