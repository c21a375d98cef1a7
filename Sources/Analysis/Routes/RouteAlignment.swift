import Packets

/// How a hop of one direction relates to the other direction.
public enum RouteMatch: String, Hashable, Sendable {
    /// The other direction saw the same address.
    case address
    /// The other direction saw an address in the same /24 (IPv4) or /64 (IPv6): the same
    /// router through another interface, or the router at the other end of one link.
    case subnet
    /// The hop is one of the two ends (client or server), on both paths by definition.
    case end
}

/// The subnets hops are matched by when their addresses differ.
public enum RouteSubnet {
    /// IPv4 prefix length used to match routers across directions.
    public static let ipv4Length = 24
    /// IPv6 prefix length used to match routers across directions.
    public static let ipv6Length = 64

    /// The /24 or /64 holding `address`, host bits cleared (so equal subnets are equal values).
    public static func of(_ address: IPAddress) -> IPPrefix {
        // The unwraps cannot fail: 24 and 64 are valid lengths for their families.
        switch address {
        case .v4(let a):
            let masked = IPAddress.v4(IPv4Address(a.value & ~(UInt32.max >> UInt32(ipv4Length))))
            return IPPrefix(address: masked, length: ipv4Length)!
        case .v6(let a):
            let masked = IPAddress.v6(IPv6Address(high: a.high, low: 0))
            return IPPrefix(address: masked, length: ipv6Length)!
        }
    }
}

/// Aligns the forward routers with the reverse routers read backwards (the reverse trace's
/// hop 1 sits next to the server, so read backwards it runs client to server like the
/// forward one): the alignment with the most matches, exact addresses weighing more than
/// subnets, as a longest common subsequence; unmatched stretches between matches are
/// paired side by side.
enum RouteAlignment {
    /// A row: a forward hop index, a reverse hop index (into the lists given), and their match.
    struct Row: Equatable {
        var forward: Int?
        var reverse: Int?
        var match: RouteMatch?
    }

    static func align(forward: [RouteHop], reverse: [RouteHop]) -> [Row] {
        let n = forward.count, m = reverse.count
        guard n > 0 || m > 0 else { return [] }
        // score[i][j]: best total for forward[i...] against reverse[j...].
        var score = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        if n > 0, m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    var best = max(score[i + 1][j], score[i][j + 1])
                    if let w = weight(match(forward[i], reverse[j])) { best = max(best, score[i + 1][j + 1] + w) }
                    score[i][j] = best
                }
            }
        }
        var rows: [Row] = []
        var gapForward: [Int] = [], gapReverse: [Int] = []
        func flushGap() {
            for k in 0..<max(gapForward.count, gapReverse.count) {
                rows.append(Row(forward: k < gapForward.count ? gapForward[k] : nil,
                                reverse: k < gapReverse.count ? gapReverse[k] : nil, match: nil))
            }
            gapForward.removeAll()
            gapReverse.removeAll()
        }
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, let kind = match(forward[i], reverse[j]), let w = weight(kind),
               score[i][j] == score[i + 1][j + 1] + w {
                flushGap()
                rows.append(Row(forward: i, reverse: j, match: kind))
                i += 1
                j += 1
            } else if i < n, j == m || score[i][j] == score[i + 1][j] {
                gapForward.append(i)
                i += 1
            } else {
                gapReverse.append(j)
                j += 1
            }
        }
        flushGap()
        return rows
    }

    /// Two hops match by a shared address, else by a shared subnet; silent hops never match.
    static func match(_ a: RouteHop, _ b: RouteHop) -> RouteMatch? {
        guard !a.addresses.isEmpty, !b.addresses.isEmpty else { return nil }
        if a.addresses.contains(where: b.addresses.contains) { return .address }
        let subnets = Set(b.addresses.map(RouteSubnet.of))
        if a.addresses.contains(where: { subnets.contains(RouteSubnet.of($0)) }) { return .subnet }
        return nil
    }

    static func weight(_ match: RouteMatch?) -> Int? {
        switch match {
        case .address?: return 2
        case .subnet?: return 1
        default: return nil
        }
    }
}
