import Foundation
import GRDB

/// The store's tables, their versions, and how an existing file is recognised.
enum Schema {
    /// `PRAGMA application_id` of every campaign store: "CScp". Tells our files from other SQLite files.
    static let applicationID: Int32 = 0x4353_6370
    /// `PRAGMA user_version` after every migration this build knows has run.
    static let currentVersion = 2

    /// The migrations, oldest first. Each sets `user_version` so a file's version can be read
    /// (and a newer file refused) without knowing GRDB's bookkeeping.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: version1)
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: "PRAGMA user_version = 1")
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: version2)
            try db.execute(sql: "PRAGMA user_version = 2")
        }
        return migrator
    }()

    /// Dates are REAL epoch seconds (UTC), so `datetime(x, 'unixepoch')` reads them in sqlite3.
    static let version1 = """
        CREATE TABLE campaign (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL,
            script_path TEXT NOT NULL,
            script_text TEXT NOT NULL,
            script_sha256 TEXT NOT NULL,
            targets_path TEXT NOT NULL,
            software_version TEXT NOT NULL,
            started_at REAL NOT NULL,
            ended_at REAL,
            vantage_address TEXT,
            vantage_asn INTEGER,
            vantage_as_name TEXT,
            options TEXT NOT NULL
        );
        CREATE TABLE resolved_name (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            addresses TEXT NOT NULL,
            line INTEGER NOT NULL,
            resolved_at REAL NOT NULL
        );
        CREATE TABLE item (
            id INTEGER PRIMARY KEY,
            position INTEGER NOT NULL UNIQUE,
            address TEXT NOT NULL,
            name TEXT,
            port TEXT NOT NULL,
            line INTEGER NOT NULL,
            input TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE INDEX item_unfinished ON item (position) WHERE state <> 'done';
        CREATE TABLE session (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            command TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started_at REAL NOT NULL,
            ended_at REAL,
            outcome TEXT,
            vantage_address TEXT
        );
        CREATE TABLE verdict (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL UNIQUE REFERENCES item (id),
            session_id INTEGER NOT NULL REFERENCES session (id),
            verdict TEXT NOT NULL,
            trigger_kind TEXT,
            confidence TEXT,
            json TEXT NOT NULL,
            probes_sent INTEGER NOT NULL,
            started_at REAL NOT NULL,
            finished_at REAL NOT NULL,
            evidence_file TEXT
        );
        CREATE INDEX verdict_by_session ON verdict (session_id);
        CREATE TABLE answer (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES item (id),
            probe_index INTEGER NOT NULL,
            probe_label TEXT NOT NULL,
            kind TEXT NOT NULL,
            source TEXT NOT NULL,
            ttl INTEGER NOT NULL,
            ip_id INTEGER,
            rtt_ms REAL,
            captured_at REAL,
            bytes BLOB NOT NULL
        );
        CREATE INDEX answer_by_item ON answer (item_id, probe_index);
        CREATE TABLE failure (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES item (id),
            session_id INTEGER NOT NULL REFERENCES session (id),
            message TEXT NOT NULL
        );
        CREATE INDEX failure_by_item ON failure (item_id);
        """

    /// Schema 2: vantages. Results are keyed by (vantage, item); an item's progress is no longer
    /// a column of the item but follows from its vantage's verdict and failures. A file of
    /// schema 1 keeps its results under one vantage named `default`.
    static let version2 = """
        CREATE TABLE vantage (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            address TEXT,
            asn INTEGER,
            as_name TEXT,
            software_version TEXT NOT NULL,
            joined_at REAL NOT NULL
        );
        INSERT INTO vantage (id, name, address, asn, as_name, software_version, joined_at)
            SELECT 1, 'default', vantage_address, vantage_asn, vantage_as_name, software_version, started_at FROM campaign;
        ALTER TABLE session ADD COLUMN vantage_id INTEGER REFERENCES vantage (id);
        UPDATE session SET vantage_id = 1;
        ALTER TABLE answer ADD COLUMN vantage_id INTEGER REFERENCES vantage (id);
        UPDATE answer SET vantage_id = 1;
        ALTER TABLE failure ADD COLUMN vantage_id INTEGER REFERENCES vantage (id);
        UPDATE failure SET vantage_id = 1;
        CREATE TABLE verdict_v2 (
            id INTEGER PRIMARY KEY,
            vantage_id INTEGER NOT NULL REFERENCES vantage (id),
            item_id INTEGER NOT NULL REFERENCES item (id),
            session_id INTEGER NOT NULL REFERENCES session (id),
            verdict TEXT NOT NULL,
            trigger_kind TEXT,
            confidence TEXT,
            json TEXT NOT NULL,
            probes_sent INTEGER NOT NULL,
            started_at REAL NOT NULL,
            finished_at REAL NOT NULL,
            evidence_file TEXT,
            UNIQUE (vantage_id, item_id)
        );
        INSERT INTO verdict_v2 (id, vantage_id, item_id, session_id, verdict, trigger_kind, confidence, json, probes_sent,
                                started_at, finished_at, evidence_file)
            SELECT id, 1, item_id, session_id, verdict, trigger_kind, confidence, json, probes_sent,
                   started_at, finished_at, evidence_file FROM verdict;
        DROP TABLE verdict;
        ALTER TABLE verdict_v2 RENAME TO verdict;
        CREATE INDEX verdict_by_session ON verdict (session_id);
        DROP INDEX answer_by_item;
        CREATE INDEX answer_by_item ON answer (item_id, vantage_id, probe_index);
        DROP INDEX failure_by_item;
        CREATE INDEX failure_by_item ON failure (vantage_id, item_id);
        DROP INDEX item_unfinished;
        ALTER TABLE item DROP COLUMN state;
        ALTER TABLE item DROP COLUMN attempts;
        ALTER TABLE item DROP COLUMN last_error;
        """

    /// What is at a path before the store opens it for writing.
    enum FileState: Equatable {
        case missing
        case directory
        /// A zero-length file, or a SQLite database without any table: safe to create in.
        case empty
        case notSQLite
        /// A SQLite database that is not a campaign store.
        case foreign
        /// A campaign store of a later schema than this build knows.
        case newer(version: Int)
        /// A campaign store; `campaign` is nil when creation stopped before its one transaction.
        case store(campaign: String?)
    }

    /// Looks at `path` without changing it: the file header, then a read-only connection.
    static func inspect(_ path: String) throws(CampaignStoreError) -> FileState {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        if isDirectory.boolValue { return .directory }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CampaignStoreError("\(path) cannot be read (check its permissions).")
        }
        let header = (try? handle.read(upToCount: 16)) ?? nil
        try? handle.close()
        guard let header, !header.isEmpty else { return .empty }
        guard header == Data("SQLite format 3\0".utf8) else { return .notSQLite }
        // A WAL database cannot even be read where its -wal and -shm files cannot be made.
        var volume = statvfs()
        if statvfs(path, &volume) == 0, volume.f_flag & UInt(ST_RDONLY) != 0 {
            throw CampaignStoreError("\(path) is on a read-only file system, and a campaign store needs to write beside itself "
                + "(SQLite's WAL files) even to be read; copy it to a writable directory and give --db the copy.")
        }

        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "CampaignStore.inspect"
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db throws -> FileState in
                let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                guard applicationID == Schema.applicationID else {
                    let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                    return tables == 0 ? .empty : .foreign
                }
                if version > currentVersion { return .newer(version: version) }
                guard try db.tableExists("campaign") else { return .store(campaign: nil) }
                return .store(campaign: try String.fetchOne(db, sql: "SELECT name FROM campaign WHERE id = 1"))
            }
        } catch let error as DatabaseError {
            throw CampaignStoreError("\(path) is not a readable SQLite database (\(error.message ?? "\(error.resultCode)")).")
        } catch {
            throw CampaignStoreError("\(path) is not a readable SQLite database (\(error)).")
        }
    }

    /// The pool every store uses: WAL, synchronous NORMAL, foreign keys on, a wait for a
    /// second process's write instead of an immediate "database is locked".
    static func openPool(_ path: String) throws(CampaignStoreError) -> DatabasePool {
        var configuration = Configuration()
        configuration.label = "CampaignStore"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        // GRDB sets this on a pool's writer already; spelled out because durability rests on it.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try migrator.migrate(pool)
            return pool
        } catch let error as DatabaseError {
            throw CampaignStoreError("\(path) cannot be opened as a campaign store (\(error.message ?? "\(error.resultCode)")).")
        } catch {
            throw CampaignStoreError("\(path) cannot be opened as a campaign store (\(error)).")
        }
    }
}
