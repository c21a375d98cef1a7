import Capture
import Foundation
import Packets
import Probing
import TestSupport
import Testing
@testable import Analysis

/// ../shared beside the package: the project's reference data (CenTrace's captures).
enum SharedData {
    static let packageRoot = Repository.root
    static let centrace = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/centrace-sample").path
    static var present: Bool { FileManager.default.fileExists(atPath: centrace) }

    static func path(_ name: String) -> String { centrace + "/" + name }

    /// The single sweep in a CenTrace capture.
    static func sweep(_ name: String) throws -> PayloadSweep {
        let capture = try SweepImport.read(path: path(name))
        #expect(capture.sweeps.count == 1, "\(name): \(capture.sweeps.count) sweeps")
        return try #require(capture.sweeps.first)
    }

    /// Compares `<endpoint>_<domain>_<domain>.pcap` with `<endpoint>_<domain>_example.com.pcap`.
    static func compare(_ endpoint: String, _ domain: String, suffix: String = "") throws -> SweepComparison {
        let test = try sweep("\(endpoint)_\(domain)_\(domain)\(suffix).pcap")
        let control = try sweep("\(endpoint)_\(domain)_example.com\(suffix).pcap")
        #expect(test.domain == domain)
        #expect(control.domain == "example.com")
        #expect(test.target == IPAddress(endpoint))
        return SweepAnalysis.compare(test: test, control: control)
    }
}

/// Every pair in ../shared/centrace-sample gives the verdict its README states.
@Suite(.enabled(if: SharedData.present, "skipped: ../shared/centrace-sample is absent"))
struct SweepSampleTests {
    @Test func niftyInjectedResetBehind134_0_217_233() throws {
        let r = try SharedData.compare("188.65.24.82", "www.nifty.org")
        #expect(r.outcome == .censored)
        #expect(r.mechanism == "rst")
        #expect(r.middlebox?.address == IPAddress("134.0.217.233"))
        #expect(r.terminatingTTL.test == 18)
        #expect(r.terminatingTTL.control == 23)
        #expect(r.confidence == .high)
        #expect(!r.injectorCopiesTTL)
    }

    @Test func bisexualInjectedFINBehind149_14_125_90() throws {
        let r = try SharedData.compare("103.93.208.20", "bisexual.org")
        #expect(r.outcome == .censored)
        #expect(r.mechanism == "fin")
        #expect(r.middlebox?.address == IPAddress("149.14.125.90"))
        #expect(r.middlebox?.before == IPAddress("154.54.38.174"))
    }

    @Test func archiveOnPath() throws {
        let r = try SharedData.compare("222.138.4.221", "archive.org")
        #expect(r.outcome == .censored)
        #expect(r.mechanism == "rst")
        #expect(r.onPath == true)
        #expect(r.middlebox != nil)
        #expect(!r.injectorCopiesTTL)   // its resets' TTLs are high and unrelated to the probe's
    }

    @Test func bitcometBlocksAtTheEndpoint() throws {
        let r = try SharedData.compare("91.199.201.114", "www.bitcomet.com")
        #expect(r.outcome == .endpointBlocking)
        #expect(r.middlebox == nil)
        #expect(r.terminatingTTL.test == r.terminatingTTL.control)
    }

    @Test func bridgesTorprojectIsNotCensored() throws {
        let r = try SharedData.compare("85.209.148.79", "bridges.torproject.org")
        #expect(r.outcome == .notCensored)
        #expect(r.middlebox == nil)
        #expect(r.mechanism == nil)
        #expect(r.terminatingTTL.test == r.terminatingTTL.control)
    }

    @Test func quoraIsInconclusive() throws {
        let r = try SharedData.compare("221.120.163.243", "quora.com")
        #expect(r.outcome == .inconclusive)
        #expect(r.middlebox == nil)
        #expect(r.terminatingTTL.test == nil)
        #expect(r.reasons.contains { $0.contains("cut short") })
    }

    @Test func psiphonCensoredBeyondTheControlsPath() throws {
        let r = try SharedData.compare("195.64.201.42", "psiphon.ca", suffix: "_0")
        #expect(r.outcome == .censored)
        #expect(r.mechanism == "rst")
        #expect(r.middlebox == nil)
        #expect(r.injectorCopiesTTL)
        #expect(r.terminatingTTL.test == 38)
        let control = try #require(r.terminatingTTL.control)
        #expect(control < 38)
    }

    /// Frame numbers point at the packets that decided each probe.
    @Test func framesPointAtTheDecidingPackets() throws {
        let sweep = try SharedData.sweep("188.65.24.82_www.nifty.org_www.nifty.org.pcap")
        let rst = try #require(sweep.probes.first { $0.observation.outcome == .rst })
        #expect(rst.ttl == 18)
        #expect(rst.frames == [161, 162])   // the payload at TTL 18, the injected reset
        let first = try #require(sweep.probes.first)
        #expect(first.frames == [4, 5])     // the payload at TTL 0 and its time exceeded
    }

    /// Junk ICMP quoting another measurement's flows (114.108.189.156) joins no probe.
    @Test func unrelatedICMPIsIgnored() throws {
        let sweep = try SharedData.sweep("103.93.208.20_bisexual.org_example.com.pcap")
        #expect(sweep.probes.allSatisfy { $0.observation.from != IPAddress("114.108.189.156") })
        #expect(sweep.target == IPAddress("103.93.208.20"))
    }

    /// Our own pcapng (test and control interleaved, commented "test ttl N") splits by label.
    @Test func labelledPcapngSplitsIntoTestAndControl() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("ours.pcapng").path
        let writer = try PcapngWriter(path: out)
        var interfaces: [LinkType: Int] = [:]
        for (role, name) in [("test", "188.65.24.82_www.nifty.org_www.nifty.org.pcap"), ("control", "188.65.24.82_www.nifty.org_example.com.pcap")] {
            let test = try SharedData.sweep(name)
            let (packets, error) = CaptureFileReader.readAll(path: SharedData.path(name))
            #expect(error == nil)
            // Label every packet with the TTL of the probe whose frames it follows.
            let starts = test.probes.compactMap { p in p.frames.first.map { ($0, p.ttl) } }.sorted { $0.0 < $1.0 }
            for (i, p) in packets.enumerated() {
                let ttl = starts.last { $0.0 <= i + 1 }?.1 ?? 0
                let index: Int
                if let known = interfaces[p.linkType] { index = known } else {
                    index = try writer.addInterface(linkType: p.linkType)
                    interfaces[p.linkType] = index
                }
                try writer.write(data: p.data, timestamp: p.timestamp, interface: index, comment: "\(role) ttl \(ttl)")
            }
        }
        try writer.close()
        let capture = try SweepImport.read(path: out)
        #expect(capture.sweeps.map(\.label) == ["test", "control"])
        #expect(capture.sweeps.map(\.domain) == ["www.nifty.org", "example.com"])
        let r = SweepAnalysis.compare(test: capture.sweeps[0], control: capture.sweeps[1])
        #expect(r.outcome == .censored)
        #expect(r.middlebox?.address == IPAddress("134.0.217.233"))
    }
}
