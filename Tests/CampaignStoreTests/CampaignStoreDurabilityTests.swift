import CampaignStore
import Dispatch
import Foundation
import Synchronization
import Testing

@Suite("CampaignStore concurrency and durability")
struct CampaignStoreDurabilityTests {
    @Test(arguments: Backend.allCases) func sixteenThreadsRecordingTheSameItemsLeaveOneVerdictEach(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let itemCount = 200
        let store = try Fixture.store(in: dir, items: itemCount, backend: backend)
        let session = try store.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        let accepted = Atomic<Int>(0)
        let errors = Atomic<Int>(0)
        // Every thread tries every item, each from a different starting point: maximum contention.
        DispatchQueue.concurrentPerform(iterations: 16) { thread in
            for k in 0..<itemCount {
                let id = Int64((k + thread * 13) % itemCount + 1)
                do {
                    if try store.record(Fixture.result(item: id, session: session, answers: 4)) {
                        accepted.add(1, ordering: .relaxed)
                    }
                } catch {
                    errors.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(errors.load(ordering: .relaxed) == 0)
        #expect(accepted.load(ordering: .relaxed) == itemCount)
        let status = try store.status()
        #expect(status.done == itemCount && status.answers == itemCount * 4)
        #expect(Set(try store.verdicts().map(\.itemID)).count == itemCount)
        if backend == .sqlite {
            #expect(sqlite3(store.path, "SELECT count(*), count(DISTINCT item_id) FROM verdict;").output == "\(itemCount)|\(itemCount)")
        }
    }

    /// What kill -9 leaves behind is the main file and the WAL as they are on disk, the pool never
    /// closed and no checkpoint run. A copy of exactly those (without the -shm index, which SQLite
    /// rebuilds from the WAL) must open with every committed record and pass integrity_check.
    @Test func recordsCommittedBeforeAnAbruptStopSurviveInTheWAL() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 300)
        let session = try store.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        let recorded = 250
        for id in 1...recorded {
            #expect(try store.record(Fixture.result(item: Int64(id), session: session, verdict: id % 5 == 0 ? "drop" : "reachable",
                                                    answers: 20)))
        }
        try store.recordFailure(itemID: 300, message: "timeout", sessionID: session)
        let walSize = (try FileManager.default.attributesOfItem(atPath: store.path + "-wal")[.size] as? Int) ?? 0
        #expect(walSize > 0, "the records should still be in the WAL, not yet checkpointed")
        let copy = dir.file("after-kill.sqlite")
        try FileManager.default.copyItem(atPath: store.path, toPath: copy)
        try FileManager.default.copyItem(atPath: store.path + "-wal", toPath: copy + "-wal")
        withExtendedLifetime(store) {}

        #expect(sqlite3(copy, "PRAGMA integrity_check;").output == "ok")
        let reopened = try CampaignStore.open(at: copy)
        let status = try reopened.status()
        #expect(status.done == recorded && status.failed == 1 && status.pending == 300 - recorded - 1)
        #expect(status.answers == recorded * 20)
        #expect(status.verdictCounts == ["drop": recorded / 5, "reachable": recorded - recorded / 5])
        #expect(try reopened.answers(itemID: Int64(recorded)) == Fixture.answers(20, seed: recorded))
        #expect(status.sessions.first?.endedAt == nil)
        // Resume picks up exactly where the killed run stopped.
        #expect(try reopened.unfinishedItems().map(\.id).sorted() == Array(Int64(recorded + 1)...300))
        #expect(sqlite3(copy, "PRAGMA integrity_check;").output == "ok")
    }

    /// The queries Docs/campaign-store.md gives researchers, run with sqlite3 on a live store.
    @Test func documentedSQLiteQueriesWork() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 4)
        let session = try store.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        for (id, verdict) in [(1, "reachable"), (2, "rst-injection"), (3, "rst-injection")] {
            #expect(try store.record(Fixture.result(item: Int64(id), session: session, verdict: verdict, answers: 3)))
        }
        let counts = sqlite3(store.path, "SELECT verdict, count(*) FROM verdict GROUP BY verdict ORDER BY count(*) DESC;")
        #expect(counts.status == 0 && counts.output == "rst-injection|2\nreachable|1")
        let target = Fixture.items(4)[1].address
        let answers = sqlite3(store.path, """
            SELECT a.probe_index, a.probe_label, a.kind, a.source, a.ttl, a.ip_id, round(a.rtt_ms, 1), length(a.bytes)
            FROM answer a JOIN item i ON i.id = a.item_id
            WHERE i.address = '\(target)' AND i.port = '3478/udp'
            ORDER BY a.probe_index, a.id;
            """)
        #expect(answers.status == 0 && answers.output.split(separator: "\n").count == 3)
        #expect(answers.output.hasPrefix("0|syn-0|rst|198.18.1.1|64||"))
        let progress = sqlite3(store.path, """
            SELECT vt.name, count(v.id), (SELECT count(*) FROM item) - count(v.id)
            FROM vantage vt LEFT JOIN verdict v ON v.vantage_id = vt.id GROUP BY vt.id ORDER BY vt.id;
            """)
        #expect(progress.output == "default|3|1")
        let blocked = sqlite3(store.path, """
            SELECT i.address, i.port, v.verdict, v.trigger_kind, json_extract(v.json, '$.target')
            FROM verdict v JOIN item i ON i.id = v.item_id WHERE v.verdict <> 'reachable' ORDER BY i.line, i.address;
            """)
        #expect(blocked.output.split(separator: "\n").count == 2 && blocked.output.contains("|rst-injection|syn-size|198.18.0.1"))
        let times = sqlite3(store.path, "SELECT datetime(started_at, 'unixepoch') FROM campaign;")
        #expect(times.output == "2023-11-14 22:13:20")
    }

    /// Throughput of the writer (printed, not asserted): 10,000 results of 20 answers each,
    /// one transaction per result as the campaign runner records them.
    @Test func measureRecordingTenThousandResults() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let count = 10_000
        let store = try Fixture.store(in: dir, items: count)
        let session = try store.beginSession(command: "bench", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        let results = (1...count).map { Fixture.result(item: Int64($0), session: session, answers: 20) }
        let clock = ContinuousClock()
        let serial = try clock.measure {
            for result in results.prefix(count / 2) { _ = try store.record(result) }
        }
        let remaining = Array(results.dropFirst(count / 2))
        let failures = Atomic<Int>(0)
        let parallel = clock.measure {
            DispatchQueue.concurrentPerform(iterations: 16) { worker in
                for result in stride(from: worker, to: remaining.count, by: 16).map({ remaining[$0] }) {
                    if (try? store.record(result)) != true { failures.add(1, ordering: .relaxed) }
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        let status = try store.status()
        #expect(status.done == count && status.answers == count * 20)
        let size = (try FileManager.default.attributesOfItem(atPath: store.path)[.size] as? Int) ?? 0
        let wal = (try FileManager.default.attributesOfItem(atPath: store.path + "-wal")[.size] as? Int) ?? 0
        print("CampaignStore: \(count / 2) results x 20 answers from 1 thread in \(serial), "
            + "\(count / 2) from 16 threads in \(parallel); file \(size / 1024) KiB, WAL \(wal / 1024) KiB")
    }
}
