import Records

/// Where a blocking device sits, as the records locate it: the router answering at the
/// censor's TTL, else the hop interval, else unknown.
public struct DevicePlace: Hashable, Sendable, Comparable {
    /// The address of the hop where the device acts (`location.address`).
    public var address: String?
    /// The first TTL at which trigger probes are interfered with.
    public var ttl: Int?
    /// The router one hop before.
    public var before: String?

    public init(address: String?, ttl: Int?, before: String?) {
        self.address = address
        self.ttl = ttl
        self.before = before
    }

    /// Whether the records say anything about where the device is.
    public var isLocated: Bool { address != nil || ttl != nil }

    /// "198.18.2.2 (hop 2)", "hop 3, after 198.18.1.1", "not located".
    public var text: String {
        let hop = ttl.map { "hop \($0)" }
        if let address { return hop.map { "\(address) (\($0))" } ?? address }
        guard let hop else { return "not located" }
        return before.map { "\(hop), after \($0)" } ?? hop
    }

    public static func < (a: DevicePlace, b: DevicePlace) -> Bool {
        (a.ttl ?? Int.max, a.address ?? "", a.before ?? "") < (b.ttl ?? Int.max, b.address ?? "", b.before ?? "")
    }
}

/// How a device acts on a set of targets: the mechanism (verdict) and, when it forges
/// packets, their fingerprint. Two targets share a behaviour only when every known part agrees.
public struct DeviceBehaviour: Hashable, Sendable {
    public var mechanism: String
    public var flags: String?
    /// The forged packets' TTL on arrival; nil when it copies the probe's (see `ttlCopiesProbe`).
    public var ttl: Int?
    public var ttlCopiesProbe: Bool
    public var ipID: Int?
    public var df: Bool?
    public var window: Int?
    public var copies: Int?
    public var onPath: Bool?

    public init(_ inv: InvestigationRecord) {
        mechanism = inv.verdict
        let injector = inv.injector
        flags = injector?.flags
        ttlCopiesProbe = injector?.ttlCopiesProbe == true
        ttl = ttlCopiesProbe ? nil : injector?.ttl
        ipID = injector?.ipID
        df = injector?.df
        window = injector?.window
        copies = injector?.copies
        onPath = inv.location?.onPath
    }

    /// Whether anything of a forged packet is known.
    public var hasFingerprint: Bool { flags != nil || ttl != nil || ttlCopiesProbe || ipID != nil || window != nil }

    /// "forged RST TTL 59, IP ID 1, no DF, window 64240, 1 copy", or the mechanism alone.
    public var text: String {
        guard hasFingerprint else { return mechanism }
        var parts: [String] = []
        let kind = flags.map { $0.hasPrefix("R") ? ($0 == "R" ? "RST" : "RST (\($0))") : "packet (\($0))" } ?? "packet"
        parts.append("forged \(kind)" + (ttl.map { " TTL \($0)" } ?? "") + (ttlCopiesProbe ? " TTL copied from the probe" : ""))
        if let ipID { parts.append("IP ID \(ipID)") }
        if let df { parts.append(df ? "DF" : "no DF") }
        if let window { parts.append("window \(window)") }
        if let copies { parts.append(copies == 1 ? "1 copy" : "\(copies) copies") }
        if let onPath { parts.append(onPath ? "on-path" : "in-path") }
        return mechanism + ": " + parts.joined(separator: ", ")
    }
}

/// The blocked targets that share one place and one behaviour.
public struct BehaviourGroup: Sendable, Equatable {
    public var behaviour: DeviceBehaviour
    /// Indices into the records given to `DeviceClustering.clusters`, in their order.
    public var members: [Int]
    /// The trigger kinds seen, most frequent first.
    public var triggers: [String]
    /// The ports blocked, ascending.
    public var ports: [Int]
}

/// Blocked targets grouped by where they are blocked, then by how.
public struct DeviceCluster: Sendable, Equatable {
    public var place: DevicePlace
    /// Most members first.
    public var behaviours: [BehaviourGroup]

    public var targetCount: Int { behaviours.reduce(0) { $0 + $1.members.count } }
}

/// Clusters blocked results by device. Pure: the same records give the same clusters.
///
/// One place does not prove one device: two behaviours at one hop may be one box with two
/// rules or two boxes side by side, so a cluster keeps its behaviours apart and the report
/// says the fingerprints differ.
public enum DeviceClustering {
    public static func clusters(_ records: [InvestigationRecord]) -> [DeviceCluster] {
        var places: [DevicePlace: [DeviceBehaviour: [Int]]] = [:]
        for (i, inv) in records.enumerated() where inv.blocked == true {
            let place = DevicePlace(address: inv.location?.address, ttl: inv.location?.ttl, before: inv.location?.before)
            places[place, default: [:]][DeviceBehaviour(inv), default: []].append(i)
        }
        let clusters = places.map { place, behaviours in
            DeviceCluster(place: place, behaviours: behaviours.map { behaviour, members in
                BehaviourGroup(behaviour: behaviour, members: members, triggers: triggers(members.map { records[$0] }),
                               ports: Set(members.compactMap { records[$0].port }).sorted())
            }.sorted { ($1.members.count, $0.behaviour.text) < ($0.members.count, $1.behaviour.text) })
        }
        // Located devices first, most targets first; ties by place for a stable order.
        return clusters.sorted {
            ($0.place.isLocated ? 0 : 1, -$0.targetCount, $0.place) < ($1.place.isLocated ? 0 : 1, -$1.targetCount, $1.place)
        }
    }

    static func triggers(_ records: [InvestigationRecord]) -> [String] {
        var counts: [String: Int] = [:]
        for inv in records { if let kind = inv.trigger?.kind { counts[kind, default: 0] += 1 } }
        return counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map(\.key)
    }
}
