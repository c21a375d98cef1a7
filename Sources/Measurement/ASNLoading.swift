import Analysis

public enum ASNLoading {
    /// An ASN database, loaded before anything is sent; a bad file is an error, and
    /// skipped malformed lines are reported through `warn`.
    public static func load(_ path: String, warn: (String) -> Void) throws(MeasurementError) -> ASNDatabase {
        let database: ASNDatabase
        do { database = try ASNDatabase(contentsOf: path) } catch { throw MeasurementError("\(error)") }
        if database.malformedLineCount > 0 {
            let first = database.firstMalformedLine.map { ", the first at line \($0)" } ?? ""
            warn("skipped \(database.malformedLineCount) malformed line\(database.malformedLineCount == 1 ? "" : "s") in ASN database '\(path)'\(first)")
        }
        return database
    }
}
