import Analysis
import CampaignScheduler
import CampaignStore
import Measurement
import Records
import Reports
import Synchronization

/// The campaign as the dashboard shows it: the overview, and for each record its item in
/// the store and its evidence file.
public struct DashboardSnapshot: Sendable {
    public var overview: CampaignOverview
    public var itemIDs: [Int64]
    public var evidenceFiles: [String?]
    /// Record index by item ID.
    public var indexOfItem: [Int64: Int]
    /// The AS label of each target address, when an ASN database was given.
    public var asOf: [String: String]
}

/// Reads the store through its public read methods only, and reads it again when it has
/// changed (a campaign still running): the pages show live progress.
public final class DashboardData: Sendable {
    let store: CampaignStore
    let path: String
    let asnDatabase: ASNDatabase?
    /// The snapshot and what the store's status was when it was made.
    let cache = Mutex<(key: String, snapshot: DashboardSnapshot)?>(nil)

    public init(db: String, asnDatabase: ASNDatabase?) throws(MeasurementError) {
        store = try storeCall { try CampaignStore.open(at: db) }
        path = db
        self.asnDatabase = asnDatabase
        _ = try snapshot()
    }

    /// The current snapshot: the cached one unless the store's progress has moved.
    public func snapshot() throws(MeasurementError) -> DashboardSnapshot {
        let status = try storeCall { try store.status() }
        let key = [String(status.done), String(status.failed), String(status.sessions.count),
                   status.lastFinishedAt.map { String($0.timeIntervalSince1970) } ?? "-",
                   status.sessions.last?.outcome ?? "-", status.endedAt == nil ? "open" : "ended"].joined(separator: " ")
        if let cached = cache.withLock({ $0 }), cached.key == key { return cached.snapshot }
        let verdicts = try storeCall { try store.verdicts() }
        let vantages = try storeCall { try store.vantages() }
        let records = try CampaignReport.records(verdicts, vantages: vantages)
        var asOf: [String: String] = [:]
        if let asnDatabase {
            for inv in records where asOf[inv.target] == nil {
                if let label = CampaignReport.asLabel(asnDatabase, inv.target) { asOf[inv.target] = label }
            }
        }
        let overview = try CampaignReport.overview(store, records: records, asLookup: asnDatabase == nil ? nil : { asOf[$0] })
        var index: [Int64: Int] = [:]
        for (i, v) in verdicts.enumerated() { index[v.itemID] = i }
        let snapshot = DashboardSnapshot(overview: overview, itemIDs: verdicts.map(\.itemID), evidenceFiles: verdicts.map(\.evidenceFile),
                                         indexOfItem: index, asOf: asOf)
        cache.withLock { $0 = (key, snapshot) }
        return snapshot
    }
}

extension DashboardSnapshot {
    /// Indices of the records that pass `filter`.
    public func select(_ filter: ResultFilter) -> [Int] {
        let vantage = overview.header.vantages.first
        return overview.records.indices.filter { i in
            filter.matches(overview.records[i], asOf: { asOf[$0] }, defaultVantage: vantage)
        }
    }
}
