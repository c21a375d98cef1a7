import Foundation

extension CampaignStore {
    /// One transaction: the answers, the verdict of the session's vantage. Returns false and
    /// changes nothing if that vantage already has the item's verdict; the verdict's UNIQUE
    /// (vantage_id, item_id) makes a duplicate impossible even between racing writers.
    public func record(_ result: ItemResult) throws(CampaignStoreError) -> Bool {
        try write { tx throws(CampaignStoreError) in
            guard try tx.one("SELECT id FROM item WHERE id = ?", result.itemID) != nil else {
                throw CampaignStoreError("Item \(result.itemID) is not in campaign store \(path).")
            }
            let vantageID = try sessionVantage(result.sessionID, tx)
            try tx.execute("""
                INSERT INTO verdict (vantage_id, item_id, session_id, verdict, trigger_kind, confidence, json, probes_sent,
                                     started_at, finished_at, evidence_file)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (vantage_id, item_id) DO NOTHING
                """, vantageID, result.itemID, result.sessionID, result.verdict, result.trigger, result.confidence,
                           result.json, result.probesSent, result.startedAt, result.finishedAt, result.evidenceFile)
            guard tx.changes == 1 else { return false }
            try Self.insertRows(tx, table: "answer",
                                columns: ["vantage_id", "item_id", "probe_index", "probe_label", "kind", "source", "ttl", "ip_id",
                                          "rtt_ms", "captured_at", "bytes"],
                                rows: result.answers.map { a in
                                    [.integer(vantageID), .integer(result.itemID), .integer(Int64(a.probeIndex)), .text(a.probeLabel),
                                     .text(a.kind), .text(a.source), .integer(Int64(a.ttl)), a.ipID.sqlValue, a.rttMilliseconds.sqlValue,
                                     a.capturedAt.sqlValue, .blob(a.bytes)]
                                })
            return true
        }
    }

    /// The item stays unfinished for the session's vantage (retried on resume): the message is
    /// logged with the session and becomes its last error. An item that vantage has done is left alone.
    public func recordFailure(itemID: Int64, message: String, sessionID: Int64) throws(CampaignStoreError) {
        try write { tx throws(CampaignStoreError) in
            guard try tx.one("SELECT id FROM item WHERE id = ?", itemID) != nil else {
                throw CampaignStoreError("Item \(itemID) is not in campaign store \(path).")
            }
            let vantageID = try sessionVantage(sessionID, tx)
            guard try tx.one("SELECT id FROM verdict WHERE vantage_id = ? AND item_id = ?", vantageID, itemID) == nil else { return }
            try tx.execute("INSERT INTO failure (vantage_id, item_id, session_id, message) VALUES (?, ?, ?, ?)",
                           vantageID, itemID, sessionID, message)
        }
    }

    /// Starts a run, resume or join session of this store's vantage; returns its id for results and `endSession`.
    public func beginSession(command: String, pid: Int32, at date: Date, vantageAddress: String?) throws(CampaignStoreError) -> Int64 {
        try write { tx throws(CampaignStoreError) in
            guard let row = try tx.one("""
                INSERT INTO session (vantage_id, command, pid, started_at, vantage_address) VALUES (?, ?, ?, ?, ?) RETURNING id
                """, vantage.id, command, pid, date, vantageAddress) else {
                throw CampaignStoreError("Cannot begin a session in \(path): the database returned no id.")
            }
            return try row.int64("id")
        }
    }

    /// Ends a session with its outcome (`finished`, `interrupted`, `error`) and end time.
    public func endSession(_ id: Int64, outcome: String, at date: Date) throws(CampaignStoreError) {
        try write { tx throws(CampaignStoreError) in
            try tx.execute("UPDATE session SET outcome = ?, ended_at = ? WHERE id = ?", outcome, date, id)
            guard tx.changes == 1 else {
                throw CampaignStoreError("Session \(id) is not in campaign store \(path).")
            }
        }
    }

    /// Sets the campaign's end time once every vantage has done every item; returns false (and
    /// changes nothing) while any is unfinished. An end time already set is kept.
    @discardableResult
    public func finish(at date: Date) throws(CampaignStoreError) -> Bool {
        try write { tx throws(CampaignStoreError) in
            let pairs = try tx.one("SELECT (SELECT count(*) FROM item) * (SELECT count(*) FROM vantage) AS n")?.int("n") ?? 0
            let done = try tx.one("SELECT count(*) AS n FROM verdict")?.int("n") ?? 0
            guard done >= pairs else { return false }
            try tx.execute("UPDATE campaign SET ended_at = ? WHERE id = 1 AND ended_at IS NULL", date)
            return true
        }
    }

    /// Records where this store's vantage measures from (a resume may run from another
    /// network); for the campaign's first vantage, the campaign's own fields too.
    public func updateVantage(address: String?, asn: Int?, asName: String?) throws(CampaignStoreError) {
        try write { tx throws(CampaignStoreError) in
            try tx.execute("UPDATE vantage SET address = ?, asn = ?, as_name = ? WHERE id = ?", address, asn, asName, vantage.id)
            let first = try tx.one("SELECT min(id) AS id FROM vantage")?.int64OrNil("id")
            if first == vantage.id {
                try tx.execute("UPDATE campaign SET vantage_address = ?, vantage_asn = ?, vantage_as_name = ? WHERE id = 1",
                               address, asn, asName)
            }
        }
    }

    private func sessionVantage(_ id: Int64, _ tx: any SQLTransaction) throws(CampaignStoreError) -> Int64 {
        guard let row = try tx.one("SELECT vantage_id FROM session WHERE id = ?", id) else {
            throw CampaignStoreError("Session \(id) is not in campaign store \(path); begin a session before recording results.")
        }
        return try row.int64("vantage_id")
    }
}
