import Analysis
import Records

/// What a campaign report says about the campaign itself, as plain values (the store's
/// metadata, items and sessions, read by whoever calls the report).
public struct CampaignHeader: Sendable, Equatable {
    /// Where the campaign stands.
    public enum State: Sendable, Equatable {
        /// Every item measured.
        case complete
        /// Items left and no session running: `lastOutcome` is how the last session ended
        /// ("interrupted", "error"; nil when it died without saying).
        case interrupted(lastOutcome: String?)
        /// A session has started and not ended (or died without a word: the store cannot tell).
        case running
    }

    public var name: String
    public var scriptPath: String
    public var scriptSHA256: String
    public var targetsPath: String
    public var softwareVersion: String
    public var vantages: [String]
    public var startedAt: String
    public var endedAt: String?
    /// Items with a verdict, and all items.
    public var measured: Int
    public var total: Int
    /// Items whose last try failed (retried on resume).
    public var failed: Int
    public var sessions: Int
    public var state: State

    public init(name: String, scriptPath: String, scriptSHA256: String, targetsPath: String, softwareVersion: String,
                vantages: [String], startedAt: String, endedAt: String?, measured: Int, total: Int, failed: Int,
                sessions: Int, state: State) {
        self.name = name
        self.scriptPath = scriptPath
        self.scriptSHA256 = scriptSHA256
        self.targetsPath = targetsPath
        self.softwareVersion = softwareVersion
        self.vantages = vantages
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.measured = measured
        self.total = total
        self.failed = failed
        self.sessions = sessions
        self.state = state
    }

    /// One sentence on completeness: what a reader must know before trusting the totals.
    public var stateText: String {
        let counts = "\(measured) of \(total) measured"
        switch state {
        case .complete: return "Complete: \(counts)."
        case .interrupted(let outcome):
            let how = outcome.map { "the last session ended \($0)" } ?? "the last session stopped without ending the campaign"
            return "Incomplete: \(counts); \(how). `censorscope campaign resume` measures the rest."
        case .running: return "Running (or stopped abruptly): \(counts) so far."
        }
    }
}

/// A campaign's results with everything a report shows about them, computed once.
public struct CampaignOverview: Sendable {
    public var header: CampaignHeader
    public var records: [InvestigationRecord]
    public var totals: [(verdict: String, count: Int)]
    public var clusters: [DeviceCluster]
    public var byPort: [BreakdownRow]
    public var byPrefix: [BreakdownRow]
    /// Nil without an ASN database.
    public var byAS: [BreakdownRow]?
    /// The device cluster (index into `clusters`) of each record, by record index.
    public var deviceOf: [Int: Int]
    /// Verdicts that some result calls blocked.
    public var blockedVerdicts: Set<String>

    /// `asLookup` gives "AS64500 Name" for an address (nil: unknown); without it there is no AS breakdown.
    public init(header: CampaignHeader, records: [InvestigationRecord], asLookup: ((String) -> String?)? = nil) {
        self.header = header
        self.records = records
        totals = CampaignBreakdown.verdictTotals(records)
        clusters = DeviceClustering.clusters(records)
        byPort = CampaignBreakdown.byPort(records)
        byPrefix = CampaignBreakdown.byPrefix(records)
        byAS = asLookup.map { CampaignBreakdown.byAS(records, lookup: $0) }
        var deviceOf: [Int: Int] = [:]
        for (c, cluster) in clusters.enumerated() {
            for group in cluster.behaviours { for m in group.members { deviceOf[m] = c } }
        }
        self.deviceOf = deviceOf
        blockedVerdicts = Set(records.filter { $0.blocked == true }.map(\.verdict))
    }

    /// "168 targets behind one device at 198.18.2.2 (hop 2): …" — the sentence a cluster opens with.
    public func sentence(_ cluster: DeviceCluster) -> String {
        let n = cluster.targetCount
        let targets = n == 1 ? "1 target" : "\(n) targets"
        let head = cluster.place.isLocated ? "\(targets) blocked at \(cluster.place.text)"
            : "\(targets) blocked by a device the measurements did not locate"
        guard cluster.behaviours.count > 1 else {
            return head + ", " + (cluster.behaviours.first.map { $0.behaviour.text } ?? "") + "."
        }
        let ways = cluster.behaviours.map { "\($0.members.count) \($0.behaviour.mechanism)" }.joined(separator: ", ")
        return head + ", in \(cluster.behaviours.count) ways (\(ways)): one device with several rules, or several devices at one hop."
    }

    /// "80", "443, 8080": a group's ports.
    static func ports(_ group: BehaviourGroup) -> String {
        group.ports.map(String.init).joined(separator: ", ")
    }
}
