import Packets

/// Which forward hop and which reverse hop are the same router, each pairing backed by
/// evidence, never by mere closeness:
/// - the same address answered both ways (`address`);
/// - both of the router's links seen from their other ends, at mirrored positions (`link`).
///   A router answers a trace from its interface towards the prober. Forward hop t answers
///   from its link towards the client; if the reverse hop after u (one step nearer the
///   client) answers from the other end of that same point-to-point link, and reverse hop u
///   answers from its link towards the server whose other end is forward hop t+1, then
///   forward t and reverse u sit between the same two links: one router. The client and
///   the server count as hops at the ends of the traces that reach them.
/// A link is two addresses of one /30 (or /126); a prefix where more addresses answer ties
/// nothing. One link alone is not enough: with asymmetric routes a router answers the
/// reverse trace from its link towards the server, which the forward trace shows too, so
/// a single shared link joins the two carriers' routers facing each other.
struct RoutePairing {
    struct Key: Hashable {
        var forward: Int
        var reverse: Int
    }

    /// (forward TTL, reverse TTL) → how the two hops are known to be one router.
    private(set) var pairs: [Key: RouteMatch] = [:]

    init(forward: RoutePath, reverse: RoutePath, client: IPAddress?, server: IPAddress?) {
        let ends = Set([client, server].compactMap { $0 })
        // Each TTL's single responder (a hop with several gives no clear evidence), ends included.
        var f: [Int: IPAddress] = [:], r: [Int: IPAddress] = [:]
        for hop in forward.hops where hop.addresses.count == 1 { f[hop.ttl] = hop.addresses[0] }
        for hop in reverse.hops where hop.addresses.count == 1 { r[hop.ttl] = hop.addresses[0] }
        var onLink: [IPPrefix: Set<IPAddress>] = [:]
        for a in (forward.hops + reverse.hops).flatMap(\.addresses) + Array(ends) { onLink[RouteSubnet.of(a), default: []].insert(a) }
        func linked(_ a: IPAddress?, _ b: IPAddress?) -> Bool {
            guard let a, let b, a != b, RouteSubnet.of(a) == RouteSubnet.of(b) else { return false }
            return onLink[RouteSubnet.of(a)]?.count == 2
        }

        for fh in forward.hops {
            for rh in reverse.hops {
                for a in fh.addresses where !ends.contains(a) && rh.addresses.contains(a) {
                    pairs[Key(forward: fh.ttl, reverse: rh.ttl)] = .address
                }
            }
        }
        for (t, x) in f where !ends.contains(x) {
            for (u, y) in r where !ends.contains(y) && pairs[Key(forward: t, reverse: u)] == nil {
                if linked(x, r[u + 1]), linked(y, f[t + 1]) { pairs[Key(forward: t, reverse: u)] = .link }
            }
        }
    }

    /// How forward TTL `t` and reverse TTL `u` are known to be one router, if they are.
    func match(forward t: Int, reverse u: Int) -> RouteMatch? { pairs[Key(forward: t, reverse: u)] }

    /// The reverse TTLs paired with forward TTL `t`.
    func reverseTTLs(pairedWith t: Int) -> [Int] { pairs.keys.filter { $0.forward == t }.map(\.reverse).sorted() }

    /// The forward TTLs paired with reverse TTL `u`.
    func forwardTTLs(pairedWith u: Int) -> [Int] { pairs.keys.filter { $0.reverse == u }.map(\.forward).sorted() }
}

/// The routers of both paths: every router address, those a pairing ties together (or
/// that are the same address) merged into one router.
struct RouterGroups {
    private var parent: [IPAddress: IPAddress] = [:]
    private var forwardSeen = Set<IPAddress>(), reverseSeen = Set<IPAddress>()
    /// Routers on either path, and on both.
    private(set) var total = 0
    private(set) var shared = 0
    private var sharedRoots = Set<IPAddress>()

    init(forward: RoutePath, reverse: RoutePath, ends: Set<IPAddress>, pairing: RoutePairing) {
        for hop in forward.hops { for a in hop.addresses where !ends.contains(a) { forwardSeen.insert(a); parent[a] = a } }
        for hop in reverse.hops { for a in hop.addresses where !ends.contains(a) { reverseSeen.insert(a); parent[a] = a } }
        for key in pairing.pairs.keys {
            guard let f = forward.hops.first(where: { $0.ttl == key.forward })?.address,
                  let r = reverse.hops.first(where: { $0.ttl == key.reverse })?.address,
                  parent[f] != nil, parent[r] != nil else { continue }
            union(f, r)
        }
        var members: [IPAddress: (forward: Bool, reverse: Bool)] = [:]
        for a in parent.keys {
            let root = find(a)
            var m = members[root] ?? (false, false)
            m.forward = m.forward || forwardSeen.contains(a)
            m.reverse = m.reverse || reverseSeen.contains(a)
            members[root] = m
        }
        total = members.count
        sharedRoots = Set(members.filter { $0.value.forward && $0.value.reverse }.keys)
        shared = sharedRoots.count
    }

    /// Whether `address`'s router is on both paths.
    func isShared(_ address: IPAddress) -> Bool { parent[address] != nil && sharedRoots.contains(find(address)) }

    private func find(_ a: IPAddress) -> IPAddress {
        var x = a
        while let p = parent[x], p != x { x = p }
        return x
    }

    private mutating func union(_ a: IPAddress, _ b: IPAddress) {
        let ra = find(a), rb = find(b)
        if ra != rb { parent[ra] = rb }
    }
}
