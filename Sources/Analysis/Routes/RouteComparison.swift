import Packets

/// A forward path (client to server) set against a reverse path (server to client): which
/// routers and ASes both cross, which only one does, and where a censor sits in each.
///
/// Routers answer from a different interface in each direction, so a hop matches the other
/// direction by address, else by subnet (/24, /64): the same router seen through another
/// interface, or its neighbour on one link, which both directions then cross. The ends
/// (client and server) are on both paths, so a router in an end's subnet matches too.
/// Routers are counted by subnet; silent hops are left out of every count.
public struct RouteComparison: Hashable, Sendable {
    /// One hop as compared, annotated with its AS.
    public struct Hop: Hashable, Sendable {
        /// The probes' TTL in this hop's own direction.
        public var ttl: Int
        /// The first responder; nil when silent.
        public var address: IPAddress?
        /// Every responder (load balancing).
        public var addresses: [IPAddress]
        /// The first responder's origin AS; nil without a database or an entry.
        public var asn: UInt32?
        /// The AS description from the database, when it has names (iptoasn).
        public var asName: String?
        /// The smallest round-trip time, in milliseconds.
        public var rttMilliseconds: Double?
        /// No probe at this TTL was answered.
        public var silent: Bool
        /// How the hop relates to the other direction; nil when silent or only on this path.
        public var match: RouteMatch?
    }

    /// A subnet both directions cross through different addresses.
    public struct SharedSubnet: Hashable, Sendable {
        /// The /24 or /64.
        public var subnet: IPPrefix
        /// The forward path's router addresses in it.
        public var forward: [IPAddress]
        /// The reverse path's router addresses in it.
        public var reverse: [IPAddress]
        /// The client or server address in the subnet, when the match is with an end.
        public var ends: [IPAddress]
    }

    /// One row of the side-by-side view: hops at the same place on the way from the client.
    public struct Row: Hashable, Sendable {
        /// The forward hop on this row, if any.
        public var forwardTTL: Int?
        /// The reverse hop on this row, if any.
        public var reverseTTL: Int?
        /// How the two hops match; nil when they do not (or one is missing).
        public var match: RouteMatch?
    }

    /// Where the censor's address is met in each direction.
    public struct CensorPlacement: Hashable, Sendable {
        /// The censor's address (given, or from the investigation).
        public var address: IPAddress
        /// The forward TTL of the hop at the censor; nil when the forward path does not cross it.
        public var forwardTTL: Int?
        /// The reverse TTL of the hop at the censor; nil when the reverse path does not cross it.
        public var reverseTTL: Int?
        /// The hop's address in each direction (differs from `address` for a subnet match).
        public var forwardAddress: IPAddress?
        /// The reverse hop's address at the censor.
        public var reverseAddress: IPAddress?
        /// `address` or `subnet`: how the forward hop was tied to the censor.
        public var forwardMatch: RouteMatch?
        /// `address` or `subnet`: how the reverse hop was tied to the censor.
        public var reverseMatch: RouteMatch?
    }

    /// Some router (counted by subnet) is on one path only.
    public var asymmetric: Bool
    /// One sentence: "asymmetric: the paths share 3 of 7 routers".
    public var summary: String
    /// The ends: the forward path's origin (else the reverse path's destination), and the
    /// forward path's destination (else the reverse path's origin).
    public var client: IPAddress?
    /// The far end (see `client`).
    public var server: IPAddress?
    /// Both paths in their own TTL order.
    public var forward: [Hop]
    /// The reverse path, server to client, in its own TTL order.
    public var reverse: [Hop]
    /// The ASes each path crosses in its own direction, ends included, consecutive
    /// repeats and unknown hops collapsed.
    public var forwardASPath: [UInt32]
    /// The reverse path's ASes, from the server's.
    public var reverseASPath: [UInt32]
    /// The AS names the database gives, for the ASes on either path.
    public var asNames: [UInt32: String]
    /// Router addresses (ends excluded) seen in both directions.
    public var sharedHops: [IPAddress]
    /// Router addresses matched neither by address nor by subnet in the other direction.
    public var forwardOnlyHops: [IPAddress]
    /// Reverse router addresses matched neither by address nor by subnet.
    public var reverseOnlyHops: [IPAddress]
    /// Subnets both directions reach through different addresses (or through an end).
    public var sharedSubnets: [SharedSubnet]
    /// ASes on both AS paths, in forward order.
    public var sharedASes: [UInt32]
    /// ASes on the forward AS path only.
    public var forwardOnlyASes: [UInt32]
    /// ASes on the reverse AS path only.
    public var reverseOnlyASes: [UInt32]
    /// Routers (distinct subnets of router addresses) on either path, and on both.
    public var routerCount: Int
    /// Of `routerCount`, those both directions reach.
    public var sharedRouterCount: Int
    /// Where the censor sits in each direction; nil when no censor was given or known.
    public var censor: CensorPlacement?
    /// The side-by-side view, client side first; the ends' own hops are left out.
    public var aligned: [Row]

    /// Compares `forward` (client to server) with `reverse` (server to client), with ASes
    /// from `asn` when given, placing `censor` (an address on the forward path) in both.
    public static func compare(forward: RoutePath, reverse: RoutePath, asn database: ASNDatabase?,
                               censor: IPAddress?) -> RouteComparison {
        let client = forward.origin ?? reverse.destination
        let server = forward.destination ?? reverse.origin
        let ends = Set([forward.origin, forward.destination, reverse.origin, reverse.destination].compactMap { $0 })
        let endSubnets = Set(ends.map(RouteSubnet.of))
        let forwardRouters = routers(forward, ends: ends)
        let reverseRouters = routers(reverse, ends: ends)
        let forwardSet = Set(forwardRouters), reverseSet = Set(reverseRouters)
        let forwardSubnets = Set(forwardRouters.map(RouteSubnet.of))
        let reverseSubnets = Set(reverseRouters.map(RouteSubnet.of))

        func match(_ address: IPAddress?, other: Set<IPAddress>, otherSubnets: Set<IPPrefix>) -> RouteMatch? {
            guard let address else { return nil }
            if ends.contains(address) { return .end }
            if other.contains(address) { return .address }
            let subnet = RouteSubnet.of(address)
            return otherSubnets.contains(subnet) || endSubnets.contains(subnet) ? .subnet : nil
        }

        func hops(_ path: RoutePath, other: Set<IPAddress>, otherSubnets: Set<IPPrefix>) -> [Hop] {
            path.hops.map { hop in
                let record = hop.address.flatMap { database?.lookup($0) }
                let matches = hop.addresses.compactMap { match($0, other: other, otherSubnets: otherSubnets) }
                // The strongest relation any responder has.
                let best = [RouteMatch.end, .address, .subnet].first(where: matches.contains)
                return Hop(ttl: hop.ttl, address: hop.address, addresses: hop.addresses, asn: record?.asn,
                           asName: record?.name, rttMilliseconds: hop.rttMilliseconds.min(), silent: hop.silent,
                           match: best)
            }
        }
        let forwardHops = hops(forward, other: reverseSet, otherSubnets: reverseSubnets)
        let reverseHops = hops(reverse, other: forwardSet, otherSubnets: forwardSubnets)

        let forwardOnly = forwardRouters.filter { match($0, other: reverseSet, otherSubnets: reverseSubnets) == nil }
        let reverseOnly = reverseRouters.filter { match($0, other: forwardSet, otherSubnets: forwardSubnets) == nil }
        let allSubnets = forwardSubnets.union(reverseSubnets)
        let sharedCount = allSubnets.filter {
            (forwardSubnets.contains($0) || endSubnets.contains($0)) && (reverseSubnets.contains($0) || endSubnets.contains($0))
        }.count

        var sharedSubnets: [SharedSubnet] = []
        for subnet in orderedSubnets(forwardRouters + reverseRouters) {
            let f = forwardRouters.filter { RouteSubnet.of($0) == subnet }
            let r = reverseRouters.filter { RouteSubnet.of($0) == subnet }
            let endsHere = ends.filter { RouteSubnet.of($0) == subnet }.sorted { $0.description < $1.description }
            let onBoth = (!f.isEmpty || !endsHere.isEmpty) && (!r.isEmpty || !endsHere.isEmpty)
            // Listed when some address in it matched only by subnet.
            guard onBoth, Set(f) != Set(r) || !endsHere.isEmpty else { continue }
            sharedSubnets.append(SharedSubnet(subnet: subnet, forward: f, reverse: r, ends: endsHere))
        }

        var names: [UInt32: String] = [:]
        let forwardAS = asPath([client] + forward.hops.flatMap(\.addresses).map(Optional.some) + [server], database, &names)
        let reverseAS = asPath([server] + reverse.hops.flatMap(\.addresses).map(Optional.some) + [client], database, &names)

        let forwardAligned = forward.hops.enumerated().filter { !isEnd($0.element, ends) }
        let reverseAligned = Array(reverse.hops.enumerated().filter { !isEnd($0.element, ends) }.reversed())
        let rows = RouteAlignment.align(forward: forwardAligned.map(\.element), reverse: reverseAligned.map(\.element)).map {
            Row(forwardTTL: $0.forward.map { forwardAligned[$0].element.ttl },
                reverseTTL: $0.reverse.map { reverseAligned[$0].element.ttl }, match: $0.match)
        }

        let comparable = !forwardRouters.isEmpty && !reverseRouters.isEmpty
        let asymmetric = comparable && sharedCount < allSubnets.count
        return RouteComparison(
            asymmetric: asymmetric,
            summary: summary(comparable: comparable, asymmetric: asymmetric, shared: sharedCount, total: allSubnets.count,
                             forwardEmpty: forwardRouters.isEmpty),
            client: client, server: server, forward: forwardHops, reverse: reverseHops,
            forwardASPath: forwardAS, reverseASPath: reverseAS, asNames: names,
            sharedHops: forwardRouters.filter(reverseSet.contains), forwardOnlyHops: forwardOnly, reverseOnlyHops: reverseOnly,
            sharedSubnets: sharedSubnets,
            sharedASes: unique(forwardAS.filter(reverseAS.contains)),
            forwardOnlyASes: unique(forwardAS.filter { !reverseAS.contains($0) }),
            reverseOnlyASes: unique(reverseAS.filter { !forwardAS.contains($0) }),
            routerCount: allSubnets.count, sharedRouterCount: sharedCount,
            censor: censor.map { place($0, forward: forward, reverse: reverse) },
            aligned: rows)
    }

    /// Distinct responding addresses in TTL order, the ends left out.
    static func routers(_ path: RoutePath, ends: Set<IPAddress>) -> [IPAddress] {
        var seen = Set<IPAddress>()
        return path.hops.flatMap(\.addresses).filter { !ends.contains($0) && seen.insert($0).inserted }
    }

    static func isEnd(_ hop: RouteHop, _ ends: Set<IPAddress>) -> Bool {
        guard let address = hop.address else { return false }
        return ends.contains(address)
    }

    static func orderedSubnets(_ addresses: [IPAddress]) -> [IPPrefix] {
        var seen = Set<IPPrefix>()
        return addresses.map(RouteSubnet.of).filter { seen.insert($0).inserted }
    }

    static func unique(_ values: [UInt32]) -> [UInt32] {
        var seen = Set<UInt32>()
        return values.filter { seen.insert($0).inserted }
    }

    /// The ASes of `addresses` in order, repeats and unknowns collapsed; names noted in `names`.
    static func asPath(_ addresses: [IPAddress?], _ database: ASNDatabase?, _ names: inout [UInt32: String]) -> [UInt32] {
        guard let database else { return [] }
        var path: [UInt32] = []
        for address in addresses {
            guard let address, let record = database.lookup(address) else { continue }
            if let name = record.name { names[record.asn] = name }
            if path.last != record.asn { path.append(record.asn) }
        }
        return path
    }

    /// The first hop holding the censor's address, else the first in its subnet.
    static func place(_ censor: IPAddress, forward: RoutePath, reverse: RoutePath) -> CensorPlacement {
        func find(_ path: RoutePath) -> (ttl: Int, address: IPAddress, match: RouteMatch)? {
            if let hop = path.hops.first(where: { $0.addresses.contains(censor) }) { return (hop.ttl, censor, .address) }
            let subnet = RouteSubnet.of(censor)
            for hop in path.hops {
                if let a = hop.addresses.first(where: { RouteSubnet.of($0) == subnet }) { return (hop.ttl, a, .subnet) }
            }
            return nil
        }
        let f = find(forward), r = find(reverse)
        return CensorPlacement(address: censor, forwardTTL: f?.ttl, reverseTTL: r?.ttl, forwardAddress: f?.address,
                               reverseAddress: r?.address, forwardMatch: f?.match, reverseMatch: r?.match)
    }

    static func summary(comparable: Bool, asymmetric: Bool, shared: Int, total: Int, forwardEmpty: Bool) -> String {
        guard comparable else {
            return "undetermined: no router answered on the \(forwardEmpty ? "forward" : "reverse") path, so the paths cannot be compared"
        }
        let noun = total == 1 ? "router" : "routers"
        return "\(asymmetric ? "asymmetric" : "symmetric"): the paths share \(shared) of \(total) \(noun)"
    }
}
