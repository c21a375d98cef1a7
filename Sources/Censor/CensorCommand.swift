import Foundation
import Lab
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// `lab censor`: read and check a policy file, then (unless only checking) run the daemon
/// until a stop signal. Every failure is one sentence.
public enum CensorCommand {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func run(policy path: String, queue: UInt16, log: String?, checkOnly: Bool) throws(Failure) {
        let text: String
        do { text = String(decoding: try BoundedFile.read(path, limit: BoundedFile.Limit.small, what: "policy file"), as: UTF8.self) } catch {
            throw Failure(description: "\(error)")
        }
        let policy: CensorPolicy
        do { policy = try CensorPolicy.parse(yaml: text, file: path) } catch { throw Failure(description: "\(error)") }
        if checkOnly { return }
        guard geteuid() == 0 else {
            throw Failure(description: "the censor needs root (NFQUEUE, iptables, raw sockets): run it with sudo inside the lab namespace")
        }
        do { try CensorDaemon(policy: policy, queue: queue, logPath: log).run() } catch { throw Failure(description: "\(error)") }
    }
}

extension CensorPolicy {
    /// Checks a scenario's `censor:` section with the censor's own parser before anything
    /// is built, so a bad policy is reported at its line of the scenario file.
    public static func validateScenarioCensor(_ configuration: CensorConfiguration, _ file: String) throws {
        do {
            _ = try CensorPolicy.parse(node: configuration.node, file: file)
        } catch {
            throw ScenarioError(file: error.file, line: error.line, problem: error.problem)
        }
    }
}
