import Foundation
import SystemSupport

/// Reading the text files a user hands in (scripts, target lists).
public enum TextFiles {
    /// The file's text; a missing, unreadable or non-UTF-8 file is one sentence naming it.
    /// With `allowStandardInput`, `-` reads standard input.
    public static func read(_ path: String, what: String, allowStandardInput: Bool = false) throws(MeasurementError) -> String {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFile.read(path, limit: BoundedFile.Limit.text, what: what, allowStandardInput: allowStandardInput)
        } catch { throw MeasurementError("\(error)") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw MeasurementError("the \(what) \(path) is not UTF-8 text") }
        return text
    }
}
