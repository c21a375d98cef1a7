@testable import CampaignStore
import Foundation
import Testing
import TestSupport

@Suite("PostgreSQL locations")
struct PostgresLocationTests {
    @Test func urlFormsAsLibpqWritesThem() throws {
        let env = ["HOME": "/nonexistent"]
        let tcp = try PostgresLocation("postgres://alice:s%40cret@db.example:6543/campaigns?sslmode=verify-full&sslrootcert=/etc/ca.pem", environment: env)
        #expect(tcp.endpoint == .tcp(host: "db.example", port: 6543) && tcp.user == "alice" && tcp.password == "s@cret")
        #expect(tcp.database == "campaigns" && tcp.tls == .verifyFull && tcp.rootCertificate == "/etc/ca.pem")
        #expect(tcp.display == "postgres://alice@db.example:6543/campaigns")

        let socket = try PostgresLocation("postgres://bob@/c1?host=/tmp/pg", environment: env)
        #expect(socket.endpoint == .socket(path: "/tmp/pg/.s.PGSQL.5432", directory: "/tmp/pg", port: 5432))
        #expect(socket.display == "postgres://bob@/c1?host=/tmp/pg" && socket.tls == .prefer)

        let v6 = try PostgresLocation("postgresql://u@[2001:db8::5]:5433/x", environment: env)
        #expect(v6.endpoint == .tcp(host: "2001:db8::5", port: 5433) && v6.display == "postgres://u@[2001:db8::5]:5433/x")
        // No user: PGUSER; no database: the user's name.
        let bare = try PostgresLocation("postgres://localhost", environment: ["PGUSER": "carol"])
        #expect(bare.user == "carol" && bare.database == "carol" && bare.endpoint == .tcp(host: "localhost", port: 5432))
    }

    @Test func badURLsAreOneSentenceWithoutThePassword() {
        for bad in ["postgres://u:pw@h:0/db", "postgres://u:pw@h/db?sslmode=sometimes", "postgres://u:pw@h/db?frobnicate=1",
                    "postgres://u:pw@[::1/db", "postgres://u:pw@/db?host=/s&sslmode=require"] {
            let error = #expect(throws: CampaignStoreError.self) { _ = try PostgresLocation(bad, environment: [:]) }
            #expect(error?.description.contains("pw") == false, "\(String(describing: error))")
            #expect(error?.description.hasPrefix("--db postgres://u:***@") == true, "\(String(describing: error))")
        }
    }

    @Test func passwordFromURLThenEnvironmentThenPassfile() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let passfile = dir.file("pgpass")
        try "# comment\nother:5432:*:*:wrong\ndb.example:*:camp:alice:from\\:file\n".write(toFile: passfile, atomically: true, encoding: .utf8)
        chmod(passfile, 0o600)
        let location = try PostgresLocation("postgres://alice@db.example/camp", environment: [:])
        #expect(location.resolvedPassword(environment: ["PGPASSFILE": passfile]) == "from:file")
        #expect(location.resolvedPassword(environment: ["PGPASSFILE": passfile, "PGPASSWORD": "env"]) == "env")
        #expect(try PostgresLocation("postgres://alice:url@db.example/camp", environment: [:]).resolvedPassword(environment: ["PGPASSWORD": "env"]) == "url")
        // As libpq: a passfile others can read is ignored.
        chmod(passfile, 0o644)
        #expect(location.resolvedPassword(environment: ["PGPASSFILE": passfile]) == nil)
        #expect(PostgresLocation.passfileMatch("localhost:5432:*:*:sock\n", host: "/run/pg", socket: true, port: 5432, database: "d", user: "u") == "sock")
    }
}

/// NAME of postgres://USER@/NAME?host=DIR.
func databaseName(_ url: String) -> String {
    let afterSlash = url.components(separatedBy: "@/").last ?? ""
    return String(afterSlash.split(separator: "?").first ?? "")
}

@Suite("CampaignStore on PostgreSQL", .serialized)
struct PostgresStoreTests {
    @Test func aNewerSchemaAndAForeignDatabaseAreRefused() throws {
        let cluster = try PostgresCluster.shared()
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 2, backend: .postgres)
        let database = databaseName(store.path)
        try cluster.psql("UPDATE censorscope_store SET version = 7", database: database)
        let newer = #expect(throws: CampaignStoreError.self) { _ = try CampaignStore.open(at: store.path) }
        #expect(newer?.description == "\(store.path) was written by a newer CensorScope (store schema 7, this one reads up to 2); upgrade censorscope to open it.")

        let foreign = try cluster.newDatabase()
        let foreignName = databaseName(foreign)
        try cluster.psql("CREATE TABLE campaign (name TEXT)", database: foreignName)
        let error = #expect(throws: CampaignStoreError.self) {
            _ = try CampaignStore.create(at: foreign, metadata: Fixture.metadata(), items: [], order: [], resolved: [])
        }
        #expect(error?.description.contains("holds tables that are not a campaign store") == true)
        #expect(try cluster.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", database: foreignName) == "1")
        let empty = try cluster.newDatabase()
        let missing = #expect(throws: CampaignStoreError.self) { _ = try CampaignStore.open(at: empty) }
        #expect(missing?.description.contains("holds no campaign; start one with") == true)
    }

    @Test func anUnreachableServerIsOneSentence() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let url = "postgres://nobody@/nothing?host=\(dir.path)"
        let error = #expect(throws: CampaignStoreError.self) { _ = try CampaignStore.open(at: url) }
        #expect(error?.description.hasPrefix("Cannot connect to campaign store \(url): ") == true, "\(String(describing: error))")
        #expect(error?.description.contains("\n") == false)
    }

    @Test func tablesAreThoseTheDocumentationDescribes() throws {
        let cluster = try PostgresCluster.shared()
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 3, backend: .postgres)
        let database = databaseName(store.path)
        let tables = try cluster.psql("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'",
                                      database: database)
        #expect(tables == "answer,campaign,censorscope_store,failure,item,resolved_name,session,vantage,verdict")
        let session = try store.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        for (id, verdict) in [(1, "reachable"), (2, "rst-injection")] {
            #expect(try store.record(Fixture.result(item: Int64(id), session: session, verdict: verdict, answers: 3)))
        }
        // The per-vantage query Docs/campaign-store.md gives for a team's database.
        let counts = try cluster.psql("""
            SELECT vt.name || '|' || v.verdict || '|' || count(*) FROM verdict v JOIN vantage vt ON vt.id = v.vantage_id
            GROUP BY vt.name, v.verdict ORDER BY vt.name, v.verdict
            """, database: database)
        #expect(counts == "default|reachable|1\ndefault|rst-injection|1")
    }
}

@Suite("SQLite schema 1 files")
struct SQLiteMigrationTests {
    /// A file written by the previous release opens: its results become vantage `default`'s.
    @Test func aSchemaOneFileIsMigratedInPlace() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("v1.sqlite")
        let v1 = Schema.version1 + """
            ;
            PRAGMA application_id = \(Schema.applicationID);
            PRAGMA user_version = 1;
            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
            INSERT INTO grdb_migrations VALUES ('v1');
            INSERT INTO campaign VALUES (1, 'old', 's.yaml', 'name: old', 'ab', 't.txt', '0.8', 1700000000, NULL, '198.18.0.2', 64500, NULL, '{}');
            INSERT INTO item (id, position, address, name, port, line, input, state, attempts, last_error) VALUES
              (1, 1, '198.18.0.1', NULL, '80', 1, '198.18.0.1', 'done', 2, 'timeout'),
              (2, 0, '198.18.0.3', NULL, '80', 2, '198.18.0.3', 'failed', 1, 'timeout'),
              (3, 2, '198.18.0.4', NULL, '80', 3, '198.18.0.4', 'pending', 0, NULL);
            INSERT INTO session VALUES (1, 'censorscope campaign run', 42, 1700000000, 1700000100, 'interrupted', '198.18.0.2');
            INSERT INTO verdict VALUES (1, 1, 1, 'drop', NULL, NULL, '{"verdict":"drop"}', 5, 1700000001, 1700000002, NULL);
            INSERT INTO answer VALUES (1, 1, 0, 'syn', 'rst', '198.18.0.1', 60, 1, 1.5, 1700000001.5, x'4500');
            INSERT INTO failure VALUES (1, 1, 1, 'timeout'), (2, 2, 1, 'timeout');
            """
        #expect(sqlite3(path, v1).status == 0, "\(sqlite3(path, "SELECT 1").output)")
        let store = try CampaignStore.open(at: path)
        #expect(store.vantage.name == "default" && store.vantage.address == "198.18.0.2" && store.vantage.asn == 64500)
        let items = try store.items()
        #expect(items.map(\.id) == [2, 1, 3])
        #expect(items.map(\.state) == [.failed, .done, .pending] && items.map(\.attempts) == [1, 2, 0])
        #expect(try store.verdicts().map(\.vantage) == ["default"] && store.answers(itemID: 1).count == 1)
        #expect(try store.status().sessions.map(\.vantage) == ["default"])
        #expect(sqlite3(path, "PRAGMA user_version; PRAGMA integrity_check; PRAGMA foreign_key_check;").output == "2\nok")
    }
}
