import Packets
import Records

/// Which results a person asked to see: by verdict, port, prefix, AS and vantage. Parsed
/// from hostile query strings: a value that cannot be what its field means is refused with
/// one sentence rather than silently matching nothing.
public struct ResultFilter: Sendable, Equatable {
    public var verdict: String?
    public var port: Int?
    public var prefix: IPPrefix?
    /// "AS64500" (needs an AS lookup to match anything).
    public var asn: String?
    public var vantage: String?

    public init(verdict: String? = nil, port: Int? = nil, prefix: IPPrefix? = nil, asn: String? = nil, vantage: String? = nil) {
        self.verdict = verdict
        self.port = port
        self.prefix = prefix
        self.asn = asn
        self.vantage = vantage
    }

    /// Longest value accepted for any field.
    static let maximumLength = 128

    /// From query parameters (`get(name)` gives the decoded value, nil when absent). An empty
    /// value means "any", as a form's blank field sends.
    public init(query get: (String) -> String?) throws(RecordError) {
        func value(_ name: String) throws(RecordError) -> String? {
            guard let v = get(name), !v.isEmpty else { return nil }
            guard v.utf8.count <= Self.maximumLength, v.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
                throw RecordError("the \(name) filter must be at most \(Self.maximumLength) printable ASCII characters")
            }
            return v
        }
        self.init()
        verdict = try value("verdict")
        vantage = try value("vantage")
        if let p = try value("port") {
            guard let n = Int(p), (0...65535).contains(n) else { throw RecordError("the port filter must be a number from 0 to 65535") }
            port = n
        }
        if let text = try value("prefix") {
            guard let parsed = IPPrefix(text) else {
                throw RecordError("the prefix filter must be an address or a prefix such as 198.18.21.0/24")
            }
            prefix = parsed
        }
        if let text = try value("as") {
            let digits = text.uppercased().hasPrefix("AS") ? String(text.dropFirst(2)) : text
            guard let n = UInt32(digits) else { throw RecordError("the AS filter must be a number such as AS64500") }
            asn = "AS\(n)"
        }
    }

    public var isEmpty: Bool { self == ResultFilter() }

    /// Whether `inv` passes; `asOf` gives an address's "AS64500 …" label, `defaultVantage`
    /// the vantage of a record that names none.
    public func matches(_ inv: InvestigationRecord, asOf: (String) -> String?, defaultVantage: String?) -> Bool {
        if let verdict, inv.verdict != verdict { return false }
        if let port, inv.port != port { return false }
        if let prefix {
            guard let address = IPAddress(inv.target), prefix.contains(address) else { return false }
        }
        if let asn {
            guard let label = asOf(inv.target), label == asn || label.hasPrefix(asn + " ") || label.hasPrefix(asn + "_") else { return false }
        }
        if let vantage, inv.vantage?.name != vantage, (inv.vantage?.address ?? defaultVantage) != vantage { return false }
        return true
    }

    /// The filter as query parameters, for links that keep it.
    public var queryItems: [(name: String, value: String)] {
        [("verdict", verdict), ("port", port.map(String.init)), ("prefix", prefix?.description), ("as", asn), ("vantage", vantage)]
            .compactMap { item in item.1.map { (item.0, $0) } }
    }
}
