import JSONSupport
import Records

/// A report's failure, as one sentence for the person who asked for the report.
public struct ReportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads the RESULT input of `censorscope report`: a boundary, a file the user hands in.
public enum InvestigationReader {
    /// Every investigation in a text holding one object, a JSON array of objects, or JSON
    /// Lines, read leniently (see `InvestigationRecord.init(json:position:)`). `name` is used in errors.
    public static func read(bytes: [UInt8], name: String) throws(ReportError) -> [InvestigationRecord] {
        do { return try InvestigationFile.read(bytes: bytes, name: name) } catch { throw ReportError(error.description) }
    }
}

// What the reports show of a record, beyond its fields.
extension InvestigationRecord {
    /// The control path, empty when there is none.
    var controlPath: [HopRecord] { path ?? [] }

    /// What the pass-through formats (json, ooni) print: the object as read, else as encoded.
    public var passThrough: JSONValue { asRead ?? json }

    /// "AS1234" for the vantage, when known.
    var vantageASN: String? { vantage?.asn.map { "AS\($0)" } }
}

extension HopRecord {
    /// "AS1234", when known.
    var asLabel: String? { asn.map { "AS\($0)" } }
}
