import Foundation
import JSONSupport

extension CampaignStore {
    /// The campaign's script, targets, times, first vantage and options.
    public func metadata() throws(CampaignStoreError) -> CampaignMetadata {
        try read { tx throws(CampaignStoreError) in try campaignMetadata(tx) }
    }

    /// Every vantage of the campaign, in the order they joined.
    public func vantages() throws(CampaignStoreError) -> [VantageRecord] {
        try read { tx throws(CampaignStoreError) in try Self.vantages(tx) }
    }

    /// The host names of the target list and their addresses, as resolved at creation.
    public func resolvedNames() throws(CampaignStoreError) -> [ResolvedNameRecord] {
        try read { tx throws(CampaignStoreError) in
            try tx.query("SELECT * FROM resolved_name ORDER BY id").map { row throws(CampaignStoreError) in
                let text = try row.text("addresses")
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
                return ResolvedNameRecord(name: try row.text("name"), addresses: addresses, line: try row.int("line"),
                                          resolvedAt: try row.date("resolved_at"))
            }
        }
    }

    /// Items this store's vantage has not finished (pending or failed), in run order.
    public func unfinishedItems() throws(CampaignStoreError) -> [StoredItem] {
        try items(where: "WHERE NOT EXISTS (SELECT 1 FROM verdict v WHERE v.item_id = item.id AND v.vantage_id = ?)")
    }

    /// Every item with this store's vantage's progress on it, in run order.
    public func items() throws(CampaignStoreError) -> [StoredItem] {
        try items(where: "")
    }

    private func items(where filter: String) throws(CampaignStoreError) -> [StoredItem] {
        let v = vantage.id
        return try read { tx throws(CampaignStoreError) in
            let arguments: [SQLValue] = filter.isEmpty ? [.integer(v), .integer(v), .integer(v)] : [.integer(v), .integer(v), .integer(v), .integer(v)]
            return try tx.query("""
                SELECT item.*,
                       (SELECT count(*) FROM verdict v WHERE v.item_id = item.id AND v.vantage_id = ?) AS done,
                       (SELECT count(*) FROM failure f WHERE f.item_id = item.id AND f.vantage_id = ?) AS failures,
                       (SELECT message FROM failure f WHERE f.item_id = item.id AND f.vantage_id = ? ORDER BY f.id DESC LIMIT 1) AS last_error
                FROM item \(filter) ORDER BY position
                """, arguments).map { row throws(CampaignStoreError) in
                let done = try row.int("done") > 0
                let failures = try row.int("failures")
                return StoredItem(
                    id: try row.int64("id"), address: try row.text("address"), name: try row.textOrNil("name"),
                    port: try row.text("port"), line: try row.int("line"), input: try row.text("input"),
                    position: try row.int("position"), state: done ? .done : failures > 0 ? .failed : .pending,
                    attempts: failures + (done ? 1 : 0), lastError: try row.textOrNil("last_error"))
            }
        }
    }

    /// Every verdict of every vantage, in the target list's order (items were created in it: a
    /// CIDR in address order, each address's ports in turn), vantages in the order they joined.
    public func verdicts() throws(CampaignStoreError) -> [StoredVerdict] {
        try read { tx throws(CampaignStoreError) in
            try tx.query("""
                SELECT verdict.*, item.address, item.name, item.port, item.line, vantage.name AS vantage_name
                FROM verdict JOIN item ON item.id = verdict.item_id JOIN vantage ON vantage.id = verdict.vantage_id
                ORDER BY item.id, verdict.vantage_id
                """).map { row throws(CampaignStoreError) in
                StoredVerdict(
                    itemID: try row.int64("item_id"), address: try row.text("address"), name: try row.textOrNil("name"),
                    port: try row.text("port"), line: try row.int("line"), verdict: try row.text("verdict"),
                    trigger: try row.textOrNil("trigger_kind"), confidence: try row.textOrNil("confidence"),
                    json: try row.text("json"), probesSent: try row.int("probes_sent"),
                    startedAt: try row.date("started_at"), finishedAt: try row.date("finished_at"),
                    evidenceFile: try row.textOrNil("evidence_file"), sessionID: try row.int64("session_id"),
                    vantage: try row.text("vantage_name"), vantageID: try row.int64("vantage_id"))
            }
        }
    }

    /// The answers recorded with an item's verdict from a vantage (default this store's), by
    /// probe index then capture order.
    public func answers(itemID: Int64, vantageID: Int64? = nil) throws(CampaignStoreError) -> [RecordedAnswer] {
        let v = vantageID ?? vantage.id
        return try read { tx throws(CampaignStoreError) in
            try tx.query("SELECT * FROM answer WHERE item_id = ? AND vantage_id = ? ORDER BY probe_index, id", itemID, v)
                .map { row throws(CampaignStoreError) in
                    RecordedAnswer(
                        probeIndex: try row.int("probe_index"), probeLabel: try row.text("probe_label"), kind: try row.text("kind"),
                        source: try row.text("source"), ttl: try row.int("ttl"), ipID: try row.intOrNil("ip_id"),
                        rttMilliseconds: try row.doubleOrNil("rtt_ms"), capturedAt: try row.doubleOrNil("captured_at"),
                        bytes: try row.blob("bytes"))
                }
        }
    }

    /// Every session of every vantage, oldest first.
    public func sessions() throws(CampaignStoreError) -> [SessionRecord] {
        try read { tx throws(CampaignStoreError) in try Self.sessions(tx) }
    }

    /// Progress of every vantage, verdict counts and sessions, from one consistent snapshot.
    /// The totals count (vantage, item) pairs: two vantages over 10 items make 20.
    public func status() throws(CampaignStoreError) -> CampaignStatus {
        try read { tx throws(CampaignStoreError) in
            let metadata = try campaignMetadata(tx)
            let itemCount = try tx.one("SELECT count(*) AS n FROM item")?.int("n") ?? 0
            var done: [Int64: Int] = [:]
            var failed: [Int64: Int] = [:]
            var counts: [Int64: [String: Int]] = [:]
            for row in try tx.query("SELECT vantage_id, verdict, count(*) AS n FROM verdict GROUP BY vantage_id, verdict") {
                let v = try row.int64("vantage_id")
                let n = try row.int("n")
                done[v, default: 0] += n
                counts[v, default: [:]][try row.text("verdict")] = n
            }
            for row in try tx.query("""
                SELECT f.vantage_id, count(DISTINCT f.item_id) AS n FROM failure f
                WHERE NOT EXISTS (SELECT 1 FROM verdict v WHERE v.vantage_id = f.vantage_id AND v.item_id = f.item_id)
                GROUP BY f.vantage_id
                """) {
                failed[try row.int64("vantage_id")] = try row.int("n")
            }
            let vantages = try Self.vantages(tx).map { v in
                let d = done[v.id] ?? 0, f = failed[v.id] ?? 0
                return VantageStatus(vantage: v, done: d, failed: f, pending: itemCount - d - f, verdictCounts: counts[v.id] ?? [:])
            }
            var verdictCounts: [String: Int] = [:]
            for v in vantages { verdictCounts.merge(v.verdictCounts, uniquingKeysWith: +) }
            let totals = try tx.one("""
                SELECT (SELECT count(*) FROM answer) AS answers,
                       (SELECT CAST(coalesce(sum(probes_sent), 0) AS BIGINT) FROM verdict) AS probes,
                       (SELECT max(finished_at) FROM verdict) AS last
                """)
            let (sumDone, sumFailed) = (vantages.map(\.done).reduce(0, +), vantages.map(\.failed).reduce(0, +))
            return CampaignStatus(
                path: path, campaign: metadata, total: itemCount * vantages.count, done: sumDone, failed: sumFailed,
                pending: itemCount * vantages.count - sumDone - sumFailed, verdictCounts: verdictCounts,
                answers: try totals?.int("answers") ?? 0, probesSent: try totals?.int("probes") ?? 0,
                sessions: try Self.sessions(tx), lastFinishedAt: try totals?.dateOrNil("last"), vantages: vantages)
        }
    }

    func campaignMetadata(_ tx: any SQLTransaction) throws(CampaignStoreError) -> CampaignMetadata {
        guard let row = try tx.one("SELECT * FROM campaign WHERE id = 1") else {
            throw CampaignStoreError("Campaign store \(path) holds no campaign.")
        }
        let optionsText = try row.text("options")
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
            name: try row.text("name"), scriptPath: try row.text("script_path"), scriptText: try row.text("script_text"),
            scriptSHA256: try row.text("script_sha256"), targetsPath: try row.text("targets_path"),
            softwareVersion: try row.text("software_version"), startedAt: try row.date("started_at"),
            endedAt: try row.dateOrNil("ended_at"), vantageAddress: try row.textOrNil("vantage_address"),
            vantageASN: try row.intOrNil("vantage_asn"), vantageASName: try row.textOrNil("vantage_as_name"), options: options)
    }

    private static func sessions(_ tx: any SQLTransaction) throws(CampaignStoreError) -> [SessionRecord] {
        try tx.query("SELECT session.*, vantage.name AS vantage_name FROM session JOIN vantage ON vantage.id = session.vantage_id ORDER BY session.id")
            .map { row throws(CampaignStoreError) in
                SessionRecord(id: try row.int64("id"), command: try row.text("command"), pid: try row.int32("pid"),
                              startedAt: try row.date("started_at"), endedAt: try row.dateOrNil("ended_at"),
                              outcome: try row.textOrNil("outcome"), vantageAddress: try row.textOrNil("vantage_address"),
                              vantage: try row.text("vantage_name"))
            }
    }
}
