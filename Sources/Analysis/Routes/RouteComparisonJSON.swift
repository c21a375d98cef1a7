import JSONSupport
import Packets

/// The `routes compare --json` object (Docs/routes.md).
extension RouteComparison {
    /// The comparison as the `routes compare --json` object (Docs/routes.md).
    public var json: JSONValue {
        .object([
            ("asymmetric", .bool(asymmetric)),
            ("summary", .string(summary)),
            ("client", .optional(client?.description)),
            ("server", .optional(server?.description)),
            ("forward", .array(forward.map(\.json))),
            ("reverse", .array(reverse.map(\.json))),
            ("forward_as_path", Self.asList(forwardASPath)),
            ("reverse_as_path", Self.asList(reverseASPath)),
            ("as_names", .object(unique(forwardASPath + reverseASPath).compactMap { asn in
                asNames[asn].map { (key: "AS\(asn)", value: .string($0)) }
            })),
            ("shared_hops", Self.addressList(sharedHops)),
            ("forward_only_hops", Self.addressList(forwardOnlyHops)),
            ("reverse_only_hops", Self.addressList(reverseOnlyHops)),
            ("shared_subnets", .array(sharedSubnets.map { s in
                .object([
                    ("subnet", .string(s.subnet.description)),
                    ("forward", Self.addressList(s.forward)),
                    ("reverse", Self.addressList(s.reverse)),
                    ("ends", Self.addressList(s.ends)),
                ])
            })),
            ("shared_ases", Self.asList(sharedASes)),
            ("forward_only_ases", Self.asList(forwardOnlyASes)),
            ("reverse_only_ases", Self.asList(reverseOnlyASes)),
            ("routers", .object([("total", .number(routerCount)), ("shared", .number(sharedRouterCount))])),
            ("censor", censor.map(\.json) ?? .null),
            ("aligned", .array(aligned.map { row in
                .object([
                    ("forward_ttl", .optional(row.forwardTTL)),
                    ("reverse_ttl", .optional(row.reverseTTL)),
                    ("match", .optional(row.match?.rawValue)),
                ])
            })),
        ])
    }

    private func unique(_ values: [UInt32]) -> [UInt32] { Self.unique(values) }

    static func asList(_ values: [UInt32]) -> JSONValue { .array(values.map { .number($0) }) }

    static func addressList(_ values: [IPAddress]) -> JSONValue { .array(values.map { .string($0.description) }) }
}

extension RouteComparison.Hop {
    /// {ttl, address, asn, as_name, addresses, rtt_ms, silent, match}.
    public var json: JSONValue {
        .object([
            ("ttl", .number(ttl)),
            ("address", .optional(address?.description)),
            ("asn", .optional(asn)),
            ("as_name", .optional(asName)),
            ("addresses", RouteComparison.addressList(addresses)),
            ("rtt_ms", rttMilliseconds.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
            ("silent", .bool(silent)),
            ("match", .optional(match?.rawValue)),
        ])
    }
}

extension RouteComparison.CensorPlacement {
    /// {address, forward_ttl, reverse_ttl, forward_address, reverse_address, forward_match, reverse_match}.
    public var json: JSONValue {
        .object([
            ("address", .string(address.description)),
            ("forward_ttl", .optional(forwardTTL)),
            ("reverse_ttl", .optional(reverseTTL)),
            ("forward_address", .optional(forwardAddress?.description)),
            ("reverse_address", .optional(reverseAddress?.description)),
            ("forward_match", .optional(forwardMatch?.rawValue)),
            ("reverse_match", .optional(reverseMatch?.rawValue)),
        ])
    }
}
