import Foundation
import GRDB
import JSONSupport

/// One campaign in one SQLite file (WAL mode). Safe to share between threads: reads run
/// concurrently, writes are serialised by the pool's single writer connection.
public final class CampaignStore: Sendable {
    /// The database file.
    public let path: String
    let pool: DatabasePool

    private init(path: String, pool: DatabasePool) {
        self.path = path
        self.pool = pool
    }

    /// Creates the file with one campaign and its items; item `items[k]` gets id `k + 1` and the
    /// run position `i` where `order[i] == k`. Refuses a file that already holds a campaign.
    public static func create(at path: String, metadata: CampaignMetadata, items: [ItemInput], order: [Int],
                              resolved: [ResolvedNameRecord]) throws(CampaignStoreError) -> CampaignStore {
        let positions = try positionsOf(order: order, count: items.count)
        switch try Schema.inspect(path) {
        case .missing, .empty, .store(campaign: nil):
            break
        case .store(campaign: let name?):
            throw CampaignStoreError("\(path) already holds campaign \(name); continue it with "
                + "`censorscope campaign resume --db \(path)`, or choose another --db.")
        case .directory:
            throw CampaignStoreError("\(path) is a directory; give --db a file name.")
        case .notSQLite, .foreign:
            throw CampaignStoreError("\(path) exists and is not a campaign store; choose another --db.")
        case .newer(let version):
            throw CampaignStoreError("\(path) is a campaign store of a newer CensorScope (schema \(version)); choose another --db.")
        }
        let store = CampaignStore(path: path, pool: try Schema.openPool(path))
        try store.write { db in
            try insertCampaign(metadata, into: db)
            let insertItem = try db.cachedStatement(sql: """
                INSERT INTO item (id, position, address, name, port, line, input) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for (index, item) in items.enumerated() {
                try insertItem.execute(arguments: [Int64(index + 1), positions[index], item.address, item.name,
                                                   item.port, item.line, item.input])
            }
            let insertName = try db.cachedStatement(sql: """
                INSERT INTO resolved_name (name, addresses, line, resolved_at) VALUES (?, ?, ?, ?)
                """)
            for record in resolved {
                let addresses = JSONValue.array(record.addresses.map { .string($0) }).serialized()
                try insertName.execute(arguments: [record.name, addresses, record.line,
                                                   record.resolvedAt.timeIntervalSince1970])
            }
        }
        return store
    }

    /// Opens an existing campaign; a missing file, a non-SQLite file, another SQLite database,
    /// a newer schema or an unfinished creation each get one sentence.
    public static func open(at path: String) throws(CampaignStoreError) -> CampaignStore {
        switch try Schema.inspect(path) {
        case .missing:
            throw CampaignStoreError("\(path) does not exist; start a campaign with "
                + "`censorscope campaign run SCRIPT --targets FILE --db \(path)`.")
        case .directory:
            throw CampaignStoreError("\(path) is a directory, not a campaign store; give --db the file campaign run wrote.")
        case .empty, .notSQLite:
            throw CampaignStoreError("\(path) is not a SQLite database, so not a campaign store; give --db the file campaign run wrote.")
        case .foreign:
            throw CampaignStoreError("\(path) is a SQLite database but not a CensorScope campaign store; give --db the file campaign run wrote.")
        case .newer(let version):
            throw CampaignStoreError("\(path) was written by a newer CensorScope (store schema \(version), this one reads up to "
                + "\(Schema.currentVersion)); upgrade censorscope to open it.")
        case .store(campaign: nil):
            throw CampaignStoreError("\(path) holds no campaign (its creation was interrupted); remove it and run the campaign again.")
        case .store(campaign: .some):
            return CampaignStore(path: path, pool: try Schema.openPool(path))
        }
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

    private static func insertCampaign(_ m: CampaignMetadata, into db: Database) throws {
        let options = JSONValue.object(m.options.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) })
        try db.execute(sql: """
            INSERT INTO campaign (id, name, script_path, script_text, script_sha256, targets_path, software_version,
                                  started_at, ended_at, vantage_address, vantage_asn, vantage_as_name, options)
            VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [m.name, m.scriptPath, m.scriptText, m.scriptSHA256, m.targetsPath, m.softwareVersion,
                             m.startedAt.timeIntervalSince1970, m.endedAt?.timeIntervalSince1970, m.vantageAddress,
                             m.vantageASN, m.vantageASName, options.serialized()])
    }

    // MARK: - Access with errors turned into sentences

    /// One write transaction; any error rolls it back and becomes a `CampaignStoreError`.
    func write<T>(_ body: (Database) throws -> T) throws(CampaignStoreError) -> T {
        do {
            return try pool.write(body)
        } catch {
            throw storeError(error, doing: "write to")
        }
    }

    /// One read from a consistent snapshot.
    func read<T>(_ body: (Database) throws -> T) throws(CampaignStoreError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw storeError(error, doing: "read")
        }
    }

    private func storeError(_ error: any Error, doing verb: String) -> CampaignStoreError {
        switch error {
        case let error as CampaignStoreError:
            return error
        case let error as DatabaseError:
            return CampaignStoreError("Cannot \(verb) campaign store \(path): \(error.message ?? "SQLite error \(error.resultCode)").")
        case let error as RowDecodingError:
            return CampaignStoreError("Campaign store \(path) is damaged: \(error).")
        default:
            return CampaignStoreError("Cannot \(verb) campaign store \(path): \(error).")
        }
    }
}

/// Epoch seconds as stored, back to dates.
extension Row {
    func date(_ column: String) throws -> Date {
        Date(timeIntervalSince1970: try decode(Double.self, forColumn: column))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try decode(Double?.self, forColumn: column).map(Date.init(timeIntervalSince1970:))
    }
}
