import Packets

/// What an ASN database says about one address: the origin AS and the range it came from.
public struct ASNRecord: Hashable, Sendable {
    /// The origin AS; for a multi-origin prefix or an AS set, the first one listed.
    public var asn: UInt32
    /// Origins after the first, for pfx2as `A_B` (multi-origin) or `A,B` (AS set); usually
    /// empty, which keeps a lookup free of allocations.
    public var otherOrigins: [UInt32]
    /// The AS description (iptoasn); nil when the database has none (pfx2as).
    public var name: String?
    /// ISO 3166 country code (iptoasn); nil when unknown.
    public var country: String?
    /// First address of the matching range or prefix.
    public var first: IPAddress
    /// Last address of the matching range or prefix.
    public var last: IPAddress
    /// The prefix length for pfx2as entries; nil for iptoasn ranges.
    public var prefixLength: Int?

    /// `origins`, when given, lists every origin, `asn` first.
    public init(asn: UInt32, origins: [UInt32]? = nil, name: String?, country: String?,
                first: IPAddress, last: IPAddress, prefixLength: Int?) {
        self.asn = asn
        self.otherOrigins = origins.map { Array($0.dropFirst()) } ?? []
        self.name = name
        self.country = country
        self.first = first
        self.last = last
        self.prefixLength = prefixLength
    }

    /// Every origin AS in file order, `asn` first.
    public var origins: [UInt32] { [asn] + otherOrigins }

    /// The matching entry as text: `198.18.0.0/15` for a prefix, `1.0.0.0-1.0.0.255` for a range.
    public var range: String {
        if let prefixLength { return "\(first)/\(prefixLength)" }
        return "\(first)-\(last)"
    }

    /// `AS64500`, or `AS64500_64501` when the prefix has several origins.
    public var label: String {
        "AS" + origins.map(String.init).joined(separator: "_")
    }
}
