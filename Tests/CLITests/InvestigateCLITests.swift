import Foundation
import TestSupport
import Testing

/// `investigate`'s refusals, which must come before any packet is sent, and its embedded
/// experiment, which must be the one in Probes/.
@Suite struct InvestigateCLITests {
    @Test func theEmbeddedExperimentIsTheFileInProbes() throws {
        let file = try String(contentsOf: CLI.repositoryRoot.appendingPathComponent("Probes/experiments/investigate.yaml"), encoding: .utf8)
        let source = try String(contentsOf: CLI.repositoryRoot.appendingPathComponent("Sources/censorscope/DefaultExperiment.swift"), encoding: .utf8)
        #expect(source.contains("#\"\"\"\n" + file + "\"\"\"#"), "Sources/censorscope/DefaultExperiment.swift must embed Probes/experiments/investigate.yaml verbatim")
    }

    @Test func badExperimentFilesAreRefusedInOneSentence() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cstest-experiment-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, String)] = [
            ("name: x\nsyn_variants: [linux, solaris]\n", "unknown SYN variant 'solaris'"),
            ("name: x\nmax_ttl: many\n", "wrong type at max_ttl"),
            ("description: no name\n", "missing key name"),
            ("name: x\ncontrol_traces: [udp]\n", "unknown control trace 'udp'"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = dir.appendingPathComponent("\(i).yaml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try CLI.run(["investigate", "198.18.9.2", "--experiment", path, "--allow-reserved"])
            #expect(r.status != 0)
            #expect(r.stderr.contains(expected), "\(text): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        let missing = try CLI.run(["investigate", "198.18.9.2", "--experiment", dir.appendingPathComponent("none.yaml").path])
        #expect(missing.status != 0 && missing.stderr.contains("cannot read the experiment file"))
    }

    @Test func reservedTargetsNeedAllowReserved() throws {
        let r = try CLI.run(["investigate", "198.18.9.2", "--port", "80"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("special-purpose range") && r.stderr.contains("--allow-reserved"), "\(r.stderr)")
    }
}
