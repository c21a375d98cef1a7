import Foundation

/// One value bound to or read from a statement: the few types the store's tables use, the
/// same in SQLite and PostgreSQL (dates are epoch seconds as doubles in both).
enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}

/// Swift values as statement arguments.
protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension Int64: SQLBindable { var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLBindable { var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int32: SQLBindable { var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Double: SQLBindable { var sqlValue: SQLValue { .double(self) } }
extension String: SQLBindable { var sqlValue: SQLValue { .text(self) } }
extension Date: SQLBindable { var sqlValue: SQLValue { .double(timeIntervalSince1970) } }
extension Array: SQLBindable where Element == UInt8 { var sqlValue: SQLValue { .blob(self) } }
extension Optional: SQLBindable where Wrapped: SQLBindable { var sqlValue: SQLValue { self?.sqlValue ?? .null } }

/// A row by column name. Every getter checks the stored type: a damaged or edited store is
/// an error (`CampaignStoreError`), never a trap.
struct SQLRow: Sendable {
    let columns: [String: SQLValue]
    /// The store's location, for the damage sentence.
    let location: String

    private func damaged(_ column: String, _ wanted: String) -> CampaignStoreError {
        CampaignStoreError("Campaign store \(location) is damaged: column \(column) is \(columns[column].map { "\($0)" } ?? "missing"), not \(wanted).")
    }

    func int64(_ c: String) throws(CampaignStoreError) -> Int64 {
        guard case .integer(let v)? = columns[c] else { throw damaged(c, "an integer") }
        return v
    }

    func int64OrNil(_ c: String) throws(CampaignStoreError) -> Int64? {
        if case .null? = columns[c] { return nil }
        return try int64(c)
    }

    func int(_ c: String) throws(CampaignStoreError) -> Int {
        let v = try int64(c)
        guard let n = Int(exactly: v) else { throw damaged(c, "an integer in range") }
        return n
    }

    func intOrNil(_ c: String) throws(CampaignStoreError) -> Int? {
        if case .null? = columns[c] { return nil }
        return try int(c)
    }

    func int32(_ c: String) throws(CampaignStoreError) -> Int32 {
        guard let n = Int32(exactly: try int64(c)) else { throw damaged(c, "a 32-bit integer") }
        return n
    }

    func double(_ c: String) throws(CampaignStoreError) -> Double {
        switch columns[c] {
        case .double(let v)?: return v
        case .integer(let v)?: return Double(v)   // SQLite keeps a whole REAL as written
        default: throw damaged(c, "a number")
        }
    }

    func doubleOrNil(_ c: String) throws(CampaignStoreError) -> Double? {
        if case .null? = columns[c] { return nil }
        return try double(c)
    }

    func date(_ c: String) throws(CampaignStoreError) -> Date { Date(timeIntervalSince1970: try double(c)) }

    func dateOrNil(_ c: String) throws(CampaignStoreError) -> Date? { try doubleOrNil(c).map(Date.init(timeIntervalSince1970:)) }

    func text(_ c: String) throws(CampaignStoreError) -> String {
        guard case .text(let v)? = columns[c] else { throw damaged(c, "text") }
        return v
    }

    func textOrNil(_ c: String) throws(CampaignStoreError) -> String? {
        if case .null? = columns[c] { return nil }
        return try text(c)
    }

    func blob(_ c: String) throws(CampaignStoreError) -> [UInt8] {
        switch columns[c] {
        case .blob(let v)?: return v
        case .null?: return []
        default: throw damaged(c, "bytes")
        }
    }
}

/// Statements inside one transaction of either backend. SQL is written once, with `?`
/// placeholders, in the dialect both engines share (the PostgreSQL backend numbers them).
protocol SQLTransaction {
    func execute(_ sql: String, _ arguments: [SQLValue]) throws(CampaignStoreError)
    /// Rows changed by the last `execute`.
    var changes: Int { get }
    func query(_ sql: String, _ arguments: [SQLValue]) throws(CampaignStoreError) -> [SQLRow]
}

extension SQLTransaction {
    func execute(_ sql: String, _ arguments: SQLBindable...) throws(CampaignStoreError) {
        try execute(sql, arguments.map(\.sqlValue))
    }

    func query(_ sql: String, _ arguments: SQLBindable...) throws(CampaignStoreError) -> [SQLRow] {
        try query(sql, arguments.map(\.sqlValue))
    }

    func one(_ sql: String, _ arguments: SQLBindable...) throws(CampaignStoreError) -> SQLRow? {
        try query(sql, arguments.map(\.sqlValue)).first
    }
}

/// A store's database: SQLite through GRDB, or PostgreSQL through postgres-nio. Each call
/// is one transaction, committed when `body` returns and rolled back when it throws.
protocol StoreBackend: Sendable {
    /// What `--db` named, without a password: for sentences and `campaign status`.
    var location: String { get }
    func write<T>(_ body: (any SQLTransaction) throws(CampaignStoreError) -> T) throws(CampaignStoreError) -> T
    func read<T>(_ body: (any SQLTransaction) throws(CampaignStoreError) -> T) throws(CampaignStoreError) -> T
    /// Holds off a second session of the same vantage until `release`: an exclusive lock
    /// that the system drops when the process dies, kill -9 included.
    func lockVantage(_ vantageID: Int64) throws(CampaignStoreError) -> StoreLock
    func close()
}

/// A held session lock.
public struct StoreLock: Sendable {
    let releaseBody: @Sendable () -> Void

    /// Lets another session of the vantage start.
    public func release() { releaseBody() }
}
