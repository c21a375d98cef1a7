import ChildProcess
import Foundation
import TestSupport
import Testing

/// A store whose disk fills during a campaign, and a store on a read-only file system, on a
/// real tmpfs (root only). The campaign probes loopback addresses' closed port 9 (the kernel
/// answers RST), paced so the disk can fill while it runs.
@Suite(.serialized, .enabled(if: Tools.isRoot && Tools.available(["mount", "umount", "dd"])))
struct CampaignStoreDiskTests {
    static let script = """
        name: t
        ports: [9]
        steps:
          - probe: syn
            variants: [mss]
        analyses: [investigation]
        """

    /// A 4 MiB tmpfs at a fresh directory with the script and 30 loopback targets; unmounted after.
    func withTmpfs(_ body: (String) throws -> Void) throws {
        let dir = NSTemporaryDirectory() + "cstest-disk-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/mnt", withIntermediateDirectories: true)
        defer {
            _ = Subprocess.run(["umount", dir + "/mnt"])
            try? FileManager.default.removeItem(atPath: dir)
        }
        let mount = Subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir + "/mnt"])
        try #require(mount.status == 0, "mount: \(mount.stderr)")
        try Self.script.write(toFile: dir + "/s.yaml", atomically: true, encoding: .utf8)
        try (1...30).map { "127.0.0.\($0)\n" }.joined().write(toFile: dir + "/t.txt", atomically: true, encoding: .utf8)
        try body(dir)
    }

    func progress(_ db: String) throws -> [String: Any] {
        let r = try CLI.run(["campaign", "status", "--db", db, "--json"])
        return try CLI.json(r.stdout)
    }

    @Test("The disk fills mid-campaign: it stops at the first refused write, keeps what was stored, and resume finishes")
    func diskFills() throws {
        try withTmpfs { dir in
            let db = dir + "/mnt/db.sqlite"
            let pid = try #require(Subprocess.start([CLI.binary, "campaign", "run", dir + "/s.yaml", "--targets", dir + "/t.txt", "--db", db,
                                                     "--allow-reserved", "--rate", "5", "--parallel", "1", "--quiet"],
                                                    outputFile: dir + "/output.txt"))
            // Fill the disk once a few results are in.
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, ((try? progress(db))?["done"] as? Int ?? 0) < 3 { Thread.sleep(forTimeInterval: 0.2) }
            _ = Subprocess.run(["dd", "if=/dev/zero", "of=\(dir)/mnt/fill", "bs=64k"])
            let filled = Date()
            let status = Subprocess.wait(pid)
            let r = CLIResult(status: status, stdout: "", stderr: try String(contentsOfFile: dir + "/output.txt", encoding: .utf8))
            #expect(Date().timeIntervalSince(filled) < 5, "stopped \(Date().timeIntervalSince(filled)) s after the disk filled")
            #expect(r.status == 1, "exit \(r.status): \(r.stderr)")
            #expect(r.stderr.hasPrefix("error: the store \(db) refused a write, so the campaign stopped there: ")
                    && r.stderr.contains("database or disk is full") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            try FileManager.default.removeItem(atPath: dir + "/mnt/fill")
            let stopped = try progress(db)
            let done = stopped["done"] as? Int ?? -1
            #expect(done >= 3 && done < 30, "done \(done)")
            #expect(r.stderr.contains("\(done) results were stored in this session and \(30 - done) targets and ports are left"), "\(r.stderr)")
            let resumed = try CLI.run(["campaign", "resume", "--db", db, "--allow-reserved", "--rate", "max", "--quiet"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            let after = try progress(db)
            #expect(after["done"] as? Int == 30 && after["total"] as? Int == 30, "\(after)")
            let verdicts = after["verdicts"] as? [String: Any] ?? [:]
            #expect(verdicts.values.compactMap { $0 as? Int }.reduce(0, +) == 30, "one verdict per target: \(verdicts)")
        }
    }

    @Test("A store on a read-only file system: one sentence from every command, nothing else")
    func readOnly() throws {
        try withTmpfs { dir in
            let db = dir + "/mnt/db.sqlite"
            let made = try CLI.run(["campaign", "run", dir + "/s.yaml", "--targets", dir + "/t.txt", "--db", db,
                                    "--allow-reserved", "--rate", "max", "--quiet"])
            try #require(made.status == 0, "\(made.stderr)")
            try #require(Subprocess.run(["mount", "-o", "remount,ro", dir + "/mnt"]).status == 0)
            for args in [["campaign", "resume", "--db", db, "--allow-reserved"], ["campaign", "status", "--db", db],
                         ["campaign", "report", "--db", db, "--format", "csv"]] {
                let r = try CLI.run(args)
                #expect(r.status == 1, "\(args): exit \(r.status)")
                #expect(r.stderr == "error: \(db) is on a read-only file system, and a campaign store needs to write beside itself "
                        + "(SQLite's WAL files) even to be read; copy it to a writable directory and give --db the copy.\n", "\(args): \(r.stderr)")
            }
        }
    }
}
