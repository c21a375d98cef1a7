import Foundation
import GRDB

/// One campaign in one SQLite file (WAL mode). Reads run concurrently, writes are
/// serialised by the pool's single writer connection.
final class SQLiteBackend: StoreBackend {
    let location: String
    let pool: DatabasePool

    init(path: String, pool: DatabasePool) {
        self.location = path
        self.pool = pool
    }

    func write<T>(_ body: (any SQLTransaction) throws(CampaignStoreError) -> T) throws(CampaignStoreError) -> T {
        do {
            return try pool.write { db in try body(GRDBTransaction(db: db, location: location)) }
        } catch {
            throw storeError(error, doing: "write to")
        }
    }

    func read<T>(_ body: (any SQLTransaction) throws(CampaignStoreError) -> T) throws(CampaignStoreError) -> T {
        do {
            return try pool.read { db in try body(GRDBTransaction(db: db, location: location)) }
        } catch {
            throw storeError(error, doing: "read")
        }
    }

    /// One session per file at a time: an exclusive flock on the database file (SQLite's own
    /// locks are fcntl locks, which flock does not touch), held for the session.
    func lockVantage(_ vantageID: Int64) throws(CampaignStoreError) -> StoreLock {
        let fd = open(location, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CampaignStoreError("cannot open \(location): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw CampaignStoreError("another censorscope is running the campaign in \(location); wait for it to end or stop it first")
        }
        return StoreLock {
            flock(fd, LOCK_UN)
            Glibc.close(fd)
        }
    }

    func close() { try? pool.close() }

    private func storeError(_ error: any Error, doing verb: String) -> CampaignStoreError {
        switch error {
        case let error as CampaignStoreError:
            return error
        case let error as DatabaseError:
            return CampaignStoreError("Cannot \(verb) campaign store \(location): \(error.message ?? "SQLite error \(error.resultCode)").")
        default:
            return CampaignStoreError("Cannot \(verb) campaign store \(location): \(error).")
        }
    }
}

/// GRDB's database handle as the store's statements see it.
struct GRDBTransaction: SQLTransaction {
    let db: Database
    let location: String

    var changes: Int { db.changesCount }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws(CampaignStoreError) {
        do { try db.cachedStatement(sql: sql).execute(arguments: Self.bound(arguments)) } catch {
            throw sentence(error)
        }
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws(CampaignStoreError) -> [SQLRow] {
        do {
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: Self.bound(arguments)).map { row in
                var columns: [String: SQLValue] = [:]
                for (name, value) in row {
                    switch value.storage {
                    case .null: columns[name] = .null
                    case .int64(let v): columns[name] = .integer(v)
                    case .double(let v): columns[name] = .double(v)
                    case .string(let v): columns[name] = .text(v)
                    case .blob(let v): columns[name] = .blob(Array(v))
                    }
                }
                return SQLRow(columns: columns, location: location)
            }
        } catch {
            throw sentence(error)
        }
    }

    private static func bound(_ arguments: [SQLValue]) -> StatementArguments {
        StatementArguments(arguments.map { $0.databaseValue as (any DatabaseValueConvertible)? })
    }

    private func sentence(_ error: any Error) -> CampaignStoreError {
        if let error = error as? DatabaseError {
            return CampaignStoreError("Cannot use campaign store \(location): \(error.message ?? "SQLite error \(error.resultCode)").")
        }
        return CampaignStoreError("Cannot use campaign store \(location): \(error).")
    }
}

extension SQLValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .integer(let v): return v.databaseValue
        case .double(let v): return v.databaseValue
        case .text(let v): return v.databaseValue
        case .blob(let v): return Data(v).databaseValue
        }
    }
}
