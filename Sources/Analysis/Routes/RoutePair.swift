import Packets
import Records

/// `routes compare FORWARD [REVERSE]`: the two paths read (from two files, or both halves
/// of one `trace --both` file) and compared.
public struct RoutePair {
    public var forward: RoutePath
    public var reverse: RoutePath
    /// The forward file's name ("standard input" for `-`), and the reverse file as given
    /// (the forward one's when both halves come from it).
    public var forwardName: String
    public var reverseName: String
    public var notes: [String]
    public var comparison: RouteComparison

    /// `read` gives a file's bytes (`-`: standard input); the reverse file is read after the
    /// forward path, so the first problem is the one reported. `censor` defaults to the
    /// censor a forward `investigate --json` names.
    public init(forward forwardFile: String, reverse reverseFile: String?, format: RouteFormat?, direction: RouteDirection?,
                index: Int?, asn: ASNDatabase?, censor: IPAddress?, read: (String) throws -> [UInt8]) throws {
        func name(_ file: String) -> String { file == "-" ? "standard input" : file }
        let forwardBytes = try read(forwardFile)
        forwardName = name(forwardFile)
        reverseName = reverseFile ?? forwardName
        if let reverseFile {
            forward = try RouteImport.parse(forwardBytes, name: forwardName, format: format, direction: direction ?? .forward, index: index)
            reverse = try RouteImport.parse(try read(reverseFile), name: name(reverseFile), format: format,
                                            direction: direction ?? .reverse, index: index)
        } else {
            forward = try RouteImport.parse(forwardBytes, name: forwardName, format: format, direction: .forward, index: index)
            guard RouteImport.holdsBothDirections(forwardBytes, index: index) else {
                throw RouteImportError("\(forwardName) holds one path; give the reverse trace as a second file.")
            }
            reverse = try RouteImport.parse(forwardBytes, name: forwardName, format: format, direction: .reverse, index: index)
        }
        comparison = RouteComparison.compare(forward: forward, reverse: reverse, asn: asn, censor: censor ?? forward.censor)
        var seen = Set<String>()
        notes = (forward.notes + reverse.notes).filter { seen.insert($0).inserted }
    }

    /// `routes compare --json`, and what `--html` draws.
    public var record: RouteComparisonRecord {
        comparison.record(notes: notes, forward: (forwardName, forward), reverse: (reverseName, reverse))
    }
}
