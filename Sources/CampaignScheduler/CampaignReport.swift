import CampaignStore
import Measurement
import Reports

/// `campaign report`: the store's verdicts as a report. JSON is the stored verdict objects
/// as they are (JSON Lines); the other formats read them back as records, the store being
/// a file a later process hands in.
public enum CampaignReport {
    public static func text(db: String, format: ReportFormat) throws(MeasurementError) -> String {
        let verdicts = try storeCall { try CampaignStore.open(at: db).verdicts() }
        let lines = verdicts.map(\.json).joined(separator: "\n")
        if format == .json { return lines.isEmpty ? "" : lines + "\n" }
        guard !verdicts.isEmpty else { throw MeasurementError("\(db) holds no verdict yet: run or resume the campaign first") }
        do { return try format.render(try InvestigationReader.read(bytes: Array(lines.utf8), name: db)) } catch {
            throw MeasurementError("\(error)")
        }
    }
}
