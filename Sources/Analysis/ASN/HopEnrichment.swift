import Packets
import Records

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

    /// What `annotations` knows of an address given as text, for the records' `annotated`.
    public static func lookup(_ annotations: [IPAddress: HopAnnotation]) -> (String) -> HopAnnotationValues? {
        { text in
            guard let address = IPAddress(text), let a = annotations[address] else { return nil }
            return HopAnnotationValues(asn: a.asn.map(Int.init), asName: a.asName, hostname: a.hostname)
        }
    }

    /// Every hop and hop response of a trace with `asn`, `as_name` and, if `includeHostname`,
    /// `hostname` right after its address (null when unknown).
    public static func annotating(_ trace: TraceRecord, with annotations: [IPAddress: HopAnnotation],
                                  includeHostname: Bool) -> TraceRecord {
        trace.annotated(hostname: includeHostname, lookup(annotations))
    }

    /// Both paths of an investigation annotated the same way.
    public static func annotating(_ investigation: InvestigationRecord, with annotations: [IPAddress: HopAnnotation],
                                  includeHostname: Bool) -> InvestigationRecord {
        investigation.annotated(hostname: includeHostname, lookup(annotations))
    }
}
