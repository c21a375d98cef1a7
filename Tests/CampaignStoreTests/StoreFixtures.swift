import CampaignStore
import ChildProcess
import Foundation
import Testing
import TestSupport

/// The two store backends every parameterised store test runs against: a SQLite file, and a
/// new database in the test process's throwaway PostgreSQL cluster (`PostgresCluster`).
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// Where a new store goes: a file in `dir`, or a new empty database.
    func location(_ dir: ScratchDirectory, _ name: String = "store.sqlite") throws -> String {
        switch self {
        case .sqlite: return dir.file(name)
        case .postgres: return try PostgresCluster.shared().newDatabase()
        }
    }
}

/// A directory under /tmp for one test's files, removed by `remove()` (call it in `defer`).
struct ScratchDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/cstest-store-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CampaignStoreError("mkdtemp failed") }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

enum Fixture {
    static let startedAt = Date(timeIntervalSince1970: 1_700_000_000.25)

    static func metadata(name: String = "telegram-dc") -> CampaignMetadata {
        CampaignMetadata(name: name, scriptPath: "Probes/campaigns/\(name).yaml",
                         scriptText: "name: \(name)\nexperiments:\n  - syn-variants\n", scriptSHA256: String(repeating: "ab", count: 32),
                         targetsPath: "targets.txt", softwareVersion: "0.9.0-test", startedAt: startedAt,
                         vantageAddress: "198.18.0.2", vantageASN: 64500, vantageASName: "Example Net",
                         options: ["rate": "100", "parallel": "16", "seed": "42", "allow_reserved": "true"])
    }

    /// `count` items, two per target-list line, TCP 443 and UDP 3478 alternately.
    static func items(_ count: Int) -> [ItemInput] {
        (0..<count).map { i in
            let line = i / 2 + 1
            let address = "198.18.\(line / 250).\(line % 250 + 1)"
            return ItemInput(address: address, name: i % 4 == 0 ? "dc\(line).example" : nil,
                             port: i % 2 == 0 ? "443" : "3478/udp", line: line, input: "\(address) 443 3478/udp")
        }
    }

    /// A fixed shuffle: run position i -> item (i * 7 + 3) mod count when 7 is coprime to count.
    static func order(_ count: Int) -> [Int] {
        count % 7 == 0 ? Array((0..<count).reversed()) : (0..<count).map { ($0 * 7 + 3) % count }
    }

    static func answers(_ count: Int, seed: Int) -> [RecordedAnswer] {
        (0..<count).map { k in
            let ipID: Int? = k % 5 == 0 ? nil : (seed + k) & 0xFFFF
            let rtt: Double? = k % 4 == 0 ? nil : Double(k) * 1.5
            let length = 40 + k % 24
            let bytes: [UInt8] = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &+ k) }
            return RecordedAnswer(probeIndex: k / 2, probeLabel: "syn-\(k / 2)", kind: k % 3 == 0 ? "rst" : "syn-ack",
                                  source: "198.18.1.\(k % 200 + 1)", ttl: 64 - k % 30, ipID: ipID, rttMilliseconds: rtt,
                                  capturedAt: 1_700_000_100 + Double(k) / 8, bytes: bytes)
        }
    }

    static func result(item: Int64, session: Int64, verdict: String = "reachable", answers: Int = 3) -> ItemResult {
        ItemResult(itemID: item, verdict: verdict, trigger: verdict == "reachable" ? nil : "syn-size",
                   confidence: "high", json: #"{"target":"198.18.0.1","verdict":"\#(verdict)"}"#,
                   answers: Fixture.answers(answers, seed: Int(item)), probesSent: 12,
                   startedAt: startedAt.addingTimeInterval(Double(item)),
                   finishedAt: startedAt.addingTimeInterval(Double(item) + 0.5), evidenceFile: nil, sessionID: session)
    }

    /// A new store with `count` items in `order(count)` and one resolved name.
    static func store(in dir: ScratchDirectory, items count: Int, name: String = "store.sqlite", backend: Backend = .sqlite) throws -> CampaignStore {
        try CampaignStore.create(at: try backend.location(dir, name), metadata: metadata(), items: items(count), order: order(count),
                                 resolved: [ResolvedNameRecord(name: "dc1.example", addresses: ["198.18.0.2", "2001:db8::2"],
                                                               line: 1, resolvedAt: startedAt)])
    }
}

/// Runs sqlite3 (the tool researchers use on the file) and returns its stdout, trimmed.
func sqlite3(_ path: String, _ sql: String) -> (status: Int32, output: String) {
    let result = Subprocess.run(["sqlite3", path, sql], timeout: 60)
    return (result.status, (result.stdout + result.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
}
