import CampaignStore
import Foundation
import Records
import Testing

@Suite("CampaignStore typed records")
struct CampaignStoreRecordAccessTests {
    @Test(arguments: Backend.allCases) func aRecordGoesInAndComesBackTyped(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 2, backend: backend)
        let session = try store.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        let record = InvestigationRecord(
            target: "198.18.0.1", port: 80, verdict: "rst-injection", blocked: true, summary: "SYNs are reset.",
            trigger: .init(kind: "syn-size", detail: "60 bytes or more", blocked: ["linux (60 bytes)"], passed: ["mss (44 bytes)"]),
            location: .init(ttl: 2, address: "198.18.2.2", before: "198.18.1.1", onPath: false, confidence: "high", reason: "r"),
            run: .init(transport: "tcp", name: nil, script: "lab", seed: 7))
        let result = ItemResult(itemID: 1, record: record, answers: Fixture.answers(2, seed: 1), probesSent: 9,
                                startedAt: Fixture.startedAt, finishedAt: Fixture.startedAt.addingTimeInterval(1),
                                evidenceFile: nil, sessionID: session)
        #expect(result.verdict == "rst-injection" && result.trigger == "syn-size" && result.confidence == "high")
        #expect(try store.record(result))
        let back = try store.investigations()
        #expect(back == [record])
        #expect(try store.verdicts().first?.record().run?.script == "lab")
    }

    @Test(arguments: Backend.allCases) func anUnreadableRowIsAnError(_ backend: Backend) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let store = try Fixture.store(in: dir, items: 1, backend: backend)
        let session = try store.beginSession(command: "run", pid: 1, at: Fixture.startedAt, vantageAddress: nil)
        var result = Fixture.result(item: 1, session: session)
        result.json = "[1, 2"
        #expect(try store.record(result))
        let error = #expect(throws: CampaignStoreError.self) { _ = try store.investigations() }
        #expect(error?.description.hasPrefix("item 1 (") == true && error?.description.contains("not JSON") == true, "\(String(describing: error))")
    }
}
