import JSONSupport
import Packets

/// What is known about one hop address beyond the trace itself.
public struct HopAnnotation: Hashable, Sendable {
    /// The origin AS; nil when the database has no (routed) entry for the address.
    public var asn: UInt32?
    /// The AS description; nil when unknown or the database has no names (pfx2as).
    public var asName: String?
    /// ISO 3166 country code of the AS entry; nil when unknown.
    public var country: String?
    /// The `AS64500` / `AS64500_64501` label; nil without an AS.
    public var asLabel: String?
    /// The reverse DNS name, when looked up and found.
    public var hostname: String?

    public init(asn: UInt32? = nil, asName: String? = nil, country: String? = nil, asLabel: String? = nil, hostname: String? = nil) {
        self.asn = asn
        self.asName = asName
        self.country = country
        self.asLabel = asLabel
        self.hostname = hostname
    }

    /// From a database record (nil: nothing known).
    public init(_ record: ASNRecord?, hostname: String? = nil) {
        self.init(asn: record?.asn, asName: record?.name, country: record?.country, asLabel: record?.label, hostname: hostname)
    }

    /// traceroute -A's bracket: `[AS64500 EXAMPLE-NET]`, `[AS64500]` without a name, `[*]`
    /// when the address has no AS.
    public var bracket: String {
        guard let asLabel else { return "[*]" }
        guard let asName, !asName.isEmpty else { return "[\(asLabel)]" }
        return "[\(asLabel) \(asName)]"
    }
}

/// Annotates trace hops with their AS (from an `ASNDatabase`) and, when given, reverse DNS
/// names. Pure: the names are looked up by the caller, which owns the network.
public enum HopEnrichment {
    /// One annotation per distinct address in `addresses`.
    public static func annotate(_ addresses: [IPAddress], database: ASNDatabase?,
                                hostnames: [IPAddress: String] = [:]) -> [IPAddress: HopAnnotation] {
        var out: [IPAddress: HopAnnotation] = [:]
        for address in addresses where out[address] == nil {
            out[address] = HopAnnotation(database?.lookup(address), hostname: hostnames[address])
        }
        return out
    }

    /// A hop (or hop response) JSON object with `asn`, `as_name` and, if `includeHostname`,
    /// `hostname` inserted after its `address` key (null when unknown); the hop's
    /// `responses` are annotated the same way. Values without an `address` key are returned as given.
    public static func annotatingHop(_ hop: JSONValue, with annotations: [IPAddress: HopAnnotation],
                                     includeHostname: Bool) -> JSONValue {
        guard case .object(var fields) = hop,
              let addressAt = fields.firstIndex(where: { $0.key == "address" }) else { return hop }
        var address: IPAddress?
        if case .string(let text) = fields[addressAt].value { address = IPAddress(text) }
        let annotation = address.flatMap { annotations[$0] }
        var added: [(key: String, value: JSONValue)] = [
            ("asn", .optional(annotation?.asn)),
            ("as_name", .optional(annotation?.asName)),
        ]
        if includeHostname { added.append(("hostname", .optional(annotation?.hostname))) }
        let addedKeys = Set(added.map(\.key))
        fields.removeAll { addedKeys.contains($0.key) }
        let insertAt = (fields.firstIndex(where: { $0.key == "address" }) ?? fields.count - 1) + 1
        fields.insert(contentsOf: added, at: min(insertAt, fields.count))
        if let responsesAt = fields.firstIndex(where: { $0.key == "responses" }),
           case .array(let responses) = fields[responsesAt].value {
            fields[responsesAt].value = .array(responses.map {
                annotatingHop($0, with: annotations, includeHostname: includeHostname)
            })
        }
        return .object(fields)
    }

    /// Every hop object of a `hops` array annotated (see `annotatingHop`).
    public static func annotatingHops(_ hops: JSONValue, with annotations: [IPAddress: HopAnnotation],
                                      includeHostname: Bool) -> JSONValue {
        guard case .array(let items) = hops else { return hops }
        return .array(items.map { annotatingHop($0, with: annotations, includeHostname: includeHostname) })
    }
}
