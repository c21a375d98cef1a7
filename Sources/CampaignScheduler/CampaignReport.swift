import CampaignStore
import Measurement
import Records
import Reports

/// `campaign report`: the store's verdicts as a report, one per vantage, target and port.
/// Each is read back as its record (the store is a file a later process hands in) with the
/// vantage's name in its `vantage` object; JSON is those records as JSON Lines. Markdown adds
/// the comparison across vantages when there are several.
public enum CampaignReport {
    public static func text(db: String, format: ReportFormat) throws(MeasurementError) -> String {
        let store = try storeCall { try CampaignStore.open(at: db) }
        let verdicts = try storeCall { try store.verdicts() }
        let vantages = try storeCall { try store.vantages() }
        var records: [InvestigationRecord] = []
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
        if format == .json { return records.map { $0.json.serialized() + "\n" }.joined() }
        guard !records.isEmpty else { throw MeasurementError("\(db) holds no verdict yet: run or resume the campaign first") }
        var text: String
        do { text = try format.render(records) } catch { throw MeasurementError("\(error)") }
        if format == .md, vantages.count > 1 {
            text += CampaignComparison.markdown(try CampaignComparison.rows(verdicts))
        }
        return text
    }
}
