import Capture
import Foundation
import Packets
import ProbeSession
import Testing

@Suite struct EvidenceFileTests {
    static let sample = "/work/shared/centrace-sample/188.65.24.82_www.nifty.org_www.nifty.org.pcap"

    func temporaryPath() -> String {
        NSTemporaryDirectory() + "cstest-evidence-\(getpid())-\(Int.random(in: 0..<1_000_000)).pcapng"
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: sample), "needs the CenTrace sample captures"))
    func recordedPacketsAndBuiltProbesComeBackWithTheirComments() throws {
        let (recorded, error) = CaptureFileReader.readAll(path: Self.sample)
        #expect(error == nil)
        let packets = Array(recorded.prefix(20))
        try #require(packets.count >= 2)
        let first = try #require(packets[0].decode().ip)
        let probeBytes = first.serialized(fillLengths: false, fillChecksums: false)
        let probeTime = CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)

        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let evidence = try EvidenceFile(path: path, interfaceName: "veth-a")
        for (i, packet) in packets.enumerated() {
            try evidence.write(packet, comment: i % 2 == 0 ? "probe #\(i) sent" : nil)
        }
        try evidence.write(ipPacket: probeBytes, timestamp: probeTime, comment: "probe #0 as built")
        #expect(evidence.packetsWritten == packets.count + 1)
        try evidence.close()

        let (back, readError) = CaptureFileReader.readAll(path: path)
        #expect(readError == nil)
        try #require(back.count == packets.count + 1)
        for (i, (written, read)) in zip(packets, back).enumerated() {
            #expect(read.data == written.data)
            #expect(read.timestamp == written.timestamp)
            #expect(read.linkType == written.linkType)
            #expect(read.interfaceIndex == 0)
            #expect(read.comment == (i % 2 == 0 ? "probe #\(i) sent" : nil))
        }
        // The built probe has a link type of its own, so an interface block of its own.
        let built = try #require(back.last)
        #expect(built.linkType == .raw)
        #expect(built.interfaceIndex == (packets[0].linkType == .raw ? 0 : 1))
        #expect(Array(built.data) == probeBytes)
        #expect(built.timestamp == probeTime)
        #expect(built.comment == "probe #0 as built")
    }

    @Test func unwritablePathAndWritesAfterCloseAreClearErrors() throws {
        #expect(throws: ProbeSessionError.self) { try EvidenceFile(path: "/nonexistent-cstest-dir/evidence.pcapng") }
        do {
            _ = try EvidenceFile(path: "/nonexistent-cstest-dir/evidence.pcapng")
        } catch {
            #expect(error.description.hasPrefix("cannot write the evidence file: /nonexistent-cstest-dir/evidence.pcapng: "))
        }
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let evidence = try EvidenceFile(path: path)
        try evidence.close()
        let packet = CapturedPacket(timestamp: CaptureTimestamp(seconds: 1, nanoseconds: 0), linkType: .raw, data: [0x45][...])
        #expect(throws: ProbeSessionError.self) { try evidence.write(packet, comment: "late") }
    }
}
