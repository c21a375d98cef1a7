import Censor
import Foundation
import Testing

/// `lab censor --check`: the policy file read and checked, each failure one sentence.
@Suite struct CensorCommandTests {
    @Test func checkingAPolicyFile() throws {
        let path = NSTemporaryDirectory() + "cstest-policy-\(getpid()).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "clients: [198.18.1.0/24]\nrules:\n  - name: ok\n    action: drop\n".write(toFile: path, atomically: true, encoding: .utf8)
        try CensorCommand.run(policy: path, queue: 0, log: nil, checkOnly: true)
        try "clients: [198.18.1.0/24]\nrules:\n  - name: ok\n    action: explode\n".write(toFile: path, atomically: true, encoding: .utf8)
        let bad = #expect(throws: CensorCommand.Failure.self) { try CensorCommand.run(policy: path, queue: 0, log: nil, checkOnly: true) }
        #expect(bad?.description.hasPrefix(path + ":4:") == true, "\(String(describing: bad))")
        let missing = #expect(throws: CensorCommand.Failure.self) {
            try CensorCommand.run(policy: "/nonexistent/policy.yaml", queue: 0, log: nil, checkOnly: true)
        }
        #expect(missing?.description == "cannot read the policy file /nonexistent/policy.yaml: No such file or directory.")
    }
}
