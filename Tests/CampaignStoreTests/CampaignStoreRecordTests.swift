import CampaignStore
import Foundation
import JSONSupport
import Testing

@Suite("CampaignStore recording")
struct CampaignStoreRecordTests {
    @Test(arguments: Backend.allCases) func recordIsIdempotent(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 4, backend: backend)
        let session = try store.beginSession(command: "censorscope campaign run", pid: 100, at: Fixture.startedAt, vantageAddress: nil)
        #expect(try store.record(Fixture.result(item: 2, session: session, answers: 5)))
        let before = try store.status()
        #expect(before.done == 1 && before.answers == 5 && before.verdictCounts == ["reachable": 1])
        // Same item again, even with another verdict and more answers: refused, nothing written.
        #expect(try store.record(Fixture.result(item: 2, session: session, verdict: "rst-injection", answers: 9)) == false)
        let after = try store.status()
        #expect(after == before)
        #expect(try store.answers(itemID: 2) == Fixture.answers(5, seed: 2))
        #expect(try store.verdicts().map(\.verdict) == ["reachable"])
        #expect(try store.items().first { $0.id == 2 }?.attempts == 1)
    }

    @Test(arguments: Backend.allCases) func recordRefusesAnUnknownItemOrSession(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 2, backend: backend)
        let session = try store.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        let unknownItem = #expect(throws: CampaignStoreError.self) { _ = try store.record(Fixture.result(item: 99, session: session)) }
        #expect(unknownItem?.description.contains("Item 99 is not in campaign store") == true)
        #expect(throws: CampaignStoreError.self) { _ = try store.record(Fixture.result(item: 1, session: session + 5)) }
        #expect(throws: CampaignStoreError.self) { try store.recordFailure(itemID: 1, message: "x", sessionID: session + 5) }
        #expect(throws: CampaignStoreError.self) { try store.endSession(session + 5, outcome: "finished", at: Fixture.startedAt) }
        let status = try store.status()
        #expect(status.done == 0 && status.failed == 0 && status.answers == 0)
    }

    @Test(arguments: Backend.allCases) func failureThenSuccess(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 3, backend: backend)
        let first = try store.beginSession(command: "run", pid: 10, at: Fixture.startedAt, vantageAddress: "198.18.0.2")
        try store.recordFailure(itemID: 3, message: "no route to 198.18.0.3", sessionID: first)
        try store.recordFailure(itemID: 3, message: "capture failed", sessionID: first)
        var failed = try #require(try store.unfinishedItems().first { $0.id == 3 })
        #expect(failed.state == .failed && failed.attempts == 2 && failed.lastError == "capture failed")
        #expect(try store.status().failed == 1)
        try store.endSession(first, outcome: "interrupted", at: Fixture.startedAt.addingTimeInterval(5))

        let second = try store.beginSession(command: "resume", pid: 11, at: Fixture.startedAt.addingTimeInterval(9), vantageAddress: nil)
        #expect(try store.record(Fixture.result(item: 3, session: second, verdict: "drop")))
        #expect(try store.unfinishedItems().contains { $0.id == 3 } == false)
        failed = try #require(try store.items().first { $0.id == 3 })
        #expect(failed.state == .done && failed.attempts == 3 && failed.lastError == "capture failed")
        // A failure reported after the verdict (a straggling worker) leaves the done item alone.
        try store.recordFailure(itemID: 3, message: "late", sessionID: second)
        #expect(try store.items().first { $0.id == 3 } == failed)
        let verdict = try #require(try store.verdicts().first)
        #expect(verdict.sessionID == second && verdict.verdict == "drop" && verdict.trigger == "syn-size")
        let status = try store.status()
        #expect(status.failed == 0 && status.done == 1 && status.pending == 2)
        #expect(status.sessions.map(\.outcome) == ["interrupted", nil])
    }

    @Test(arguments: Backend.allCases) func unfinishedItemsFollowRunPositions(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let order = Fixture.order(20)
        let store = try Fixture.store(in: dir, items: 20, backend: backend)
        let ids = order.map { Int64($0 + 1) }
        #expect(try store.unfinishedItems().map(\.id) == ids)
        #expect(try store.unfinishedItems().map(\.position) == Array(0..<20))
        let session = try store.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        for id in ids.prefix(7) { #expect(try store.record(Fixture.result(item: id, session: session))) }
        try store.recordFailure(itemID: ids[12], message: "timeout", sessionID: session)
        let remaining = try store.unfinishedItems()
        #expect(remaining.map(\.id) == Array(ids.dropFirst(7)))
        #expect(remaining.filter { $0.state == .failed }.map(\.id) == [ids[12]])
    }

    @Test(arguments: Backend.allCases) func statusCountsVerdictsAnswersProbesAndSessions(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 6, backend: backend)
        let session = try store.beginSession(command: "censorscope campaign run x.yaml", pid: 4242,
                                             at: Fixture.startedAt, vantageAddress: "198.18.0.2")
        let verdicts = ["reachable", "rst-injection", "reachable", "drop"]
        for (k, verdict) in verdicts.enumerated() {
            #expect(try store.record(Fixture.result(item: Int64(k + 1), session: session, verdict: verdict, answers: k)))
        }
        try store.recordFailure(itemID: 5, message: "timeout", sessionID: session)
        #expect(try store.finish(at: Fixture.startedAt) == false)
        try store.endSession(session, outcome: "error", at: Fixture.startedAt.addingTimeInterval(60))

        let status = try store.status()
        #expect(status.total == 6 && status.done == 4 && status.failed == 1 && status.pending == 1)
        #expect(status.verdictCounts == ["reachable": 2, "rst-injection": 1, "drop": 1])
        #expect(status.answers == 0 + 1 + 2 + 3 && status.probesSent == 48)
        #expect(status.lastFinishedAt == Fixture.startedAt.addingTimeInterval(4.5))
        #expect(status.endedAt == nil && status.name == "telegram-dc" && status.vantageASN == 64500)
        #expect(status.sessions.count == 1 && status.sessions[0].pid == 4242 && status.sessions[0].outcome == "error")

        let json = status.json
        #expect(json["total"] == 6 && json["done"] == 4 && json["failed"] == 1 && json["pending"] == 1)
        #expect(json["verdicts"] == ["drop": 1, "reachable": 2, "rst-injection": 1])
        #expect(json["started_at"] == "2023-11-14T22:13:20.250Z")
        #expect(json["ended_at"] == .null && json["complete"] == false)
        #expect(json["vantage"]?["asn"] == 64500)
        #expect(json["sessions"] == [["id": 1, "command": "censorscope campaign run x.yaml", "pid": 4242,
                                      "started_at": "2023-11-14T22:13:20.250Z", "ended_at": "2023-11-14T22:14:20.250Z",
                                      "outcome": "error", "vantage_address": "198.18.0.2", "vantage": "default"]])
        let text = status.textLines.joined(separator: "\n")
        #expect(text.contains("Items: 6 total, 4 done (66%), 1 failed (retried on resume), 1 pending"))
        #expect(text.contains("Verdicts: reachable 2, drop 1, rst-injection 1"))
        #expect(text.contains("vantage 198.18.0.2 (AS64500 Example Net)"))
    }

    @Test(arguments: Backend.allCases) func finishSetsTheEndOnlyWhenEveryItemIsDone(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 2, backend: backend)
        let session = try store.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        #expect(try store.record(Fixture.result(item: 1, session: session)))
        #expect(try store.finish(at: Fixture.startedAt.addingTimeInterval(10)) == false)
        #expect(try store.metadata().endedAt == nil)
        #expect(try store.record(Fixture.result(item: 2, session: session)))
        let end = Fixture.startedAt.addingTimeInterval(20)
        #expect(try store.finish(at: end))
        #expect(try store.finish(at: end.addingTimeInterval(99)))
        #expect(try store.metadata().endedAt == end)
        #expect(try store.status().json["complete"] == true)
    }

    @Test(arguments: Backend.allCases) func updateVantageReplacesAllThreeFields(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 1, backend: backend)
        try store.updateVantage(address: "2001:db8::9", asn: nil, asName: nil)
        let metadata = try store.metadata()
        #expect(metadata.vantageAddress == "2001:db8::9" && metadata.vantageASN == nil && metadata.vantageASName == nil)
        #expect(try store.status().json["vantage"] == ["address": "2001:db8::9", "asn": nil, "as_name": nil])
    }

    @Test(arguments: Backend.allCases) func verdictsFollowTheListOrderAndAnswersRoundTrip(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let items = [ItemInput(address: "198.18.0.1", name: "a.example", port: "3478/udp", line: 1, input: "a.example"),
                     ItemInput(address: "198.18.0.9", name: nil, port: "80", line: 2, input: "198.18.0.8/29"),
                     ItemInput(address: "198.18.0.9", name: nil, port: "443", line: 2, input: "198.18.0.8/29"),
                     ItemInput(address: "198.18.0.10", name: nil, port: "80", line: 2, input: "198.18.0.8/29")]
        let store = try CampaignStore.create(at: try backend.location(dir, "order.sqlite"), metadata: Fixture.metadata(), items: items,
                                             order: [3, 1, 0, 2], resolved: [])
        let session = try store.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        for id: Int64 in [4, 2, 1, 3] { #expect(try store.record(Fixture.result(item: id, session: session, answers: Int(id)))) }
        // The list's order (the items' creation order), whatever order they ran and finished in.
        #expect(try store.verdicts().map(\.itemID) == [1, 2, 3, 4])
        let verdict = try #require(try store.verdicts().first)
        #expect(verdict.address == "198.18.0.1" && verdict.name == "a.example" && verdict.port == "3478/udp" && verdict.line == 1)
        #expect(verdict.probesSent == 12 && verdict.json.contains("\"verdict\":\"reachable\""))
        #expect(verdict.finishedAt == Fixture.startedAt.addingTimeInterval(1.5))
        let answers = try store.answers(itemID: 4)
        #expect(answers == Fixture.answers(4, seed: 4))
        #expect(answers.contains { $0.ipID == nil } && answers.contains { $0.rttMilliseconds == nil })
        #expect(try store.answers(itemID: 99).isEmpty)
    }
}
