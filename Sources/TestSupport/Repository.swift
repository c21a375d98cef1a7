import Foundation

/// Where the tests find the checkout and the project's reference data.
public enum Repository {
    /// The package's root directory, found from this source file (Sources/TestSupport/…).
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// ../shared beside the repository (seeds, CenTrace captures); nil when absent.
    public static let shared: URL? = {
        let u = root.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: u.path) ? u : nil
    }()
}
