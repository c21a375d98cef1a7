import Campaigns

/// The experiment scripts `investigate` and `campaign run` take: one language, one file
/// format (Docs/campaigns.md); the default is Probes/experiments/investigate.yaml, embedded
/// in the binary at build time.
public enum Experiments {
    public static let defaultPath = "Probes/experiments/investigate.yaml"

    /// The embedded default's text.
    public static var defaultText: String { EmbeddedFiles.text[defaultPath] ?? "" }

    /// The default experiment, parsed; errors name it as the repository's file.
    public static func standard() throws(MeasurementError) -> ExperimentScript {
        try parse(defaultText, source: defaultPath)
    }

    /// The script at `path` (read, then parsed and validated in full before any packet).
    public static func load(_ path: String) throws(MeasurementError) -> ExperimentScript {
        try parse(try TextFiles.read(path, what: "experiment file"), source: path)
    }

    public static func parse(_ text: String, source: String) throws(MeasurementError) -> ExperimentScript {
        do { return try ExperimentScript.parse(text, source: source) } catch { throw MeasurementError(error.description) }
    }
}
