import Packets

/// A forward path (client to server) set against a reverse path (server to client): which
/// routers and ASes both cross, which only one does, and where a censor sits in each.
///
/// Routers answer from a different interface in each direction, so a hop is tied to the
/// other direction only with evidence (`RoutePairing`): the same address, or the two ends
/// of one point-to-point link seen at mirrored positions. Routers are the addresses, with
/// those tied together counted once; silent hops are left out of every count.
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

    /// A point-to-point link (/30, /126) both directions show through different addresses.
    public struct SharedSubnet: Hashable, Sendable {
        /// The /30 or /126.
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
        /// The hop's address in each direction (differs from `address` for a link match).
        public var forwardAddress: IPAddress?
        /// The reverse hop's address at the censor.
        public var reverseAddress: IPAddress?
        /// `address` or `link`: how the forward hop was tied to the censor.
        public var forwardMatch: RouteMatch?
        /// `address` or `link`: how the reverse hop was tied to the censor.
        public var reverseMatch: RouteMatch?
    }

    /// Some router is on one path only (not tied to any router of the other).
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
    /// Router addresses tied to no router of the other direction.
    public var forwardOnlyHops: [IPAddress]
    /// Reverse router addresses tied to no forward router.
    public var reverseOnlyHops: [IPAddress]
    /// Links both directions show through different addresses (or through an end).
    public var sharedSubnets: [SharedSubnet]
    /// ASes on both AS paths, in forward order.
    public var sharedASes: [UInt32]
    /// ASes on the forward AS path only.
    public var forwardOnlyASes: [UInt32]
    /// ASes on the reverse AS path only.
    public var reverseOnlyASes: [UInt32]
    /// Routers on either path: router addresses, those tied to one another counted once.
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
        let forwardRouters = routers(forward, ends: ends)
        let reverseRouters = routers(reverse, ends: ends)
        let reverseSet = Set(reverseRouters)
        let pairing = RoutePairing(forward: forward, reverse: reverse, client: client, server: server)
        let routers = RouterGroups(forward: forward, reverse: reverse, ends: ends, pairing: pairing)

        func hops(_ path: RoutePath, isForward: Bool) -> [Hop] {
            path.hops.map { hop in
                let record = hop.address.flatMap { database?.lookup($0) }
                let paired = isForward ? pairing.reverseTTLs(pairedWith: hop.ttl).compactMap { pairing.match(forward: hop.ttl, reverse: $0) }
                    : pairing.forwardTTLs(pairedWith: hop.ttl).compactMap { pairing.match(forward: $0, reverse: hop.ttl) }
                let best: RouteMatch? = hop.addresses.contains(where: ends.contains) ? .end
                    : [RouteMatch.address, .link].first(where: paired.contains)
                return Hop(ttl: hop.ttl, address: hop.address, addresses: hop.addresses, asn: record?.asn,
                           asName: record?.name, rttMilliseconds: hop.rttMilliseconds.min(), silent: hop.silent,
                           match: best)
            }
        }

        var sharedSubnets: [SharedSubnet] = []
        for subnet in orderedSubnets(forwardRouters + reverseRouters) {
            let f = forwardRouters.filter { RouteSubnet.of($0) == subnet }
            let r = reverseRouters.filter { RouteSubnet.of($0) == subnet }
            let endsHere = ends.filter { RouteSubnet.of($0) == subnet }.sorted { $0.description < $1.description }
            let onBoth = (!f.isEmpty || !endsHere.isEmpty) && (!r.isEmpty || !endsHere.isEmpty)
            // Listed when the two directions show the link through different addresses.
            guard onBoth, Set(f) != Set(r) || !endsHere.isEmpty else { continue }
            sharedSubnets.append(SharedSubnet(subnet: subnet, forward: f, reverse: r, ends: endsHere))
        }

        var names: [UInt32: String] = [:]
        let forwardAS = asPath([client] + forward.hops.flatMap(\.addresses).map(Optional.some) + [server], database, &names)
        let reverseAS = asPath([server] + reverse.hops.flatMap(\.addresses).map(Optional.some) + [client], database, &names)

        let forwardAligned = forward.hops.filter { !isEnd($0, ends) }
        let reverseAligned = Array(reverse.hops.filter { !isEnd($0, ends) }.reversed())
        let rows = RouteAlignment.align(forwardCount: forwardAligned.count, reverseCount: reverseAligned.count) { i, j in
            pairing.match(forward: forwardAligned[i].ttl, reverse: reverseAligned[j].ttl)
        }.map {
            Row(forwardTTL: $0.forward.map { forwardAligned[$0].ttl }, reverseTTL: $0.reverse.map { reverseAligned[$0].ttl }, match: $0.match)
        }

        // Between two pairings, a router on one path only that faces nothing but silence on
        // the other may be that silent router: it proves no asymmetry. Nor does one next to
        // an end the other trace did not reach: the ties there need that end.
        let reverseReached = client.map { c in reverse.hops.contains { $0.addresses.contains(c) } } ?? false
        let forwardReached = server.map { s in forward.hops.contains { $0.addresses.contains(s) } } ?? false
        var unplaced = Set<IPAddress>()
        var stretch: [Row] = []
        var first = true
        for row in rows + [Row(forwardTTL: nil, reverseTTL: nil, match: .end)] {
            guard row.match != nil else { stretch.append(row); continue }
            let last = row.forwardTTL == nil && row.reverseTTL == nil
            let f = stretch.compactMap { r in r.forwardTTL.flatMap { t in forward.hops.first { $0.ttl == t } } }
            let r = stretch.compactMap { r in r.reverseTTL.flatMap { u in reverse.hops.first { $0.ttl == u } } }
            let forwardOnlySilence = f.contains { $0.addresses.isEmpty } && f.allSatisfy { $0.addresses.isEmpty }
            let reverseOnlySilence = r.contains { $0.addresses.isEmpty } && r.allSatisfy { $0.addresses.isEmpty }
            let endUnreached = (first && !reverseReached) || (last && !forwardReached)
            if reverseOnlySilence || endUnreached { unplaced.formUnion(f.flatMap(\.addresses)) }
            if forwardOnlySilence || endUnreached { unplaced.formUnion(r.flatMap(\.addresses)) }
            stretch = []
            first = false
        }
        let forwardOnly = forwardRouters.filter { !routers.isShared($0) }, reverseOnly = reverseRouters.filter { !routers.isShared($0) }
        let comparable = !forwardRouters.isEmpty && !reverseRouters.isEmpty
        let asymmetric = comparable && (forwardOnly + reverseOnly).contains { !unplaced.contains($0) }
        let unplacedCount = (forwardOnly + reverseOnly).filter(unplaced.contains).count
        return RouteComparison(
            asymmetric: asymmetric,
            summary: summary(comparable: comparable, asymmetric: asymmetric, shared: routers.shared, total: routers.total,
                             unplaced: unplacedCount, forwardEmpty: forwardRouters.isEmpty),
            client: client, server: server, forward: hops(forward, isForward: true), reverse: hops(reverse, isForward: false),
            forwardASPath: forwardAS, reverseASPath: reverseAS, asNames: names,
            sharedHops: forwardRouters.filter(reverseSet.contains),
            forwardOnlyHops: forwardOnly, reverseOnlyHops: reverseOnly,
            sharedSubnets: sharedSubnets,
            sharedASes: unique(forwardAS.filter(reverseAS.contains)),
            forwardOnlyASes: unique(forwardAS.filter { !reverseAS.contains($0) }),
            reverseOnlyASes: unique(reverseAS.filter { !forwardAS.contains($0) }),
            routerCount: routers.total, sharedRouterCount: routers.shared,
            censor: censor.map { place($0, forward: forward, reverse: reverse, pairing: pairing) },
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

    /// The first hop holding the censor's address in either direction, and the hop the
    /// pairing ties to it in the other; nothing is placed by subnet alone.
    static func place(_ censor: IPAddress, forward: RoutePath, reverse: RoutePath, pairing: RoutePairing) -> CensorPlacement {
        func hop(_ path: RoutePath, _ ttl: Int?) -> RouteHop? { ttl.flatMap { t in path.hops.first { $0.ttl == t } } }
        var f: (ttl: Int, address: IPAddress, match: RouteMatch)?
        var r: (ttl: Int, address: IPAddress, match: RouteMatch)?
        if let h = forward.hops.first(where: { $0.addresses.contains(censor) }) { f = (h.ttl, censor, .address) }
        if let h = reverse.hops.first(where: { $0.addresses.contains(censor) }) { r = (h.ttl, censor, .address) }
        if let known = f, r == nil, let u = pairing.reverseTTLs(pairedWith: known.ttl).first, let a = hop(reverse, u)?.address {
            r = (u, a, pairing.match(forward: known.ttl, reverse: u) ?? .link)
        }
        if let known = r, f == nil, let t = pairing.forwardTTLs(pairedWith: known.ttl).first, let a = hop(forward, t)?.address {
            f = (t, a, pairing.match(forward: t, reverse: known.ttl) ?? .link)
        }
        return CensorPlacement(address: censor, forwardTTL: f?.ttl, reverseTTL: r?.ttl, forwardAddress: f?.address,
                               reverseAddress: r?.address, forwardMatch: f?.match, reverseMatch: r?.match)
    }

    static func summary(comparable: Bool, asymmetric: Bool, shared: Int, total: Int, unplaced: Int, forwardEmpty: Bool) -> String {
        guard comparable else {
            return "undetermined: no router answered on the \(forwardEmpty ? "forward" : "reverse") path, so the paths cannot be compared"
        }
        let noun = total == 1 ? "router" : "routers"
        let word = asymmetric ? "asymmetric" : unplaced > 0 ? "undetermined" : "symmetric"
        var text = "\(word): the paths share \(shared) of \(total) \(noun)"
        if unplaced > 0 {
            text += "; \(unplaced) \(unplaced == 1 ? "router" : "routers") cannot be placed (facing silence on the other path, "
                + "or an end the other trace did not reach)"
        }
        return text
    }
}
