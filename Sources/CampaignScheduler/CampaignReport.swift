import Analysis
import CampaignStore
import Foundation
import Measurement
import Packets
import Records
import Reports

/// `campaign report`: the store's verdicts as a report, one per vantage, target and port.
/// Each is read back as its record with the vantage's name in its `vantage` object; JSON is
/// those records as JSON Lines; ooni and csv are those of `censorscope report`; md and html are
/// the campaign overview (header, totals, devices, breakdowns, one row per target), and
/// Markdown adds the comparison across vantages when there are several.
public enum CampaignReport {
    /// `asnDatabase` (md and html) adds the breakdown by AS.
    public static func text(db: String, format: ReportFormat, asnDatabase: ASNDatabase? = nil) throws(MeasurementError) -> String {
        let store = try storeCall { try CampaignStore.open(at: db) }
        let verdicts = try storeCall { try store.verdicts() }
        let vantages = try storeCall { try store.vantages() }
        let records = try Self.records(verdicts, vantages: vantages)
        if format == .json { return records.map { $0.json.serialized() + "\n" }.joined() }
        guard !records.isEmpty else { throw MeasurementError("\(db) holds no verdict yet: run or resume the campaign first") }
        switch format {
        case .md, .html:
            let overview = try Self.overview(store, records: records,
                                             asLookup: asnDatabase.map { database in { address in asLabel(database, address) } })
            guard format == .md else { return CampaignHTML.render(overview) }
            var text = CampaignMarkdown.render(overview)
            if vantages.count > 1 { text += CampaignComparison.markdown(try CampaignComparison.rows(verdicts)) }
            return text
        default:
            do { return try format.render(records) } catch { throw MeasurementError("\(error)") }
        }
    }

    /// The stored verdicts read back as records, in the store's order, each naming its vantage.
    public static func records(_ verdicts: [StoredVerdict], vantages: [VantageRecord]) throws(MeasurementError) -> [InvestigationRecord] {
        var records: [InvestigationRecord] = []
        records.reserveCapacity(verdicts.count)
        for v in verdicts {
            var record: InvestigationRecord
            do { record = try v.record() } catch {
                throw MeasurementError("item \(v.itemID) (\(v.address) port \(v.port)) from vantage \(v.vantage) holds no readable verdict: \(error.description)")
            }
            let known = vantages.first { $0.id == v.vantageID }
            record.vantage = InvestigationRecord.Vantage(address: record.vantage?.address ?? known?.address,
                                                         asn: record.vantage?.asn ?? known?.asn, cc: record.vantage?.cc, name: v.vantage)
            records.append(record)
        }
        return records
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
