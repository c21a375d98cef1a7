import ChildProcess
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster owned by the test process: Debian's server binaries, initdb
/// in a directory under /tmp, listening only on a Unix socket in that directory, trust
/// authentication for its own user. Started on first use, stopped and removed when the process
/// exits (atexit); a cluster left by a process that died is stopped by the next one to start
/// and by scripts/test.sh. No mock: the store tests talk to this real server.
public final class PostgresCluster: Sendable {
    /// The directory holding `data/`, the socket and `owner.pid`.
    public let directory: String
    let binaries: String
    /// The operating-system user the server runs as (`postgres` when the tests run as root).
    let runAs: String?
    private let counter = Mutex(0)

    /// The process's cluster, started once; a sentence saying why not when the server cannot run here.
    public static func shared() throws -> PostgresCluster {
        try started.withLock { state in
            if let cluster = state.cluster { return cluster }
            if let failure = state.failure { throw TestFailure(failure) }
            do {
                let cluster = try PostgresCluster()
                state.cluster = cluster
                atexit { PostgresCluster.stopShared() }
                return cluster
            } catch {
                state.failure = "\(error)"
                throw error
            }
        }
    }

    private struct State {
        var cluster: PostgresCluster?
        var failure: String?
    }
    private static let started = Mutex(State())

    /// Whether Debian's server binaries are installed (scripts/setup.sh installs `postgresql`).
    public static var installed: Bool { serverBinaries() != nil }

    private init() throws {
        guard let bin = Self.serverBinaries() else {
            throw TestFailure("PostgreSQL's server is not installed (/usr/lib/postgresql/*/bin/initdb): run scripts/setup.sh")
        }
        binaries = bin
        Self.removeAbandoned()
        var template = Array("/tmp/cs-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed for the PostgreSQL cluster") }
        directory = String(cString: made)
        try String(getpid()).write(toFile: directory + "/owner.pid", atomically: true, encoding: .utf8)
        // initdb refuses to run as root: the cluster then belongs to Debian's postgres user.
        runAs = geteuid() == 0 ? "postgres" : nil
        if let user = runAs {
            guard let pw = getpwnam(user) else { throw TestFailure("user \(user) is missing (Debian's postgresql package makes it)") }
            chown(directory, pw.pointee.pw_uid, pw.pointee.pw_gid)
        }
        do {
            try run([bin + "/initdb", "-D", directory + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
            try run([bin + "/pg_ctl", "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60", "-o",
                     "-k \(directory) -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c max_connections=300", "start"])
        } catch {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            Self.stop(directory: directory, binaries: bin)
            throw TestFailure("\(error)\n\(log.suffix(2000))")
        }
    }

    /// A new empty database; its URL as `--db` takes it (the socket form libpq writes).
    public func newDatabase(_ prefix: String = "t") throws -> String {
        // One CREATE DATABASE at a time: each copies template1.
        try counter.withLock { c throws in
            c += 1
            let name = "\(prefix)_\(getpid())_\(c)"
            try psql("CREATE DATABASE \(name)")
            return url(database: name)
        }
    }

    public func url(database: String) -> String { "postgres://postgres@/\(database)?host=\(directory)" }

    /// Runs SQL with psql as the superuser; returns unaligned tuples-only output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try run([binaries + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory, "-U", "postgres", "-d", database, "-c", sql])
    }

    @discardableResult
    private func run(_ argv: [String]) throws -> String {
        let full = runAs.map { ["runuser", "-u", $0, "--"] + argv } ?? argv
        let r = Subprocess.run(full, timeout: 120)
        guard r.status == 0 else { throw TestFailure("\(argv.joined(separator: " ")) failed (\(r.status)): \(r.stdout)\(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func stopShared() {
        guard let cluster = started.withLock({ $0.cluster }) else { return }
        stop(directory: cluster.directory, binaries: cluster.binaries)
    }

    /// Stops the server at once and removes its directory.
    static func stop(directory: String, binaries: String) {
        let user = geteuid() == 0 ? ["runuser", "-u", "postgres", "--"] : []
        if FileManager.default.fileExists(atPath: directory + "/data/postmaster.pid") {
            _ = Subprocess.run(user + [binaries + "/pg_ctl", "-D", directory + "/data", "-m", "immediate", "-w", "stop"], timeout: 60)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Clusters whose owning test process is gone.
    static func removeAbandoned() {
        guard let bin = serverBinaries(), let names = try? FileManager.default.contentsOfDirectory(atPath: "/tmp") else { return }
        for name in names where name.hasPrefix("cs-pg-") {
            let dir = "/tmp/" + name
            let owner = (try? String(contentsOfFile: dir + "/owner.pid", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if let owner, kill(owner, 0) == 0 { continue }
            stop(directory: dir, binaries: bin)
        }
    }

    static func serverBinaries() -> String? {
        guard let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") else { return nil }
        let sorted = versions.compactMap { v in Int(v).map { (n: $0, name: v) } }.sorted { $0.n > $1.n }
        for v in sorted where FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(v.name)/bin/initdb") {
            return "/usr/lib/postgresql/\(v.name)/bin"
        }
        return nil
    }
}
