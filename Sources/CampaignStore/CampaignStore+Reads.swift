import Foundation
import GRDB
import JSONSupport

extension CampaignStore {
    /// The campaign's script, targets, times, vantage and options.
    public func metadata() throws(CampaignStoreError) -> CampaignMetadata {
        try read { db in try campaignMetadata(db) }
    }

    /// The host names of the target list and their addresses, as resolved at creation.
    public func resolvedNames() throws(CampaignStoreError) -> [ResolvedNameRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM resolved_name ORDER BY id").map { row in
                let text = try row.decode(String.self, forColumn: "addresses")
                guard case .array(let values)? = try? JSONParser.parse(text) else {
                    throw CampaignStoreError("Campaign store \(path) is damaged: resolved addresses are not a JSON array.")
                }
                let addresses = values.compactMap { value -> String? in
                    if case .string(let s) = value { return s }
                    return nil
                }
                guard addresses.count == values.count else {
                    throw CampaignStoreError("Campaign store \(path) is damaged: a resolved address is not a string.")
                }
                return ResolvedNameRecord(name: try row.decode(forColumn: "name"), addresses: addresses,
                                          line: try row.decode(forColumn: "line"), resolvedAt: try row.date("resolved_at"))
            }
        }
    }

    /// Items not done (pending or failed), in run order.
    public func unfinishedItems() throws(CampaignStoreError) -> [StoredItem] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM item WHERE state <> 'done' ORDER BY position").map(storedItem)
        }
    }

    /// Every item, in run order.
    public func items() throws(CampaignStoreError) -> [StoredItem] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM item ORDER BY position").map(storedItem)
        }
    }

    /// Every verdict, in the target list's order (items were created in it: a CIDR in address order, each address's ports in turn).
    public func verdicts() throws(CampaignStoreError) -> [StoredVerdict] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT verdict.*, item.address, item.name, item.port, item.line
                FROM verdict JOIN item ON item.id = verdict.item_id
                ORDER BY item.id
                """).map { row in
                StoredVerdict(
                    itemID: try row.decode(forColumn: "item_id"), address: try row.decode(forColumn: "address"),
                    name: try row.decode(forColumn: "name"), port: try row.decode(forColumn: "port"),
                    line: try row.decode(forColumn: "line"), verdict: try row.decode(forColumn: "verdict"),
                    trigger: try row.decode(forColumn: "trigger_kind"), confidence: try row.decode(forColumn: "confidence"),
                    json: try row.decode(forColumn: "json"), probesSent: try row.decode(forColumn: "probes_sent"),
                    startedAt: try row.date("started_at"), finishedAt: try row.date("finished_at"),
                    evidenceFile: try row.decode(forColumn: "evidence_file"), sessionID: try row.decode(forColumn: "session_id"))
            }
        }
    }

    /// The answers recorded with an item's verdict, by probe index then capture order.
    public func answers(itemID: Int64) throws(CampaignStoreError) -> [RecordedAnswer] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM answer WHERE item_id = ? ORDER BY probe_index, id",
                             arguments: [itemID]).map { row in
                let bytes = try row.decode(Data?.self, forColumn: "bytes") ?? Data()
                return RecordedAnswer(
                    probeIndex: try row.decode(forColumn: "probe_index"), probeLabel: try row.decode(forColumn: "probe_label"),
                    kind: try row.decode(forColumn: "kind"), source: try row.decode(forColumn: "source"),
                    ttl: try row.decode(forColumn: "ttl"), ipID: try row.decode(forColumn: "ip_id"),
                    rttMilliseconds: try row.decode(forColumn: "rtt_ms"), capturedAt: try row.decode(forColumn: "captured_at"),
                    bytes: Array(bytes))
            }
        }
    }

    /// Every session, oldest first.
    public func sessions() throws(CampaignStoreError) -> [SessionRecord] {
        try read { db in try Self.sessions(db) }
    }

    /// Progress, verdict counts and sessions, from one consistent snapshot.
    public func status() throws(CampaignStoreError) -> CampaignStatus {
        try read { db in
            let metadata = try campaignMetadata(db)
            var states: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM item GROUP BY state") {
                states[try row.decode(String.self, forColumn: "state")] = try row.decode(Int.self, forColumn: "n")
            }
            var verdictCounts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT verdict, count(*) AS n FROM verdict GROUP BY verdict") {
                verdictCounts[try row.decode(String.self, forColumn: "verdict")] = try row.decode(Int.self, forColumn: "n")
            }
            let totals = try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM answer) AS answers,
                       (SELECT coalesce(sum(probes_sent), 0) FROM verdict) AS probes,
                       (SELECT max(finished_at) FROM verdict) AS last
                """)
            let done = states[ItemState.done.rawValue] ?? 0
            let failed = states[ItemState.failed.rawValue] ?? 0
            let pending = states[ItemState.pending.rawValue] ?? 0
            return CampaignStatus(
                path: path, campaign: metadata, total: done + failed + pending, done: done, failed: failed,
                pending: pending, verdictCounts: verdictCounts,
                answers: try totals?.decode(Int.self, forColumn: "answers") ?? 0,
                probesSent: try totals?.decode(Int.self, forColumn: "probes") ?? 0,
                sessions: try Self.sessions(db), lastFinishedAt: try totals?.optionalDate("last"))
        }
    }

    private func campaignMetadata(_ db: Database) throws -> CampaignMetadata {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM campaign WHERE id = 1") else {
            throw CampaignStoreError("Campaign store \(path) holds no campaign.")
        }
        let optionsText = try row.decode(String.self, forColumn: "options")
        guard case .object(let fields)? = try? JSONParser.parse(optionsText) else {
            throw CampaignStoreError("Campaign store \(path) is damaged: its options are not a JSON object.")
        }
        var options: [String: String] = [:]
        for field in fields {
            guard case .string(let value) = field.value else {
                throw CampaignStoreError("Campaign store \(path) is damaged: option \(field.key) is not a string.")
            }
            options[field.key] = value
        }
        return CampaignMetadata(
            name: try row.decode(forColumn: "name"), scriptPath: try row.decode(forColumn: "script_path"),
            scriptText: try row.decode(forColumn: "script_text"), scriptSHA256: try row.decode(forColumn: "script_sha256"),
            targetsPath: try row.decode(forColumn: "targets_path"),
            softwareVersion: try row.decode(forColumn: "software_version"),
            startedAt: try row.date("started_at"), endedAt: try row.optionalDate("ended_at"),
            vantageAddress: try row.decode(forColumn: "vantage_address"),
            vantageASN: try row.decode(forColumn: "vantage_asn"),
            vantageASName: try row.decode(forColumn: "vantage_as_name"), options: options)
    }

    private static func sessions(_ db: Database) throws -> [SessionRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM session ORDER BY id").map { row in
            SessionRecord(id: try row.decode(forColumn: "id"), command: try row.decode(forColumn: "command"),
                          pid: try row.decode(forColumn: "pid"), startedAt: try row.date("started_at"),
                          endedAt: try row.optionalDate("ended_at"), outcome: try row.decode(forColumn: "outcome"),
                          vantageAddress: try row.decode(forColumn: "vantage_address"))
        }
    }

    private func storedItem(_ row: Row) throws -> StoredItem {
        let stateText = try row.decode(String.self, forColumn: "state")
        guard let state = ItemState(rawValue: stateText) else {
            throw CampaignStoreError("Campaign store \(path) is damaged: an item's state is \(stateText).")
        }
        return StoredItem(
            id: try row.decode(forColumn: "id"), address: try row.decode(forColumn: "address"),
            name: try row.decode(forColumn: "name"), port: try row.decode(forColumn: "port"),
            line: try row.decode(forColumn: "line"), input: try row.decode(forColumn: "input"),
            position: try row.decode(forColumn: "position"), state: state,
            attempts: try row.decode(forColumn: "attempts"), lastError: try row.decode(forColumn: "last_error"))
    }
}
