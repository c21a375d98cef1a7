import Foundation

/// The scenarios shipped in Probes/labs/. A checkout's files win (edits apply without
/// rebuilding); anywhere else the copies embedded in the binary are used.
public enum BuiltinScenarios {
    public static var names: [String] { files.map(\.name) }

    /// (name, YAML text) of every built-in scenario, sorted by name: Probes/labs/*.yaml,
    /// embedded in the module at build time by the EmbedFiles plugin.
    static let files: [(name: String, text: String)] = EmbeddedFiles.text
        .map { (name: (($0.key as NSString).lastPathComponent as NSString).deletingPathExtension, text: $0.value) }
        .sorted { $0.name < $1.name }

    /// The embedded YAML text of a built-in scenario.
    public static func embeddedText(of name: String) -> String? { files.first { $0.name == name }?.text }

    /// Probes/labs in a checkout holding the binary (e.g. .build/debug/censorscope),
    /// searched upwards from the binary's directory.
    public static func directory(besides executable: String?) -> String? {
        guard let executable else { return nil }
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent("Probes/labs")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("clean.yaml").path) { return candidate.path }
            dir.deleteLastPathComponent()
        }
        return nil
    }
}

/// A scenario argument resolved to text: a built-in name or a path.
public struct ScenarioSource: Sendable {
    public let text: String
    /// Shown in messages: the path, or `<builtin>/NAME.yaml`.
    public let file: String
    /// Recorded in state.json: the path, or `builtin:NAME`.
    public let label: String

    /// `argument` names a built-in scenario unless it looks like a path (contains `/` or
    /// ends in .yaml/.yml).
    public static func resolve(_ argument: String, executable: String?) throws -> ScenarioSource {
        let looksLikePath = argument.contains("/") || argument.hasSuffix(".yaml") || argument.hasSuffix(".yml")
        if !looksLikePath, BuiltinScenarios.names.contains(argument) {
            if let dir = BuiltinScenarios.directory(besides: executable) {
                let path = dir + "/" + argument + ".yaml"
                if let text = try? ScenarioParser.readScenarioFile(path) {
                    return ScenarioSource(text: text, file: path, label: "builtin:" + argument)
                }
            }
            return ScenarioSource(text: BuiltinScenarios.embeddedText(of: argument)!, file: "<builtin>/\(argument).yaml",
                                  label: "builtin:" + argument)
        }
        if !looksLikePath && !FileManager.default.fileExists(atPath: argument) {
            throw ScenarioError(file: argument, line: 0,
                                problem: "no such built-in scenario (built-in: \(BuiltinScenarios.names.joined(separator: ", "))); or give a path to a .yaml file")
        }
        let text = try ScenarioParser.readScenarioFile(argument)
        let absolute = URL(fileURLWithPath: argument).standardizedFileURL.path
        return ScenarioSource(text: text, file: argument, label: absolute)
    }

    public func parse(validateCensor: ScenarioParser.CensorValidator? = nil) throws -> Scenario {
        try ScenarioParser.parse(text, file: file, validateCensor: validateCensor)
    }
}
