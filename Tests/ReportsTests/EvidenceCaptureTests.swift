import Capture
import ChildProcess
import Foundation
import JSONSupport
import Packets
import Records
import Reports
import Testing

/// A small evidence file like `investigate` writes: the founding story's packets (seeds/003),
/// raw IPv4, each with the comment the run gave it.
enum EvidenceFile {
    static let packets: [(hex: String, comment: String?)] = [
        ("4500002cf1ed000013069dd0c0a800029f59b80ae2c90050e5693ed50000000060021 6d061ef0000020405b4", "probe 1 sent: syn mss ttl 64 #1"),
        ("4500002c00004000330 62fbe9f59b80ac0a800020050e2c997a35f23e5693ed660127210 0feb0000020405a00000", "answer to probe 1: syn-ack ttl 51"),
        ("4500003cd6760000130 6b937c0a800029f59b80aa4d10050a609d8f500000000a00216d0e9000000020405b40402080a6285a97f0000000001030302", "probe 2 sent: syn linux ttl 64 #2"),
        ("45000028000100000806 9ac19f59b80ac0a800020050a4d100000000a609d8f5500416d05ce10000000000000000", "answer to probe 2: rst ttl 8"),
        ("45000028f1f8400040063 0c9c0a800029f59b80ae2c90050e5693ed6000000005004000090780000", nil),
        ("4500003cd6770000020 6b937c0a800029f59b80aa4d10050a609d8f500000000a00216d0e9000000020405b40402080a6285a97f0000000001030302", "probe 3 sent: syn linux ttl 2 #3"),
    ]

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = hex.filter(\.isHexDigit)
        var out: [UInt8] = []
        var i = digits.startIndex
        while i < digits.endIndex, let j = digits.index(i, offsetBy: 2, limitedBy: digits.endIndex) {
            out.append(UInt8(digits[i..<j], radix: 16) ?? 0)
            i = j
        }
        return out
    }

    static func write(_ path: String) throws {
        let writer = try PcapngWriter(path: path)
        try writer.addInterface(linkType: .raw, name: "cstest0")
        for (i, p) in packets.enumerated() {
            try writer.write(data: bytes(p.hex), timestamp: CaptureTimestamp(seconds: 1_795_000_000, nanoseconds: UInt32(i) * 1_000_000),
                             comment: p.comment)
        }
        try writer.close()
    }
}

/// The rst-injection fixture with `evidence_file` pointing at `path`.
func investigation(evidenceFile path: JSONValue, evidence: JSONValue? = nil) throws -> InvestigationRecord {
    let raw = try JSONParser.parse(bytes: Fixtures.bytes("rst-injection-syn-size.json"))
    guard case .object(var fields) = raw else { throw ReportError("fixture is not an object") }
    for i in fields.indices where fields[i].key == "evidence_file" { fields[i].value = path }
    if let evidence { for i in fields.indices where fields[i].key == "evidence" { fields[i].value = evidence } }
    return try InvestigationRecord(json: .object(fields))
}

@Suite struct EvidenceCaptureTests {
    let directory: URL = {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("cs-evidence-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @Test func namedPacketsGainTheirClaimOthersKeepTheirComment() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try EvidenceFile.write(path("evidence.pcapng"))
        let inv = try investigation(evidenceFile: .string(path("evidence.pcapng")), evidence: [
            ["claim": "A forged RST answered the 60-byte SYN.", "packets": [3, 4]],
            ["claim": "The host answers 44-byte SYNs.", "packets": [1, 2, 2]],
            ["claim": "The kernel reset its own half-open connection.", "packets": [5]],
            ["claim": "Frame 4 is also the TTL witness.", "packets": [4, 99]],
        ])
        let outcome = try EvidenceCapture.write([inv], to: path("report.pcapng"))
        #expect(outcome.packetsWritten == 6)
        #expect(outcome.packetsAnnotated == 5)
        #expect(outcome.missingFrames.count == 1)
        #expect(outcome.missingFrames.first?.frames == [99])
        let original = CaptureFileReader.readAll(path: path("evidence.pcapng"))
        let copied = CaptureFileReader.readAll(path: path("report.pcapng"))
        #expect(copied.error == nil)
        #expect(copied.packets.count == 6)
        #expect(copied.packets.map(\.data) == original.packets.map(\.data))
        #expect(copied.packets.map(\.timestamp) == original.packets.map(\.timestamp))
        #expect(copied.packets.map(\.linkType) == Array(repeating: .raw, count: 6))
        let comments = copied.packets.map(\.comment)
        #expect(comments[0] == "probe 1 sent: syn mss ttl 64 #1\nproves: The host answers 44-byte SYNs.")
        #expect(comments[2] == "probe 2 sent: syn linux ttl 64 #2\nproves: A forged RST answered the 60-byte SYN.")
        #expect(comments[3] == "answer to probe 2: rst ttl 8\nproves: A forged RST answered the 60-byte SYN.\nproves: Frame 4 is also the TTL witness.")
        #expect(comments[4] == "proves: The kernel reset its own half-open connection.")
        #expect(comments[5] == "probe 3 sent: syn linux ttl 2 #3")
        #expect(try copied.packets[3].decode().ip != nil)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"), "tshark is not installed"))
    func tsharkShowsTheComments() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try EvidenceFile.write(path("evidence.pcapng"))
        let inv = try investigation(evidenceFile: .string(path("evidence.pcapng")))
        try EvidenceCapture.write([inv], to: path("report.pcapng"))
        let r = Subprocess.run(["/usr/bin/tshark", "-r", path("report.pcapng"), "-T", "json", "-e", "frame.number",
                                "-e", "frame.comment", "-e", "ip.ttl"], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        let frames = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(frames.count == 6)
        func field(_ i: Int, _ name: String) -> [String] {
            ((frames[i]["_source"] as? [String: Any])?["layers"] as? [String: Any])?[name] as? [String] ?? []
        }
        let claim = "proves: A RST without ACK answered the 60-byte SYN with TTL 58, where the host's own SYN-ACK arrives with TTL 60."
        #expect(field(3, "frame.comment").joined(separator: "\n") == "answer to probe 2: rst ttl 8\n" + claim)
        #expect(field(3, "ip.ttl") == ["8"])
        #expect(field(5, "frame.comment").joined(separator: "\n").hasPrefix("probe 3 sent: syn linux ttl 2 #3\nproves: The 60-byte SYN sent with TTL 2"))
        #expect(field(4, "frame.comment").joined(separator: "\n") == "proves: The 60-byte SYN sent with TTL 2 drew the same forged RST: the device is at hop 2.")
    }

    @Test func severalResultsGoIntoOneFileNamingTheirEndpoint() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try EvidenceFile.write(path("evidence.pcapng"))
        let first = try investigation(evidenceFile: .string(path("evidence.pcapng")))
        let outcome = try EvidenceCapture.write([first, first], to: path("report.pcapng"))
        #expect(outcome.packetsWritten == 12)
        let copied = CaptureFileReader.readAll(path: path("report.pcapng")).packets
        #expect(copied.count == 12)
        #expect(copied[5].comment == "probe 3 sent: syn linux ttl 2 #3\nproves: The 60-byte SYN sent with TTL 2 drew the same forged RST: the device is at hop 2.\ninvestigation: 198.18.9.2:80")
        #expect(copied[11].interfaceIndex == 1)
    }

    @Test func missingOrBrokenEvidenceIsOneClearError() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let noFile = try investigation(evidenceFile: .null)
        #expect { try EvidenceCapture.write([noFile], to: path("a.pcapng")) } throws: { error in
            "\(error)".contains("names no evidence_file")
        }
        #expect(!FileManager.default.fileExists(atPath: path("a.pcapng")))
        let absent = try investigation(evidenceFile: .string(path("absent.pcapng")))
        #expect { try EvidenceCapture.write([absent], to: path("b.pcapng")) } throws: { error in
            "\(error)".contains("cannot read the evidence file of 198.18.9.2:80")
        }
        try Data("not a capture".utf8).write(to: URL(fileURLWithPath: path("text.pcapng")))
        let notPcap = try investigation(evidenceFile: .string(path("text.pcapng")))
        #expect(throws: ReportError.self) { try EvidenceCapture.write([notPcap], to: path("c.pcapng")) }
        #expect(EvidenceCapture.comment(original: nil, claims: []) == nil)
    }
}
