import Packets
import Records

/// One row of a breakdown: a port, a prefix or an AS, with how many results fall in it and
/// how many of those are blocked.
public struct BreakdownRow: Sendable, Equatable {
    public var key: String
    public var blocked: Int
    public var total: Int

    public init(key: String, blocked: Int, total: Int) {
        self.key = key
        self.blocked = blocked
        self.total = total
    }
}

/// A campaign's results counted by verdict, and its blocked results by port, by prefix and
/// by AS. Pure.
public enum CampaignBreakdown {
    /// Verdicts with their counts, most frequent first (ties by name).
    public static func verdictTotals(_ records: [InvestigationRecord]) -> [(verdict: String, count: Int)] {
        var counts: [String: Int] = [:]
        for inv in records { counts[inv.verdict, default: 0] += 1 }
        return counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ($0.key, $0.value) }
    }

    /// Per port ("80", "443", "3478/udp").
    public static func byPort(_ records: [InvestigationRecord]) -> [BreakdownRow] {
        rows(records) { inv in
            guard let port = inv.port else { return nil }
            return inv.run?.transport == "udp" ? "\(port)/udp" : String(port)
        }
    }

    /// Per /24 (IPv4) or /48 (IPv6) of the target's address.
    public static func byPrefix(_ records: [InvestigationRecord]) -> [BreakdownRow] {
        rows(records) { prefix(of: $0.target) }
    }

    /// Per AS: `lookup` gives "AS64500 Name" for an address, or nil (then "unknown AS").
    public static func byAS(_ records: [InvestigationRecord], lookup: (String) -> String?) -> [BreakdownRow] {
        rows(records) { lookup($0.target) ?? "unknown AS" }
    }

    /// "198.18.21.0/24", "2001:db8:21::/48"; nil for what is not an address.
    public static func prefix(of address: String) -> String? {
        switch IPAddress(address) {
        case .v4(let a)?: return "\(IPv4Address(a.value & 0xFFFF_FF00))/24"
        case .v6(let a)?: return "\(IPv6Address(high: a.high & 0xFFFF_FFFF_FFFF_0000, low: 0))/48"
        case nil: return nil
        }
    }

    /// Rows for the keys under which at least one result is blocked: most blocked first,
    /// then by key. A result without a key is left out.
    static func rows(_ records: [InvestigationRecord], key: (InvestigationRecord) -> String?) -> [BreakdownRow] {
        var totals: [String: (blocked: Int, total: Int)] = [:]
        for inv in records {
            guard let k = key(inv) else { continue }
            var entry = totals[k] ?? (0, 0)
            entry.total += 1
            if inv.blocked == true { entry.blocked += 1 }
            totals[k] = entry
        }
        return totals.filter { $0.value.blocked > 0 }
            .map { BreakdownRow(key: $0.key, blocked: $0.value.blocked, total: $0.value.total) }
            .sorted { ($1.blocked, $0.key) < ($0.blocked, $1.key) }
    }
}
