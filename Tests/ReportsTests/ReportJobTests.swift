import Foundation
import Records
import Reports
import Testing

/// `report` and `campaign report` without the binary: where the text goes.
@Suite struct ReportJobTests {
    static let record = InvestigationRecord(target: "198.18.9.2", port: 80, verdict: "reachable", blocked: false,
                                            summary: "198.18.9.2 port 80 is reachable.", trigger: nil)

    @Test func printedWithoutItsLastNewlineOrWrittenToTheFile() throws {
        #expect(try ReportJob.deliver("a\nb\n", to: nil) == "a\nb")
        #expect(try ReportJob.deliver("", to: nil) == nil)
        let path = NSTemporaryDirectory() + "cstest-report-\(getpid()).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ReportJob.run([Self.record], format: .csv, output: path, warn: { _ in }) == nil)
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written.hasPrefix("target,port,verdict") && written.contains("198.18.9.2,80,reachable"))
        let json = try ReportJob.run([Self.record], format: .json, output: nil, warn: { _ in })
        #expect(json?.hasPrefix("{") == true && json?.contains("198.18.9.2 port 80 is reachable.") == true && json?.hasSuffix("\n") == false)
        let failure = #expect(throws: (any Error).self) { _ = try ReportJob.deliver("x", to: "/nonexistent/dir/file") }
        #expect("\(failure.map { "\($0)" } ?? "")".hasPrefix("cannot write /nonexistent/dir/file: "))
    }
}
