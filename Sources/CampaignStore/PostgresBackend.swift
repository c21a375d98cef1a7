import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// A campaign in one PostgreSQL database, for many vantages at once. postgres-nio is
/// asynchronous; the store and its callers are threads, so each call waits on a future
/// from a calling thread, never on the event loop the store owns.
final class PostgresBackend: StoreBackend {
    let location: String
    private let group: MultiThreadedEventLoopGroup
    private let configuration: PostgresConnection.Configuration
    /// Connections not in use; a thread takes one per transaction.
    private let idle = Mutex<[PostgresConnection]>([])
    private let nextID = Mutex(1)
    /// At most this many connections at once per process (workers beyond wait their turn).
    private let slots = DispatchSemaphore(value: 16)
    private let closed = Mutex(false)
    static let logger = Logger(label: "censorscope.store", factory: { _ in SwiftLogNoOpLogHandler() })

    init(_ target: PostgresLocation) throws(CampaignStoreError) {
        location = target.display
        let password = target.resolvedPassword()
        var configuration: PostgresConnection.Configuration
        switch target.endpoint {
        case .socket(let path, _, _):
            configuration = .init(unixSocketPath: path, username: target.user, password: password, database: target.database)
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            if target.tls == .disable {
                tls = .disable
            } else {
                var settings = TLSConfiguration.makeClientConfiguration()
                switch target.tls {
                case .verifyFull: settings.certificateVerification = .fullVerification
                case .verifyCA: settings.certificateVerification = .noHostnameVerification
                default: settings.certificateVerification = .none
                }
                if let root = target.rootCertificate { settings.trustRoots = .file(root) }
                do {
                    let context = try NIOSSLContext(configuration: settings)
                    tls = target.tls == .allow || target.tls == .prefer ? .prefer(context) : .require(context)
                } catch {
                    throw CampaignStoreError("Cannot set up TLS for \(target.display): \(error).")
                }
            }
            configuration = .init(host: host, port: port, username: target.user, password: password, database: target.database, tls: tls)
            if target.tls == .verifyFull { configuration.options.tlsServerName = host }
        }
        configuration.options.connectTimeout = .seconds(10)
        self.configuration = configuration
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // Fail now, with one sentence, if the server cannot be reached or refuses us.
        do {
            let connection = try connect()
            idle.withLock { $0.append(connection) }
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    func write<T>(_ body: (any SQLTransaction) throws(CampaignStoreError) -> T) throws(CampaignStoreError) -> T {
        try transaction(begin: "BEGIN", body)
    }

    /// A read sees one snapshot, as SQLite's reads do.
    func read<T>(_ body: (any SQLTransaction) throws(CampaignStoreError) -> T) throws(CampaignStoreError) -> T {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    /// A session-level advisory lock on a connection of its own: the server drops it when the
    /// connection ends, so a vantage killed with -9 leaves no lock behind.
    func lockVantage(_ vantageID: Int64) throws(CampaignStoreError) -> StoreLock {
        let connection = try connect()
        let tx = PostgresTransaction(connection: connection, location: location)
        let held: Bool
        do {
            held = try tx.query("SELECT pg_try_advisory_lock(?) AS held", [.integer(Self.lockBase + vantageID)]).first?.int64("held") == 1
        } catch {
            _ = try? connection.close().wait()
            throw error
        }
        guard held else {
            _ = try? connection.close().wait()
            throw CampaignStoreError("another censorscope is running this vantage of the campaign in \(location); wait for it to end or stop it first")
        }
        // Unlocked before the connection closes: the server ends a closed connection's backend,
        // and so its locks, a moment later, and the next session could find the lock still held.
        let location = location
        return StoreLock {
            _ = try? PostgresTransaction(connection: connection, location: location).query("SELECT pg_advisory_unlock(?) AS released", [.integer(Self.lockBase + vantageID)])
            _ = try? connection.close().wait()
        }
    }

    /// "CS" in the high bytes keeps the store's locks apart from other advisory locks in the database.
    static let lockBase: Int64 = 0x4353_0000_0000_0000

    func close() {
        let first = closed.withLock { c in defer { c = true }; return !c }
        guard first else { return }
        for connection in idle.withLock({ c in defer { c = [] }; return c }) { _ = try? connection.close().wait() }
        try? group.syncShutdownGracefully()
    }

    deinit { close() }

    private func connect() throws(CampaignStoreError) -> PostgresConnection {
        let id = nextID.withLock { n in defer { n += 1 }; return n }
        do {
            return try PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: Self.logger).wait()
        } catch {
            throw CampaignStoreError("Cannot connect to campaign store \(location): \(PostgresTransaction.reason(error)).")
        }
    }

    private func transaction<T>(begin: String, _ body: (any SQLTransaction) throws(CampaignStoreError) -> T) throws(CampaignStoreError) -> T {
        slots.wait()
        defer { slots.signal() }
        let connection: PostgresConnection
        if let c = idle.withLock({ $0.popLast() }), !c.isClosed { connection = c } else { connection = try connect() }
        let tx = PostgresTransaction(connection: connection, location: location)
        do {
            try tx.execute(begin, [])
            let result = try body(tx)
            try tx.execute("COMMIT", [])
            idle.withLock { $0.append(connection) }
            return result
        } catch {
            try? tx.execute("ROLLBACK", [])
            if connection.isClosed { _ = try? connection.close().wait() } else { idle.withLock { $0.append(connection) } }
            throw error
        }
    }
}

/// One connection inside a transaction, as the store's statements see it.
final class PostgresTransaction: SQLTransaction {
    let connection: PostgresConnection
    let location: String
    private(set) var changes = 0

    init(connection: PostgresConnection, location: String) {
        self.connection = connection
        self.location = location
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws(CampaignStoreError) {
        changes = try run(sql, arguments).metadata.rows ?? 0
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws(CampaignStoreError) -> [SQLRow] {
        try run(sql, arguments).rows.map { row throws(CampaignStoreError) -> SQLRow in
            var columns: [String: SQLValue] = [:]
            for cell in row {
                columns[cell.columnName] = try value(cell)
            }
            return SQLRow(columns: columns, location: location)
        }
    }

    private func run(_ sql: String, _ arguments: [SQLValue]) throws(CampaignStoreError) -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .integer(let v): binds.append(v)
            case .double(let v): binds.append(v)
            case .text(let v): binds.append(v)
            case .blob(let v): binds.append(ByteBuffer(bytes: v))
            }
        }
        do {
            return try connection.query(PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds), logger: PostgresBackend.logger).wait()
        } catch {
            throw CampaignStoreError("Cannot use campaign store \(location): \(Self.reason(error)).")
        }
    }

    private func value(_ cell: PostgresCell) throws(CampaignStoreError) -> SQLValue {
        guard let bytes = cell.bytes else { return .null }
        do {
            switch cell.dataType {
            case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
            case .float4, .float8: return .double(try cell.decode(Double.self))
            case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .bytea: return .blob(Array(bytes.readableBytesView))
            default: return .text(try cell.decode(String.self))
            }
        } catch {
            throw CampaignStoreError("Campaign store \(location) is damaged: column \(cell.columnName) cannot be read (\(error)).")
        }
    }

    /// `?` placeholders as PostgreSQL's `$1`, `$2`…, outside quoted text.
    static func numbered(_ sql: String) -> String {
        var out = ""
        var n = 0
        var quoted = false
        for c in sql {
            if c == "'" { quoted.toggle() }
            if c == "?" && !quoted {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// The server's own message when there is one (never the query's values).
    static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = error.underlying { return "\(error.code.description): \(underlying)" }
        return error.code.description
    }
}
