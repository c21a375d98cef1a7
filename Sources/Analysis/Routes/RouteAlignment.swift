import Packets

/// How a hop of one direction relates to the other direction (RoutePairing).
public enum RouteMatch: String, Hashable, Sendable {
    /// The other direction saw the same address.
    case address
    /// The same router seen through another interface: the two ends of one point-to-point
    /// link seen at mirrored positions tie it to a hop of the other direction.
    case link
    /// The hop is one of the two ends (client or server), on both paths by definition.
    case end
}

/// The point-to-point link an address belongs to: two addresses in one /30 (IPv4: a /30
/// or /31 link) or one /126 (IPv6: a /126, /127, or the ::1 and ::2 of a /64) are taken
/// as the two ends of one link.
public enum RouteSubnet {
    /// IPv4 prefix length of a point-to-point link.
    public static let ipv4Length = 30
    /// IPv6 prefix length of a point-to-point link.
    public static let ipv6Length = 126

    /// The /30 or /126 holding `address`, host bits cleared (so equal links are equal values).
    public static func of(_ address: IPAddress) -> IPPrefix {
        // The unwraps cannot fail: 24 and 64 are valid lengths for their families.
        switch address {
        case .v4(let a):
            let masked = IPAddress.v4(IPv4Address(a.value & ~(UInt32.max >> UInt32(ipv4Length))))
            return IPPrefix(address: masked, length: ipv4Length)!
        case .v6(let a):
            let masked = IPAddress.v6(IPv6Address(high: a.high, low: a.low & ~UInt64(3)))
            return IPPrefix(address: masked, length: ipv6Length)!
        }
    }
}

/// Aligns the forward routers with the reverse routers read backwards (the reverse trace's
/// hop 1 sits next to the server, so read backwards it runs client to server like the
/// forward one): the alignment with the most pairings (`match`, RoutePairing's evidence),
/// as a longest common subsequence; unpaired stretches between pairings are shown side by
/// side without a match.
enum RouteAlignment {
    /// A row: a forward hop index, a reverse hop index (into the lists given), and their match.
    struct Row: Equatable {
        var forward: Int?
        var reverse: Int?
        var match: RouteMatch?
    }

    static func align(forwardCount n: Int, reverseCount m: Int, match: (Int, Int) -> RouteMatch?) -> [Row] {
        guard n > 0 || m > 0 else { return [] }
        // score[i][j]: best total for forward[i...] against reverse[j...].
        var score = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        if n > 0, m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    var best = max(score[i + 1][j], score[i][j + 1])
                    if match(i, j) != nil { best = max(best, score[i + 1][j + 1] + 1) }
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
            if i < n, j < m, let kind = match(i, j), score[i][j] == score[i + 1][j + 1] + 1 {
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
}
