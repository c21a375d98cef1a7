import Foundation
import Packets
import Probing
import Testing
@testable import Analysis

/// Damaged, empty and random files give errors or partial sweeps, never a crash.
@Suite struct SweepImportHostileTests {
    @Test func emptyFileIsAnError() {
        #expect(throws: SweepImportError.self) { try SweepImport.read(bytes: [], name: "empty.pcap") }
        do { _ = try SweepImport.read(bytes: [], name: "empty.pcap") } catch {
            #expect(error.description.contains("empty.pcap"))
        }
    }

    @Test func randomBytesAreAnError() {
        var rng = SystemRandomNumberGenerator()
        for size in [1, 3, 24, 100, 4096] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(throws: SweepImportError.self) { try SweepImport.read(bytes: bytes, name: "random") }
        }
    }

    /// A valid pcap header followed by random records: decoded or skipped, never a trap.
    @Test func randomRecordsAfterAValidHeader() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var file: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 101, 0, 0, 0]
            for _ in 0..<20 {
                let length = Int.random(in: 20...80, using: &rng)
                file += [0, 0, 0, 0, 0, 0, 0, 0] + le32(length) + le32(length)
                var packet = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                packet[0] = 0x45   // mostly IPv4, TCP or ICMP, so the decoders get exercised
                packet[9] = Bool.random(using: &rng) ? 6 : 1
                file += packet
            }
            do {
                let capture = try SweepImport.read(bytes: file, name: "records")
                #expect(!capture.sweeps.isEmpty)
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test(.enabled(if: SharedData.present, "skipped: ../shared/centrace-sample is absent"))
    func truncatedSamplesNeverCrash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-trunc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["188.65.24.82_www.nifty.org_www.nifty.org.pcap", "195.64.201.42_psiphon.ca_psiphon.ca_0.pcap"] {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: SharedData.path(name))))
            for fraction in [0.0, 0.001, 0.02, 0.3, 0.5, 0.77, 0.999] {
                let cut = Array(bytes.prefix(Int(Double(bytes.count) * fraction)))
                let path = dir.appendingPathComponent("cut-\(fraction)-\(name)").path
                try Data(cut).write(to: URL(fileURLWithPath: path))
                do {
                    let capture = try SweepImport.read(path: path)
                    #expect(!capture.sweeps.isEmpty)
                    for sweep in capture.sweeps {
                        _ = SweepAnalysis.alone(sweep).record(test: sweep, control: nil, notes: []).json
                    }
                } catch {
                    #expect(error.description.hasSuffix("."), "one sentence: \(error.description)")
                }
            }
        }
    }

    @Test func fileWithoutProbingSaysSo() throws {
        // One UDP packet in a raw-IP pcap: a capture, but no connection attempts.
        var udp = [UInt8](repeating: 0, count: 28)
        udp[0] = 0x45; udp[3] = 28; udp[8] = 64; udp[9] = 17
        udp[12] = 198; udp[13] = 18; udp[16] = 198; udp[17] = 18; udp[19] = 1
        let file: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 101, 0, 0, 0]
            + [0, 0, 0, 0, 0, 0, 0, 0] + le32(28) + le32(28) + udp
        do {
            _ = try SweepImport.read(bytes: file, name: "udp.pcap")
            Issue.record("a capture without TCP connection attempts was accepted")
        } catch {
            #expect(error.description.contains("no TCP connection attempts"))
        }
    }

    @Test func domainParserOnHTTPAndTLS() throws {
        let http = HTTPRequestPayload(host: "Blocked.Example:8080").bytes
        #expect(PayloadDomain.name(in: http[...]) == "blocked.example")
        let hello = try #require(TLSClientHello(serverName: "sni.example")).bytes
        #expect(PayloadDomain.name(in: hello[...]) == "sni.example")
        // Every prefix of a ClientHello: nil or the name, never a trap.
        for n in 0..<hello.count { _ = PayloadDomain.name(in: hello.prefix(n)) }
        #expect(PayloadDomain.name(in: Array("GET / HTTP/1.1\r\n\r\nHost: late.example\r\n".utf8)[...]) == nil)
        #expect(PayloadDomain.name(in: [0x16, 0x03, 0x01, 0xFF, 0xFF, 0x01][...]) == nil)
    }

    private func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
}
