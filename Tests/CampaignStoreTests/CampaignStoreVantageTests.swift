import CampaignStore
import Dispatch
import Foundation
import JSONSupport
import Synchronization
import Testing

@Suite("CampaignStore vantages")
struct CampaignStoreVantageTests {
    @Test(arguments: Backend.allCases) func twoVantagesEachMeasureEveryItemOnce(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let a = try CampaignStore.create(at: try backend.location(dir), metadata: Fixture.metadata(), items: Fixture.items(4),
                                         order: Fixture.order(4), resolved: [], vantage: "here")
        let b = try CampaignStore.join(at: a.path, vantage: VantageInput(name: "there", address: "198.18.9.2", asn: 64501, asName: "Other",
                                                                          softwareVersion: "0.9.1"), at: Fixture.startedAt)
        #expect(try a.vantages().map(\.name) == ["here", "there"])
        #expect(b.vantage.asn == 64501 && a.vantage.address == "198.18.0.2")
        let sa = try a.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        let sb = try b.beginSession(command: "join", pid: 2, at: Fixture.startedAt, vantageAddress: nil)
        #expect(try a.record(Fixture.result(item: 1, session: sa, verdict: "rst-injection", answers: 2)))
        #expect(try b.record(Fixture.result(item: 1, session: sb, verdict: "reachable", answers: 3)))
        // The same (vantage, item) twice is refused; the other vantage's result is not a duplicate.
        #expect(try b.record(Fixture.result(item: 1, session: sb)) == false)
        #expect(try a.unfinishedItems().count == 3 && b.unfinishedItems().count == 3)
        #expect(try a.answers(itemID: 1).count == 2 && b.answers(itemID: 1).count == 3)
        let verdicts = try a.verdicts()
        #expect(verdicts.map(\.vantage) == ["here", "there"] && verdicts.map(\.verdict) == ["rst-injection", "reachable"])
        #expect(try a.answers(itemID: 1, vantageID: verdicts[1].vantageID).count == 3)

        try b.recordFailure(itemID: 2, message: "timeout", sessionID: sb)
        let status = try a.status()
        #expect(status.total == 8 && status.done == 2 && status.failed == 1 && status.pending == 5)
        #expect(status.vantages.map(\.name) == ["here", "there"])
        #expect(status.vantages.map(\.done) == [1, 1] && status.vantages.map(\.failed) == [0, 1])
        #expect(status.sessions.map(\.vantage) == ["here", "there"])
        if case .array(let list)? = status.json["vantages"] { #expect(list.count == 2) } else { Issue.record("no vantages array") }
        #expect(try a.items().first { $0.id == 2 }?.state == .pending && b.items().first { $0.id == 2 }?.state == .failed)

        for id: Int64 in 2...4 { #expect(try a.record(Fixture.result(item: id, session: sa))) }
        #expect(try a.finish(at: Fixture.startedAt) == false, "the other vantage has not finished")
        for id: Int64 in 2...4 { #expect(try b.record(Fixture.result(item: id, session: sb))) }
        #expect(try a.finish(at: Fixture.startedAt))
    }

    @Test(arguments: Backend.allCases) func vantageNamesAreCheckedOnJoinAndOpen(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 2, backend: backend)
        let input = VantageInput(name: "default", address: nil, asn: nil, asName: nil, softwareVersion: "x")
        let taken = #expect(throws: CampaignStoreError.self) { _ = try CampaignStore.join(at: store.path, vantage: input, at: Fixture.startedAt) }
        #expect(taken?.description.contains("already has a vantage named default") == true)
        let unknown = #expect(throws: CampaignStoreError.self) { _ = try CampaignStore.open(at: store.path, vantage: "mars") }
        #expect(unknown?.description.contains("has no vantage named mars (it has default)") == true)
        #expect(try CampaignStore.open(at: store.path).vantage.name == "default")
    }

    @Test(arguments: Backend.allCases) func threeVantagesRecordingAtOnceLoseAndDuplicateNothing(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let items = 120
        let first = try Fixture.store(in: dir, items: items, backend: backend)
        var stores = [first]
        for name in ["b", "c"] {
            stores.append(try CampaignStore.join(at: first.path, vantage: VantageInput(name: name, address: nil, asn: nil, asName: nil,
                                                                                        softwareVersion: "x"), at: Fixture.startedAt))
        }
        let sessions = try stores.map { try $0.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil) }
        let writers = stores
        let errors = Atomic<Int>(0)
        // Four threads per vantage, each trying every item: duplicates within a vantage race.
        DispatchQueue.concurrentPerform(iterations: 12) { t in
            let v = t % 3
            for k in 0..<items {
                let id = Int64((k + t * 7) % items + 1)
                do { _ = try writers[v].record(Fixture.result(item: id, session: sessions[v], answers: 2)) } catch { errors.add(1, ordering: .relaxed) }
            }
        }
        #expect(errors.load(ordering: .relaxed) == 0)
        let verdicts = try first.verdicts()
        #expect(verdicts.count == 3 * items)
        #expect(Set(verdicts.map { "\($0.vantage) \($0.itemID)" }).count == 3 * items)
        #expect(try first.status().answers == 3 * items * 2)
    }

    @Test(arguments: Backend.allCases) func aSessionLockIsPerVantageAndReleased(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 1, backend: backend)
        let lock = try store.lockSession()
        #expect(throws: CampaignStoreError.self) { _ = try CampaignStore.open(at: store.path).lockSession() }
        if backend == .postgres {
            // Another vantage of the same database runs at the same time.
            let other = try CampaignStore.join(at: store.path, vantage: VantageInput(name: "b", address: nil, asn: nil, asName: nil, softwareVersion: "x"),
                                               at: Fixture.startedAt)
            try other.lockSession().release()
        }
        lock.release()
        try store.lockSession().release()
    }
}
