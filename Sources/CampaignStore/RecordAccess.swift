import Foundation
import Records

// The store keeps each verdict as the investigation record's JSON text (a file is a
// boundary); these give and take the typed record.

extension ItemResult {
    /// The result of an item from its investigation record: verdict, trigger and the
    /// location's confidence are read from it, the JSON text is its encoding.
    public init(itemID: Int64, record: InvestigationRecord, answers: [RecordedAnswer], probesSent: Int, startedAt: Date,
                finishedAt: Date, evidenceFile: String?, sessionID: Int64) {
        self.init(itemID: itemID, verdict: record.verdict, trigger: record.trigger?.kind, confidence: record.location?.confidence,
                  json: record.json.serialized(), answers: answers, probesSent: probesSent, startedAt: startedAt,
                  finishedAt: finishedAt, evidenceFile: evidenceFile, sessionID: sessionID)
    }
}

extension StoredVerdict {
    /// The stored verdict object read back as a record; the store is a file, so it is read
    /// like any result a user hands in (leniently, and an unreadable row is an error).
    public func record() throws(RecordError) -> InvestigationRecord {
        try InvestigationRecord(bytes: Array(json.utf8))
    }
}

extension CampaignStore {
    /// Every verdict as a record, in the target list's order.
    public func investigations() throws(CampaignStoreError) -> [InvestigationRecord] {
        var out: [InvestigationRecord] = []
        for verdict in try verdicts() {
            do { out.append(try verdict.record()) } catch {
                throw CampaignStoreError("item \(verdict.itemID) (\(verdict.address) port \(verdict.port)) holds no readable verdict: \(error.description)")
            }
        }
        return out
    }
}
