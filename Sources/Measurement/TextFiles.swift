import Foundation

/// Reading the text files a user hands in (scripts, target lists).
public enum TextFiles {
    /// The file's text; a missing, unreadable or non-UTF-8 file is one sentence naming it.
    public static func read(_ path: String, what: String) throws(MeasurementError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MeasurementError("cannot read the \(what) \(path): "
                + (FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file"))
        }
        guard let text = String(data: data, encoding: .utf8) else { throw MeasurementError("the \(what) \(path) is not UTF-8 text") }
        return text
    }
}
