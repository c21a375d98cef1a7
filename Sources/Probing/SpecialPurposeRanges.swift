import Packets

/// The IANA special-purpose address registries (IPv4 RFC 6890 and successors, IPv6 the
/// same), as ZMap's default blocklist uses them: destinations a probe must not reach
/// unless the user says `--allow-reserved`. The lab's 198.18.0.0/15 and 2001:db8::/32
/// are here too, which is why `lab exec` implies the flag.
public enum SpecialPurposeRanges {
    public struct Entry: Sendable {
        public var prefix: IPPrefix
        public var name: String
    }

    public static let entries: [Entry] = [
        ("0.0.0.0/8", "this network (RFC 791)"),
        ("10.0.0.0/8", "private use (RFC 1918)"),
        ("100.64.0.0/10", "shared address space (RFC 6598)"),
        ("127.0.0.0/8", "loopback (RFC 1122)"),
        ("169.254.0.0/16", "link local (RFC 3927)"),
        ("172.16.0.0/12", "private use (RFC 1918)"),
        ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
        ("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
        ("192.31.196.0/24", "AS112-v4 (RFC 7535)"),
        ("192.52.193.0/24", "AMT (RFC 7450)"),
        ("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
        ("192.168.0.0/16", "private use (RFC 1918)"),
        ("192.175.48.0/24", "direct delegation AS112 service (RFC 7534)"),
        ("198.18.0.0/15", "benchmarking (RFC 2544)"),
        ("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
        ("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
        ("224.0.0.0/4", "multicast (RFC 5771)"),
        ("240.0.0.0/4", "reserved (RFC 1112)"),
        ("255.255.255.255/32", "limited broadcast (RFC 919)"),
        ("::/128", "unspecified address (RFC 4291)"),
        ("::1/128", "loopback (RFC 4291)"),
        ("::ffff:0:0/96", "IPv4-mapped (RFC 4291)"),
        ("64:ff9b::/96", "IPv4-IPv6 translation (RFC 6052)"),
        ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation (RFC 8215)"),
        ("100::/64", "discard-only (RFC 6666)"),
        ("2001::/23", "IETF protocol assignments (RFC 2928)"),
        ("2001:db8::/32", "documentation (RFC 3849)"),
        ("2002::/16", "6to4 (RFC 3056)"),
        ("3fff::/20", "documentation (RFC 9637)"),
        ("5f00::/16", "segment routing SIDs (RFC 9602)"),
        ("fc00::/7", "unique local (RFC 4193)"),
        ("fe80::/10", "link-local unicast (RFC 4291)"),
        ("ff00::/8", "multicast (RFC 4291)"),
    ].map { Entry(prefix: IPPrefix($0.0)!, name: $0.1) }

    /// The registry entry covering `address`, if any (the most specific one).
    public static func entry(covering address: IPAddress) -> Entry? {
        entries.filter { $0.prefix.contains(address) }.max { $0.prefix.length < $1.prefix.length }
    }

    /// One sentence for the user when `address` is refused, nil when it may be probed.
    public static func refusal(for address: IPAddress, allowReserved: Bool) -> String? {
        guard !allowReserved, let e = entry(covering: address) else { return nil }
        return "\(address) is in \(e.prefix) (\(e.name)), a special-purpose range: probing it needs --allow-reserved"
    }
}
