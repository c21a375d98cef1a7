import Foundation
import TestSupport
import Testing

/// `investigate`'s refusals, which must come before any packet is sent, and its embedded
/// experiment, which must be the one in Probes/.
@Suite struct InvestigateCLITests {
    @Test func badExperimentFilesAreRefusedInOneSentence() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cstest-experiment-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, String)] = [
            ("name: x\nports: [80]\nsteps:\n  - probe: syn\n    variants: [linux, solaris]\nanalyses: [investigation]\n",
             ":5: `variants` names 'solaris', which is not a SYN shape"),
            ("name: x\nports: [80]\nsteps:\n  - probe: trace\n    method: tcp\n    max_ttl: many\nanalyses: [investigation]\n",
             ":6: `max_ttl` must be an integer from 2 to 64, not 'many'"),
            ("description: no name\nports: [80]\nsteps: [{probe: echo}]\nanalyses: [investigation]\n", ":1: `name` is missing"),
            ("name: x\nreference_echoes: 2\n", ":2: unknown key 'reference_echoes'"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = dir.appendingPathComponent("\(i).yaml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            // The same file, the same sentence, from both commands, before any packet.
            let r = try CLI.run(["investigate", "198.18.9.2", "--experiment", path, "--allow-reserved"])
            #expect(r.status != 0)
            #expect(r.stderr.contains(path + expected), "\(text): \(r.stderr)")
            #expect(r.stdout.isEmpty)
            let campaign = try CLI.run(["campaign", "run", path, "--targets", path, "--db", dir.appendingPathComponent("\(i).db").path])
            #expect(campaign.status != 0)
            #expect(campaign.stderr == r.stderr, "campaign run: \(campaign.stderr)")
        }
        let missing = try CLI.run(["investigate", "198.18.9.2", "--experiment", dir.appendingPathComponent("none.yaml").path])
        #expect(missing.status != 0 && missing.stderr.contains("cannot read the experiment file"))
    }

    @Test func everyShippedScriptRunsWithInvestigateToo() throws {
        // Parsed and validated by investigate before anything is sent: the special-purpose
        // refusal of the target is the first thing that fails.
        for name in ["experiments/investigate", "campaigns/lab", "campaigns/telegram", "campaigns/stun"] {
            let path = CLI.repositoryRoot.appendingPathComponent("Probes/\(name).yaml").path
            let r = try CLI.run(["investigate", "198.18.9.2", "--experiment", path])
            #expect(r.status == 1)
            #expect(r.stderr.contains("special-purpose range"), "\(name): \(r.stderr)")
        }
    }

    @Test func reservedTargetsNeedAllowReserved() throws {
        let r = try CLI.run(["investigate", "198.18.9.2", "--port", "80"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("special-purpose range") && r.stderr.contains("--allow-reserved"), "\(r.stderr)")
    }
}
