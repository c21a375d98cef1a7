import Packets

/// Which address a request may probe: the address it came from, or the one its token is
/// scoped to. Never any other: the agent must not become a reflector.
public enum AgentScope {
    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, as a dual-stack socket reports IPv4
    /// peers) as plain IPv4; any other address unchanged.
    public static func normalised(_ address: IPAddress) -> IPAddress {
        guard case .v6(let a) = address, a.high == 0, a.low >> 32 == 0xFFFF else { return address }
        return .v4(IPv4Address(UInt32(truncatingIfNeeded: a.low)))
    }

    /// The address to probe for a request from `requester` that names `named` (nil: none),
    /// authorised by a token scoped to `tokenScope`; 403 for any other address.
    public static func target(requester: IPAddress, named: IPAddress?, tokenScope: IPAddress?) -> Result<IPAddress, AgentRefusal> {
        let requester = normalised(requester)
        guard let named = named.map(normalised) else { return .success(requester) }
        if named == requester || named == tokenScope { return .success(named) }
        let allowed = tokenScope.map { "the address the request came from (\(requester)) or the one its token is scoped to (\($0))" }
            ?? "only the address the request came from (\(requester)); its token has no scope"
        return .failure(.forbidden("the agent probes \(allowed), not \(named)"))
    }
}
