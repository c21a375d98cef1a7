import Analysis
import CampaignStore
import Foundation
import Measurement
import Packets
import Records
import Reports

/// `campaign report`: the store's verdicts as a report. JSON is the stored verdict objects
/// as they are (JSON Lines); ooni and csv are those of `censorscope report`; md and html are
/// the campaign overview (header, totals, devices, breakdowns, one row per target).
public enum CampaignReport {
    /// `asnDatabase` (md and html) adds the breakdown by AS.
    public static func text(db: String, format: ReportFormat, asnDatabase: ASNDatabase? = nil) throws(MeasurementError) -> String {
        let store = try storeCall { try CampaignStore.open(at: db) }
        let verdicts = try storeCall { try store.verdicts() }
        if format == .json { return verdicts.isEmpty ? "" : verdicts.map(\.json).joined(separator: "\n") + "\n" }
        guard !verdicts.isEmpty else { throw MeasurementError("\(db) holds no verdict yet: run or resume the campaign first") }
        let records = try Self.records(verdicts, name: db)
        switch format {
        case .md, .html:
            let overview = try Self.overview(store, records: records,
                                             asLookup: asnDatabase.map { database in { address in asLabel(database, address) } })
            return format == .md ? CampaignMarkdown.render(overview) : CampaignHTML.render(overview)
        default:
            do { return try format.render(records) } catch { throw MeasurementError("\(error)") }
        }
    }

    /// The stored verdict objects read back as records, in the store's order.
    public static func records(_ verdicts: [StoredVerdict], name: String) throws(MeasurementError) -> [InvestigationRecord] {
        let lines = verdicts.map(\.json).joined(separator: "\n")
        do { return try InvestigationReader.read(bytes: Array(lines.utf8), name: name) } catch { throw MeasurementError("\(error)") }
    }

    /// Everything the md and html reports and the dashboard show about the campaign.
    /// `asLookup` gives an address's AS label (see `asLabel`); nil: no breakdown by AS.
    public static func overview(_ store: CampaignStore, records: [InvestigationRecord],
                                asLookup: ((String) -> String?)?) throws(MeasurementError) -> CampaignOverview {
        CampaignOverview(header: try header(store, records: records), records: records, asLookup: asLookup)
    }

    /// The report's header from the store's metadata, items and sessions.
    public static func header(_ store: CampaignStore, records: [InvestigationRecord]) throws(MeasurementError) -> CampaignHeader {
        let status = try storeCall { try store.status() }
        let meta = status.campaign
        var vantages: [String] = []
        for address in [meta.vantageAddress] + status.sessions.map(\.vantageAddress) + records.map(\.vantage?.address) {
            if let address, !vantages.contains(address) { vantages.append(address) }
        }
        let state: CampaignHeader.State
        if status.pending == 0, status.failed == 0, meta.endedAt != nil {
            state = .complete
        } else if let last = status.sessions.last, last.endedAt == nil {
            state = .running
        } else {
            state = .interrupted(lastOutcome: status.sessions.last?.outcome)
        }
        let time = { (date: Date) in utcText(date, format: "yyyy-MM-dd HH:mm:ss") + " UTC" }
        return CampaignHeader(
            name: meta.name, scriptPath: meta.scriptPath, scriptSHA256: meta.scriptSHA256, targetsPath: meta.targetsPath,
            softwareVersion: meta.softwareVersion, vantages: vantages, startedAt: time(meta.startedAt),
            endedAt: meta.endedAt.map(time), measured: status.done, total: status.total, failed: status.failed,
            sessions: status.sessions.count, state: state)
    }

    /// "AS64500 Lab Transit", or nil when the database does not know the address.
    public static func asLabel(_ database: ASNDatabase, _ address: String) -> String? {
        guard let ip = Packets.IPAddress(address), let record = database.lookup(ip) else { return nil }
        return record.label + (record.name.map { " " + $0 } ?? "")
    }
}
