import Decoding
import Foundation
import JSONSupport
import Packets
import TestSupport
import Testing

/// `decode`'s job in-process: hex and capture files, text and JSON, its sentences.
@Suite struct DecodeJobTests {
    static let syn = "450000280001000040060000c6120102c612090200500050000000010000000050120000abcd0000"

    func run(_ job: DecodeJob) throws(DecodeJob.Failure) -> [DecodeJob.Output] {
        var out: [DecodeJob.Output] = []
        try job.run { out.append($0) }
        return out
    }

    @Test func hexAsTextAndJSON() throws {
        let text = try run(DecodeJob(hex: [Self.syn], pcap: nil, link: nil, count: nil, json: false))
        guard case .line(let line)? = text.first, text.count == 1 else { Issue.record("one line expected"); return }
        #expect(line.contains("198.18.1.2.80 > 198.18.9.2.80") && line.contains("Flags [S.]"), "\(line)")
        let json = try run(DecodeJob(hex: [Self.syn, Self.syn], pcap: nil, link: nil, count: nil, json: true))
        guard case .json(let first)? = json.first, json.count == 2 else { Issue.record("two objects expected"); return }
        #expect(first["index"] == .int(1) && first["tcp"]?["flags"] == "SA")
    }

    @Test func hexThatIsNoPacketIsOneSentence() {
        let link = #expect(throws: DecodeJob.Failure.self) { try run(DecodeJob(hex: ["0011"], pcap: nil, link: nil, count: nil, json: false)) }
        #expect(link?.description.hasPrefix("the bytes do not start with an IPv4 or IPv6 header") == true)
        let hex = #expect(throws: DecodeJob.Failure.self) { try run(DecodeJob(hex: ["zz"], pcap: nil, link: nil, count: nil, json: false)) }
        #expect(hex?.description.isEmpty == false)
        let cut = #expect(throws: DecodeJob.Failure.self) { try run(DecodeJob(hex: ["4500"], pcap: nil, link: .raw, count: nil, json: false)) }
        #expect(cut?.description.hasPrefix("the hex input is not a valid packet: ") == true)
    }

    @Test func captureFilesUpToTheCount() throws {
        let file = Repository.root.appendingPathComponent("Tests/MeasurementTests/Fixtures/telegram-80.pcapng").path
        let lines = try run(DecodeJob(hex: [], pcap: file, link: nil, count: 5, json: false))
        #expect(lines.count == 5)
        guard case .line(let first)? = lines.first else { Issue.record("a line expected"); return }
        #expect(first.contains(" IP (tos 0x0, ttl "), "\(first)")
        let missing = #expect(throws: DecodeJob.Failure.self) { try run(DecodeJob(hex: [], pcap: "/nonexistent", link: nil, count: nil, json: true)) }
        #expect(missing?.description.contains("/nonexistent") == true)
    }
}
