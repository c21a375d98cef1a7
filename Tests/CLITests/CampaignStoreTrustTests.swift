import CampaignStore
import ChildProcess
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `campaign resume` reads a store someone may have edited (campaign files are shared): the
/// tampered items are refused, by name, before any packet goes; the environment variable
/// does not lift the special-range refusal outside `lab exec`.
@Suite(.serialized) struct CampaignStoreTrustTests {
    /// The script of the CLI tests' stores.
    static let script = CampaignCLITests.goodScript

    /// A store as `campaign run` makes it, except for the items given.
    func store(_ items: [ItemInput], allowReserved: Bool, _ body: (String) throws -> Void) throws {
        let dir = NSTemporaryDirectory() + "cstest-store-trust-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let metadata = CampaignMetadata(
            name: "t", scriptPath: dir + "/script.yaml", scriptText: Self.script, scriptSHA256: "", targetsPath: dir + "/targets.txt",
            softwareVersion: "test", startedAt: Date(), options: ["seed": "1", "allow_reserved": allowReserved ? "true" : "false"])
        let resolved = [ResolvedNameRecord(name: "lab.example", addresses: ["198.18.20.7"], line: 4, resolvedAt: Date())]
        _ = try CampaignStore.create(at: dir + "/db.sqlite", metadata: metadata, items: items, order: Array(items.indices), resolved: resolved)
        try body(dir + "/db.sqlite")
    }

    /// `campaign resume` in a network namespace of its own with nothing in it: whatever the
    /// check lets through cannot leave the machine.
    func resume(_ db: String, _ extra: [String] = []) -> CLIResult {
        let r = Subprocess.run(["unshare", "--net", CLI.binary, "campaign", "resume", "--db", db, "--rate", "1"] + extra, timeout: 60)
        return CLIResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    @Test("Items edited to another address, port or resolution are refused by name; nothing is probed")
    func tamperedItems() throws {
        let items = [
            ItemInput(address: "198.18.20.1", name: nil, port: "80", line: 1, input: "198.18.20.1"),            // as made
            ItemInput(address: "8.8.8.8", name: nil, port: "80", line: 2, input: "198.18.20.2"),                // address edited
            ItemInput(address: "198.18.20.0", name: nil, port: "22", line: 3, input: "198.18.20.0/30"),         // port edited
            ItemInput(address: "198.18.21.4", name: "lab.example", port: "80", line: 4, input: "lab.example"),  // resolution edited
            ItemInput(address: "198.18.20.7", name: "lab.example", port: "80", line: 4, input: "lab.example"),  // as made
        ]
        try store(items, allowReserved: true) { db in
            let started = Date()
            let r = resume(db, ["--allow-reserved"])
            #expect(r.status == 1, "exit \(r.status): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "one sentence: \(r.stderr)")
            #expect(r.stderr.contains("holds 3 items that will not be probed, so nothing was"), "\(r.stderr)")
            for fragment in ["item 2 (8.8.8.8 port 80, line 2 '198.18.20.2'): not what that target line gives under the stored script",
                             "item 3 (198.18.20.0 port 22, line 3 '198.18.20.0/30'): not what",
                             "item 4 (198.18.21.4 port 80, line 4 'lab.example'): not what"] {
                #expect(r.stderr.contains(fragment), "missing '\(fragment)': \(r.stderr)")
            }
            #expect(!r.stderr.contains("item 1 ") && !r.stderr.contains("item 5 "), "the items as made are not refused: \(r.stderr)")
            #expect(Date().timeIntervalSince(started) < 10, "refused before probing")
            let status = try CLI.run(["campaign", "status", "--db", db, "--json"])
            #expect(status.stdout.contains("\"sessions\":[]") || status.stdout.contains("\"sessions\": []"), "no session began: \(status.stdout)")
        }
    }

    @Test("Special-purpose ranges need --allow-reserved now, whatever the store says")
    func allowReservedNow() throws {
        let items = [
            ItemInput(address: "198.18.20.1", name: nil, port: "80", line: 1, input: "198.18.20.1"),
            ItemInput(address: "127.0.0.1", name: nil, port: "80", line: 2, input: "127.0.0.1"),
        ]
        try store(items, allowReserved: true) { db in
            let r = resume(db)
            #expect(r.status == 1, "exit \(r.status): \(r.stderr)")
            for fragment in ["holds 2 items that will not be probed",
                             "item 1 (198.18.20.1 port 80, line 1 '198.18.20.1'): 198.18.20.1 is in 198.18.0.0/15",
                             "item 2 (127.0.0.1 port 80, line 2 '127.0.0.1'): 127.0.0.1 is in 127.0.0.0/8",
                             "The campaign was made with --allow-reserved; pass it to resume only if you trust this store"] {
                #expect(r.stderr.contains(fragment), "missing '\(fragment)': \(r.stderr)")
            }
            // Given now, the check passes: the items then fail for want of a route (no network here).
            let allowed = resume(db, ["--allow-reserved"])
            #expect(!allowed.stderr.contains("will not be probed"), "\(allowed.stderr)")
        }
    }

    @Test("CENSORSCOPE_ALLOW_RESERVED=1 outside a lab namespace lifts nothing")
    func environmentOutsideLab() throws {
        let dir = NSTemporaryDirectory() + "cstest-env-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.script.write(toFile: dir + "/s.yaml", atomically: true, encoding: .utf8)
        try "127.0.0.1\n".write(toFile: dir + "/t.txt", atomically: true, encoding: .utf8)
        let r = try CLI.run(["campaign", "run", dir + "/s.yaml", "--targets", dir + "/t.txt", "--db", dir + "/db.sqlite"],
                            environment: ["CENSORSCOPE_ALLOW_RESERVED": "1"])
        #expect(r.status == 1 && r.stderr.contains("special-purpose range: probing it needs --allow-reserved"), "\(r.status) \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/db.sqlite"))
        let probe = try CLI.run(["probe", "syn", "127.0.0.1", "--port", "9"], environment: ["CENSORSCOPE_ALLOW_RESERVED": "1"])
        #expect(probe.status != 0 && probe.stderr.contains("--allow-reserved"), "\(probe.status) \(probe.stderr)")
    }
}

/// Devices, sockets and oversized files are refused before they are read (Docs/data-formats.md,
/// "Size limits"): before, `/dev/zero` made `decode`, `analyze` and `report` grow until killed.
@Suite struct HostileInputFileTests {
    @Test("/dev/zero and /dev/urandom as any input: one sentence, at once", arguments: ["/dev/zero", "/dev/urandom"])
    func devices(_ device: String) throws {
        let commands: [[String]] = [
            ["decode", "--pcap", device], ["analyze", device], ["report", device, "--format", "json"],
            ["campaign", "run", device, "--targets", device, "--db", "/tmp/cstest-never.sqlite"],
            ["investigate", "198.18.9.2", "--experiment", device],
            ["lab", "censor", "--check", "--policy", device],
        ]
        for args in commands {
            let started = Date()
            let r = try CLI.run(args, timeout: 30)
            #expect(r.status == 1, "\(args): exit \(r.status): \(r.stderr)")
            #expect(r.stderr.contains("is a device, not a file"), "\(args): \(r.stderr)")
            #expect(Date().timeIntervalSince(started) < 5, "\(args) took \(Date().timeIntervalSince(started)) s")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/cstest-never.sqlite"))
    }

    @Test("decode --pcap of a 2 GiB capture streams it: peak RSS under 100 MB")
    func streamedCapture() throws {
        let path = NSTemporaryDirectory() + "cstest-big-\(UUID().uuidString).pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A sparse file: the pcap header, then 8,192 records of 262,144 zero bytes (their
        // headers written in place, the data left as holes), 2 GiB in all.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        let header = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(262_144) + le32(101)
        _ = header.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        let size = 262_144, records = 8192
        for i in 0..<records {
            let record = le32(UInt32(i)) + le32(0) + le32(UInt32(size)) + le32(UInt32(size))
            _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(24 + i * (16 + size))) }
        }
        try #require(ftruncate(fd, off_t(24 + records * (16 + size))) == 0)
        close(fd)
        let pid = try #require(Subprocess.start([CLI.binary, "decode", "--pcap", path], outputFile: path + ".out"))
        defer { try? FileManager.default.removeItem(atPath: path + ".out") }
        var status: Int32 = 0
        var usage = rusage()
        #expect(wait4(pid, &status, 0, &usage) == pid)
        let lines = (try? String(contentsOfFile: path + ".out", encoding: .utf8))?.split(separator: "\n").count ?? 0
        #expect(lines == records, "one line per packet: \(lines)")
        #expect(usage.ru_maxrss < 100 * 1024, "peak RSS \(usage.ru_maxrss / 1024) MiB")
    }
}
