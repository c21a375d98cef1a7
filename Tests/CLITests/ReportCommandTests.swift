import Capture
import Foundation
import TestSupport
import Testing

/// `censorscope report`, run as a user would, on the fixtures of Tests/ReportsTests.
@Suite struct ReportCommandTests {
    static let fixtures = CLI.repositoryRoot.appendingPathComponent("Tests/ReportsTests/Fixtures")
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    @Test func everyTextFormatFromAFile() throws {
        let rst = Self.fixture("rst-injection-syn-size.json")
        let json = try CLI.run(["report", rst, "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(try CLI.json(json.stdout)["verdict"] as? String == "rst-injection")
        let ooni = try CLI.run(["report", rst, "--format", "ooni"])
        #expect(ooni.status == 0)
        #expect(ooni.lines.count == 1)
        let m = try CLI.json(ooni.lines[0])
        #expect(m["test_name"] as? String == "censorscope_investigate")
        #expect(m["input"] as? String == "198.18.9.2:80")
        let csv = try CLI.run(["report", rst, "--format", "csv"])
        #expect(csv.status == 0)
        #expect(csv.stdout.hasPrefix("target,port,verdict,blocked,trigger,"))
        #expect(csv.stdout.contains("\r\n198.18.9.2,80,rst-injection,true,syn-size,2,198.18.2.2,"))
        let md = try CLI.run(["report", rst, "--format", "md"])
        #expect(md.status == 0)
        #expect(md.stdout.contains("## 1. 198.18.9.2:80: rst-injection"))
        let html = try CLI.run(["report", rst, "--format", "html"])
        #expect(html.status == 0)
        #expect(html.stdout.hasPrefix("<!DOCTYPE html>"))
        #expect(html.stdout.contains("<svg "))
    }

    @Test func jsonLinesFromStandardInputToAnOutputFile() throws {
        var lines = ""
        for name in ["rst-injection-syn-size.json", "reachable.json", "drop-silent-path.json", "onpath-payload.json"] {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.fixture(name))))
            lines += String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self) + "\n"
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cs-report-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try CLI.run(["report", "-", "--format", "csv", "--output", out.path], stdin: lines)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let csv = try String(contentsOf: out, encoding: .utf8)
        #expect(csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 5)
        let ooni = try CLI.run(["report", "-", "--format", "ooni"], stdin: lines)
        #expect(ooni.lines.count == 4)
    }

    @Test func pcapngWritesTheAnnotatedEvidence() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cs-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // An evidence file with six packets: the story's short SYN six times, each with a comment.
        let syn = Array("4500002cf1ed000013069dd0c0a800029f59b80ae2c90050e5693ed500000000600216d061ef0000020405b4".utf8)
        var hex: [UInt8] = []
        for i in stride(from: 0, to: syn.count, by: 2) { hex.append(UInt8(String(decoding: syn[i..<i + 2], as: UTF8.self), radix: 16)!) }
        let evidence = dir.appendingPathComponent("evidence.pcapng").path
        let writer = try PcapngWriter(path: evidence)
        try writer.addInterface(linkType: .raw)
        for i in 0..<6 {
            try writer.write(data: hex, timestamp: CaptureTimestamp(seconds: 1_795_000_000 + Int64(i), nanoseconds: 0),
                             comment: "probe \(i + 1) sent")
        }
        try writer.close()
        var text = try String(contentsOfFile: Self.fixture("rst-injection-syn-size.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "/tmp/censorscope-evidence-example.pcapng", with: evidence)
        let result = dir.appendingPathComponent("result.json").path
        try text.write(toFile: result, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("report.pcapng").path
        let r = try CLI.run(["report", result, "--format", "pcapng", "--output", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("wrote 6 packets (6 annotated"))
        #expect(FileManager.default.fileExists(atPath: out))
        let noOutput = try CLI.run(["report", result, "--format", "pcapng"])
        #expect(noOutput.status != 0)
        #expect(noOutput.stderr.contains("--output"))
    }

    @Test(arguments: [
        (["report", "/nonexistent/result.json", "--format", "json"], "cannot read the input file /nonexistent/result.json"),
        (["report", "-", "--format", "xml"], "unknown format 'xml'"),
        (["report", "-", "--format", "csv"], "standard input is not JSON"),
    ])
    func failsWithOneSentence(args: [String], fragment: String) throws {
        let r = try CLI.run(args, stdin: "not json at all")
        #expect(r.status != 0)
        #expect(r.stderr.contains(fragment), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func aResultWithoutAVerdictIsRejected() throws {
        let r = try CLI.run(["report", "-", "--format", "md"], stdin: "{\"target\": \"198.18.9.2\", \"port\": 80}")
        #expect(r.status == 1)
        #expect(r.stderr == "error: result 1 has no \"verdict\" string, so it is not an investigation\n")
        let pcap = try CLI.run(["report", Self.fixture("reachable.json"), "--format", "pcapng", "--output", "/tmp/cs-never-written.pcapng"])
        #expect(pcap.status == 1)
        #expect(pcap.stderr.contains("names no evidence_file"))
    }
}
