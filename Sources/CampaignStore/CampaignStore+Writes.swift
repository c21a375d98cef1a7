import Foundation
import GRDB

extension CampaignStore {
    /// One transaction: the answers, the verdict, the item done. Returns false and changes
    /// nothing if the item is already done; the verdict's UNIQUE item_id makes a duplicate
    /// impossible even for a writer that skips this check.
    public func record(_ result: ItemResult) throws(CampaignStoreError) -> Bool {
        try write { db in
            guard let state = try String.fetchOne(db, sql: "SELECT state FROM item WHERE id = ?",
                                                  arguments: [result.itemID]) else {
                throw CampaignStoreError("Item \(result.itemID) is not in campaign store \(path).")
            }
            guard state != ItemState.done.rawValue else { return false }
            try requireSession(result.sessionID, db)
            try db.cachedStatement(sql: """
                INSERT INTO verdict (item_id, session_id, verdict, trigger_kind, confidence, json, probes_sent,
                                     started_at, finished_at, evidence_file)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (item_id) DO NOTHING
                """).execute(arguments: [result.itemID, result.sessionID, result.verdict, result.trigger,
                                         result.confidence, result.json, result.probesSent,
                                         result.startedAt.timeIntervalSince1970,
                                         result.finishedAt.timeIntervalSince1970, result.evidenceFile])
            // A verdict without a done item would be damage, not a duplicate: nothing is written.
            guard db.changesCount == 1 else { return false }
            let insertAnswer = try db.cachedStatement(sql: """
                INSERT INTO answer (item_id, probe_index, probe_label, kind, source, ttl, ip_id, rtt_ms, captured_at, bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for answer in result.answers {
                try insertAnswer.execute(arguments: [result.itemID, answer.probeIndex, answer.probeLabel, answer.kind,
                                                     answer.source, answer.ttl, answer.ipID, answer.rttMilliseconds,
                                                     answer.capturedAt, Data(answer.bytes)])
            }
            try db.cachedStatement(sql: "UPDATE item SET state = 'done', attempts = attempts + 1 WHERE id = ?")
                .execute(arguments: [result.itemID])
            return true
        }
    }

    /// The item stays unfinished (retried on resume): state failed, attempts + 1, the message
    /// kept as its last error and in the failure log with the session. A done item is left alone.
    public func recordFailure(itemID: Int64, message: String, sessionID: Int64) throws(CampaignStoreError) {
        try write { db in
            guard let state = try String.fetchOne(db, sql: "SELECT state FROM item WHERE id = ?", arguments: [itemID]) else {
                throw CampaignStoreError("Item \(itemID) is not in campaign store \(path).")
            }
            guard state != ItemState.done.rawValue else { return }
            try requireSession(sessionID, db)
            try db.execute(sql: "UPDATE item SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
                           arguments: [message, itemID])
            try db.execute(sql: "INSERT INTO failure (item_id, session_id, message) VALUES (?, ?, ?)",
                           arguments: [itemID, sessionID, message])
        }
    }

    /// Starts a run or resume of the campaign; returns the session's id for results and `endSession`.
    public func beginSession(command: String, pid: Int32, at date: Date, vantageAddress: String?) throws(CampaignStoreError) -> Int64 {
        try write { db in
            try db.execute(sql: "INSERT INTO session (command, pid, started_at, vantage_address) VALUES (?, ?, ?, ?)",
                           arguments: [command, pid, date.timeIntervalSince1970, vantageAddress])
            return db.lastInsertedRowID
        }
    }

    /// Ends a session with its outcome (`finished`, `interrupted`, `error`) and end time.
    public func endSession(_ id: Int64, outcome: String, at date: Date) throws(CampaignStoreError) {
        try write { db in
            try db.execute(sql: "UPDATE session SET outcome = ?, ended_at = ? WHERE id = ?",
                           arguments: [outcome, date.timeIntervalSince1970, id])
            guard db.changesCount == 1 else {
                throw CampaignStoreError("Session \(id) is not in campaign store \(path).")
            }
        }
    }

    /// Sets the campaign's end time once every item is done; returns false (and changes nothing)
    /// while items remain unfinished. An end time already set is kept.
    @discardableResult
    public func finish(at date: Date) throws(CampaignStoreError) -> Bool {
        try write { db in
            let unfinished = try Int.fetchOne(db, sql: "SELECT count(*) FROM item WHERE state <> 'done'") ?? 0
            guard unfinished == 0 else { return false }
            try db.execute(sql: "UPDATE campaign SET ended_at = ? WHERE id = 1 AND ended_at IS NULL",
                           arguments: [date.timeIntervalSince1970])
            return true
        }
    }

    /// Records where the campaign is measured from (a resume may run from another network).
    public func updateVantage(address: String?, asn: Int?, asName: String?) throws(CampaignStoreError) {
        try write { db in
            try db.execute(sql: "UPDATE campaign SET vantage_address = ?, vantage_asn = ?, vantage_as_name = ? WHERE id = 1",
                           arguments: [address, asn, asName])
        }
    }

    private func requireSession(_ id: Int64, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM session WHERE id = ?)", arguments: [id]) == true else {
            throw CampaignStoreError("Session \(id) is not in campaign store \(path); begin a session before recording results.")
        }
    }
}
