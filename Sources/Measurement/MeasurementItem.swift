import Campaigns
import Packets

/// One target and port to measure: an `investigate` run, or one item of a campaign.
public struct MeasurementItem: Sendable, Hashable {
    /// The campaign's item id; 0 for `investigate`.
    public var id: Int64
    public var address: IPAddress
    /// The name the target was given by, when it was (recorded with the verdict).
    public var name: String?
    public var port: ServicePort
    /// The names payload steps with `name: $target` test, by kind (`http`, `tls`): a
    /// campaign target's name for both; `investigate --host` or `--sni`.
    public var testNames: [PayloadSpec.Kind: String]

    public init(id: Int64 = 0, address: IPAddress, name: String? = nil, port: ServicePort,
                testNames: [PayloadSpec.Kind: String]? = nil) {
        self.id = id
        self.address = address
        self.name = name
        self.port = port
        self.testNames = testNames ?? name.map { [.http: $0, .tls: $0] } ?? [:]
    }

    public var isIPv6: Bool { if case .v6 = address { return true }; return false }
    public var isTCP: Bool { port.transport == .tcp }

    /// Ports whose service speaks TLS from the first byte: `kind: auto` sends a ClientHello there.
    public static let tlsPorts: Set<UInt16> = [443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 5061, 5223, 6697, 8443]

    /// What a payload step sends for this item: the kind and the test name, nil when the
    /// step does not apply (a `$target` step for an item without a name of that kind).
    public func payload(for spec: PayloadSpec) -> (kind: PayloadSpec.Kind, name: String)? {
        let kind: PayloadSpec.Kind
        switch spec.kind {
        case .http, .tls:
            kind = spec.kind
        case .auto:
            switch (testNames[.http], testNames[.tls]) {
            case (.some, nil): kind = .http
            case (nil, .some): kind = .tls
            default: kind = Self.tlsPorts.contains(port.number) ? .tls : .http
            }
        }
        switch spec.name {
        case .fixed(let name): return (kind, name)
        case .target: return testNames[kind].map { (kind, $0) }
        }
    }
}
