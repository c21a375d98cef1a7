import Foundation
import JSONSupport

/// One campaign: a SQLite file (the embedded default) or a PostgreSQL database that many
/// vantages write to at once. Safe to share between threads. A store object measures as one
/// vantage (`vantage`): its items' progress and its sessions are that vantage's.
public final class CampaignStore: Sendable {
    /// What `--db` named: the file path, or the PostgreSQL URL without its password.
    public let path: String
    let backend: any StoreBackend
    /// The vantage this store object measures as.
    public let vantage: VantageRecord

    private init(backend: any StoreBackend, vantage: VantageRecord) {
        self.path = backend.location
        self.backend = backend
        self.vantage = vantage
    }

    /// Creates the campaign with its items; item `items[k]` gets id `k + 1` and the run
    /// position `i` where `order[i] == k`. The first vantage is `vantage`, at the metadata's
    /// address. Refuses a file or database that already holds a campaign.
    public static func create(at location: String, metadata: CampaignMetadata, items: [ItemInput], order: [Int],
                              resolved: [ResolvedNameRecord], vantage: String = "default") throws(CampaignStoreError) -> CampaignStore {
        let positions = try positionsOf(order: order, count: items.count)
        let backend = try StoreOpening.forCreation(location)
        let record = try backend.write { tx throws(CampaignStoreError) -> VantageRecord in
            // Checked again inside the writing transaction: another vantage may have created it meanwhile.
            if let name = try tx.one("SELECT name FROM campaign WHERE id = 1")?.text("name") {
                throw CampaignStoreError(StoreOpening.holdsCampaign(backend, name))
            }
            try insertCampaign(metadata, tx)
            try insertRows(tx, table: "item", columns: ["id", "position", "address", "name", "port", "line", "input"],
                           rows: items.enumerated().map { index, item in
                               [.integer(Int64(index + 1)), .integer(Int64(positions[index])), .text(item.address),
                                item.name.sqlValue, .text(item.port), .integer(Int64(item.line)), .text(item.input)]
                           })
            try insertRows(tx, table: "resolved_name", columns: ["name", "addresses", "line", "resolved_at"],
                           rows: resolved.map { r in
                               [.text(r.name), .text(JSONValue.array(r.addresses.map { .string($0) }).serialized()),
                                .integer(Int64(r.line)), r.resolvedAt.sqlValue]
                           })
            return try insertVantage(VantageInput(name: vantage, address: metadata.vantageAddress, asn: metadata.vantageASN,
                                                  asName: metadata.vantageASName, softwareVersion: metadata.softwareVersion),
                                     at: metadata.startedAt, tx)
        }
        return CampaignStore(backend: backend, vantage: record)
    }

    /// Opens an existing campaign as `vantage` (nil: the campaign's first vantage). A missing
    /// file or database, a foreign one, a newer schema or an unknown vantage each get one sentence.
    public static func open(at location: String, vantage: String? = nil) throws(CampaignStoreError) -> CampaignStore {
        let backend = try StoreOpening.existing(location)
        let record = try backend.read { tx throws(CampaignStoreError) -> VantageRecord in
            let all = try vantages(tx)
            if let vantage {
                guard let found = all.first(where: { $0.name == vantage }) else {
                    throw CampaignStoreError("\(backend.location) has no vantage named \(vantage) (it has \(all.map(\.name).joined(separator: ", "))); "
                        + "add it with `censorscope campaign join --db \(backend.location) --vantage \(vantage)`.")
                }
                return found
            }
            guard let first = all.first else { throw CampaignStoreError("Campaign store \(backend.location) is damaged: it has no vantage.") }
            return first
        }
        return CampaignStore(backend: backend, vantage: record)
    }

    /// Adds a vantage to an existing campaign; every item is unfinished for it. Refuses a
    /// name the campaign already has (that vantage continues with `resume`).
    public static func join(at location: String, vantage: VantageInput, at date: Date) throws(CampaignStoreError) -> CampaignStore {
        let backend = try StoreOpening.existing(location)
        let record = try backend.write { tx throws(CampaignStoreError) -> VantageRecord in
            if try tx.one("SELECT id FROM vantage WHERE name = ?", vantage.name) != nil {
                throw CampaignStoreError("\(backend.location) already has a vantage named \(vantage.name); continue it with "
                    + "`censorscope campaign resume --db \(backend.location) --vantage \(vantage.name)`, or join under another name.")
            }
            return try insertVantage(vantage, at: date, tx)
        }
        return CampaignStore(backend: backend, vantage: record)
    }

    /// The same campaign measured as another of its vantages, on the same connections.
    public func asVantage(_ name: String) throws(CampaignStoreError) -> CampaignStore {
        let all = try vantages()
        guard let found = all.first(where: { $0.name == name }) else {
            throw CampaignStoreError("\(path) has no vantage named \(name) (it has \(all.map(\.name).joined(separator: ", "))).")
        }
        return CampaignStore(backend: backend, vantage: found)
    }

    /// Holds off a second session of this store's vantage (SQLite: of the whole file) until released.
    public func lockSession() throws(CampaignStoreError) -> StoreLock {
        try backend.lockVantage(vantage.id)
    }

    /// Run position of each item, from `order` (run position -> item index); checked to be a permutation.
    private static func positionsOf(order: [Int], count: Int) throws(CampaignStoreError) -> [Int] {
        guard order.count == count else {
            throw CampaignStoreError("The run order has \(order.count) positions for \(count) items; it must be a permutation of the items.")
        }
        var positions = [Int](repeating: -1, count: count)
        for (position, index) in order.enumerated() {
            guard positions.indices.contains(index), positions[index] == -1 else {
                throw CampaignStoreError("The run order names item \(index) twice or out of range; it must be a permutation of the \(count) items.")
            }
            positions[index] = position
        }
        return positions
    }

    private static func insertCampaign(_ m: CampaignMetadata, _ tx: any SQLTransaction) throws(CampaignStoreError) {
        let options = JSONValue.object(m.options.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) })
        try tx.execute("""
            INSERT INTO campaign (id, name, script_path, script_text, script_sha256, targets_path, software_version,
                                  started_at, ended_at, vantage_address, vantage_asn, vantage_as_name, options)
            VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, m.name, m.scriptPath, m.scriptText, m.scriptSHA256, m.targetsPath, m.softwareVersion,
                       m.startedAt, m.endedAt, m.vantageAddress, m.vantageASN, m.vantageASName, options.serialized())
    }

    private static func insertVantage(_ v: VantageInput, at date: Date, _ tx: any SQLTransaction) throws(CampaignStoreError) -> VantageRecord {
        guard let row = try tx.one("""
            INSERT INTO vantage (name, address, asn, as_name, software_version, joined_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id
            """, v.name, v.address, v.asn, v.asName, v.softwareVersion, date) else {
            throw CampaignStoreError("Cannot add vantage \(v.name): the database returned no id.")
        }
        return VantageRecord(id: try row.int64("id"), name: v.name, address: v.address, asn: v.asn, asName: v.asName,
                             softwareVersion: v.softwareVersion, joinedAt: date)
    }

    static func vantages(_ tx: any SQLTransaction) throws(CampaignStoreError) -> [VantageRecord] {
        try tx.query("SELECT * FROM vantage ORDER BY id").map { row throws(CampaignStoreError) in
            VantageRecord(id: try row.int64("id"), name: try row.text("name"), address: try row.textOrNil("address"),
                          asn: try row.intOrNil("asn"), asName: try row.textOrNil("as_name"),
                          softwareVersion: try row.text("software_version"), joinedAt: try row.date("joined_at"))
        }
    }

    /// Many rows in few statements (a round trip each on PostgreSQL): 400 rows at most per
    /// statement keeps under both engines' limits on bound values.
    static func insertRows(_ tx: any SQLTransaction, table: String, columns: [String], rows: [[SQLValue]]) throws(CampaignStoreError) {
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + 400)]
            let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                + Array(repeating: tuple, count: chunk.count).joined(separator: ", ")
            try tx.execute(sql, chunk.flatMap { $0 })
            start += chunk.count
        }
    }

    // MARK: - Transactions

    func write<T>(_ body: (any SQLTransaction) throws(CampaignStoreError) -> T) throws(CampaignStoreError) -> T {
        try backend.write(body)
    }

    func read<T>(_ body: (any SQLTransaction) throws(CampaignStoreError) -> T) throws(CampaignStoreError) -> T {
        try backend.read(body)
    }
}
