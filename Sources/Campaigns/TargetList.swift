import Packets

/// One thing to measure: an address and the ports to probe on it.
public struct CampaignTarget: Sendable, Hashable {
    public var address: IPAddress
    /// The host name this address was resolved from, if the line gave a name.
    public var name: String?
    /// The ports the line named; nil: the script's.
    public var ports: [ServicePort]?
    /// The line as written (trimmed, without its comment), and its number (from 1).
    public var input: String
    public var line: Int

    public init(address: IPAddress, name: String? = nil, ports: [ServicePort]? = nil, input: String, line: Int) {
        self.address = address
        self.name = name
        self.ports = ports
        self.input = input
        self.line = line
    }
}

/// A host name the list named and what it resolved to, once, when the campaign began.
public struct ResolvedName: Sendable, Hashable {
    public var name: String
    public var addresses: [IPAddress]
    public var line: Int

    public init(name: String, addresses: [IPAddress], line: Int) {
        self.name = name
        self.addresses = addresses
        self.line = line
    }
}

/// A parsed target file: targets in file order (duplicates of address, name and ports removed),
/// and the names resolved.
public struct TargetList: Sendable, Hashable {
    public var targets: [CampaignTarget]
    public var resolved: [ResolvedName]

    public init(targets: [CampaignTarget], resolved: [ResolvedName]) {
        self.targets = targets
        self.resolved = resolved
    }
}
