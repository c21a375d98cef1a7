import Censor
import Lab
import Testing

/// Every built-in lab scenario's censor section is a valid policy for the real parser
/// (`plain` has no censor of ours: its tests build the censorship with kernel tools).
struct BuiltinPolicyTests {
    @Test(arguments: BuiltinScenarios.names)
    func policyParses(_ name: String) throws {
        let source = try ScenarioSource.resolve(name, executable: nil)
        var policies = 0
        _ = try source.parse(validateCensor: { configuration, file in
            _ = try CensorPolicy.parse(node: configuration.node, file: file)
            policies += 1
        })
        #expect(policies == (name == "plain" ? 0 : 1))
    }
}
