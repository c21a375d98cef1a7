import Packets
import Records

/// The comparison as its record, `routes compare --json` (Docs/routes.md).
extension RouteComparison {
    /// The record, with where each path came from (the file name given and the path read
    /// from it) and the reading notes.
    public func record(notes: [String], forward: (file: String, path: RoutePath)? = nil,
                       reverse: (file: String, path: RoutePath)? = nil) -> RouteComparisonRecord {
        func source(_ s: (file: String, path: RoutePath)?) -> RouteComparisonRecord.Source? {
            s.map { .init(file: $0.file, format: $0.path.source, origin: $0.path.origin?.description,
                          destination: $0.path.destination?.description) }
        }
        func ases(_ values: [UInt32]) -> [Int] { values.map { Int($0) } }
        func addresses(_ values: [IPAddress]) -> [String] { values.map(\.description) }
        return RouteComparisonRecord(
            asymmetric: asymmetric, summary: summary, client: client?.description, server: server?.description,
            forward: self.forward.map(\.record), reverse: self.reverse.map(\.record),
            forwardASPath: ases(forwardASPath), reverseASPath: ases(reverseASPath),
            asNames: Self.unique(forwardASPath + reverseASPath).compactMap { asn in asNames[asn].map { (key: "AS\(asn)", value: $0) } },
            sharedHops: addresses(sharedHops), forwardOnlyHops: addresses(forwardOnlyHops), reverseOnlyHops: addresses(reverseOnlyHops),
            sharedSubnets: sharedSubnets.map {
                .init(subnet: $0.subnet.description, forward: addresses($0.forward), reverse: addresses($0.reverse), ends: addresses($0.ends))
            },
            sharedASes: ases(sharedASes), forwardOnlyASes: ases(forwardOnlyASes), reverseOnlyASes: ases(reverseOnlyASes),
            routerCount: routerCount, sharedRouterCount: sharedRouterCount,
            censor: censor.map {
                .init(address: $0.address.description, forwardTTL: $0.forwardTTL, reverseTTL: $0.reverseTTL,
                      forwardAddress: $0.forwardAddress?.description, reverseAddress: $0.reverseAddress?.description,
                      forwardMatch: $0.forwardMatch?.rawValue, reverseMatch: $0.reverseMatch?.rawValue)
            },
            aligned: aligned.map { .init(forwardTTL: $0.forwardTTL, reverseTTL: $0.reverseTTL, match: $0.match?.rawValue) },
            forwardSource: source(forward), reverseSource: source(reverse), notes: notes)
    }
}

extension RouteComparison.Hop {
    /// {ttl, address, asn, as_name, addresses, rtt_ms, silent, match}.
    public var record: RouteComparisonRecord.Hop {
        .init(ttl: ttl, address: address?.description, asn: asn.map { Int($0) }, asName: asName,
              addresses: addresses.map(\.description), rttMilliseconds: roundedMilliseconds(rttMilliseconds), silent: silent,
              match: match?.rawValue)
    }
}
