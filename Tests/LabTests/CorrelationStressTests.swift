import ChildProcess
import Foundation
import Lab
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Thousands of probes at full speed through the `chaos` lab, whose censor node holds every
/// answer 0–20 ms (reordering) and sends 30 % of them twice. Every attribution the prober
/// writes into its evidence file is then checked against the packets themselves as
/// Wireshark's dissectors read them (tshark), independently of our parser and correlator.
@Suite("Correlation under duplication and reordering (root)", .serialized,
       .enabled(if: LabHarness.canRun && FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"),
                "needs root, the censorscope binary and tshark"))
struct CorrelationStressTests {
    static let server = "198.18.9.2"

    /// One frame of the evidence file as tshark reads it.
    struct Frame {
        var comment: String
        var tcpSourcePort: Int?
        var tcpDestinationPort: Int?
        var seq: UInt64?
        var ack: UInt64?
        var isICMP: Bool
        var ipSource: String
    }

    func frames(_ pcap: String) throws -> [Frame] {
        let r = Subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-E", "separator=|", "-E", "occurrence=l",
                                "-e", "frame.comment", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.seq_raw",
                                "-e", "tcp.ack_raw", "-e", "icmp.type", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.seq"], timeout: 120)
        try #require(r.status == 0, "tshark failed: \(r.stderr)")
        return r.stdout.split(separator: "\n").map { line in
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init) + Array(repeating: "", count: 9)
            // occurrence=l: in an ICMP error, the quoted (inner) headers. tshark gives no seq_raw
            // for a quoted TCP header, but its tcp.seq there is absolute.
            return Frame(comment: f[0], tcpSourcePort: Int(f[1]), tcpDestinationPort: Int(f[2]),
                         seq: UInt64(f[3]) ?? (f[5].isEmpty ? nil : UInt64(f[8])), ack: UInt64(f[4]),
                         isICMP: !f[5].isEmpty, ipSource: f[6].isEmpty ? f[7] : f[6])
        }
    }

    /// "probe 12 sent: …" → 12; "answer to probe 12 (…)" → 12; "duplicate answer to probe 12" → 12.
    func probeNumber(_ comment: String, after prefix: String) -> Int? {
        guard comment.hasPrefix(prefix) else { return nil }
        return Int(comment.dropFirst(prefix.count).prefix { $0.isNumber })
    }

    /// Checks every attribution in `pcap`; returns (answers checked, duplicates checked).
    func verify(_ pcap: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (answers: Int, duplicates: Int, ambiguous: Int) {
        var sent: [Int: (port: Int, seq: UInt64)] = [:]
        var answers = 0, duplicates = 0, ambiguous = 0, wrong = 0
        let all = try frames(pcap)
        for frame in all {
            if let i = probeNumber(frame.comment, after: "probe "), frame.comment.contains(" sent: "),
               let port = frame.tcpSourcePort, let seq = frame.seq {
                sent[i] = (port, seq)
            }
        }
        for frame in all {
            let i = probeNumber(frame.comment, after: "answer to probe ") ?? probeNumber(frame.comment, after: "duplicate answer to probe ")
            if frame.comment.hasPrefix("ambiguous") { ambiguous += 1 }
            guard let i else { continue }
            if frame.comment.hasPrefix("duplicate") { duplicates += 1 } else { answers += 1 }
            guard let probe = sent[i] else {
                wrong += 1
                Issue.record("answer attributed to probe \(i), which the file never shows leaving", sourceLocation: sourceLocation)
                continue
            }
            let ok: Bool
            if frame.isICMP {
                // The quoted header (inner TCP) must be the probe's own.
                ok = frame.tcpSourcePort == probe.port && frame.seq == probe.seq
            } else {
                // A direct answer comes back to the probe's port and acknowledges its SYN.
                ok = frame.tcpDestinationPort == probe.port && frame.ack == (probe.seq + 1) & 0xFFFF_FFFF
            }
            if !ok {
                wrong += 1
                if wrong <= 5 { Issue.record("mis-assigned: \(frame.comment) but the packet is \(frame)", sourceLocation: sourceLocation) }
            }
        }
        #expect(wrong == 0, "\(wrong) answers attributed to the wrong probe", sourceLocation: sourceLocation)
        return (answers, duplicates, ambiguous)
    }

    @Test func thousandsOfProbesNoneMisassigned() throws {
        LabHarness.down("chaos")
        defer {
            LabHarness.down("chaos")
            LabHarness.expectNothingLeft("chaos")
        }
        let up = try LabHarness.run(["lab", "up", "chaos"])
        try #require(up.status == 0, "lab up chaos failed: \(up.stderr)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cs-stress-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // 1. 4000 SYNs from distinct ports, as fast as the socket takes them: SYN-ACKs come
        //    back reordered and duplicated.
        let synPcap = dir + "/syn.pcapng"
        let syn = try LabHarness.exec("client", [LabHarness.binary, "probe", "syn", Self.server, "--port", "80", "--variant", "mss",
                                                 "--count", "4000", "--rate", "0", "--timeout", "3", "--no-reference",
                                                 "--json", "--pcap", synPcap], scenario: "chaos")
        try #require(syn.status == 0, "probe syn failed: \(syn.stderr)")
        let results = try syn.stdout.split(separator: "\n").map { try LabHarness.json(String($0)) }
        #expect(results.count == 4000)
        let answered = results.filter { $0["result"] as? String == "syn-ack" }.count
        #expect(answered >= 3600, "only \(answered) of 4000 SYNs answered")
        let checked = try verify(synPcap)
        #expect(checked.answers == answered)
        #expect(checked.duplicates >= 500, "the chaos censor should have duplicated ~30% of answers, saw \(checked.duplicates)")
        #expect(checked.ambiguous == 0)
        let reported = results.reduce(0) { sum, r in
            sum + ((r["answers"] as? [[String: Any]]) ?? []).reduce(0) { $0 + (($1["duplicates"] as? Int) ?? 0) }
        }
        #expect(reported == checked.duplicates, "JSON reports \(reported) duplicates, the evidence file \(checked.duplicates)")

        // 2. A Paris trace with 10 queries per TTL and 20 TTLs: 200 probes on ONE flow, told apart only by
        //    sequence numbers, their time-exceeded quotes reordered and duplicated.
        let tracePcap = dir + "/trace.pcapng"
        let trace = try LabHarness.exec("client", [LabHarness.binary, "trace", Self.server, "--method", "tcp", "--queries", "10",
                                                   "--max-ttl", "20", "--rate", "0", "--timeout", "2", "--json", "--pcap", tracePcap],
                                        scenario: "chaos")
        try #require(trace.status == 0, "trace failed: \(trace.stderr)")
        let object = try LabHarness.json(trace.stdout)
        let hops = (object["hops"] as? [[String: Any]]) ?? []
        let expected = ["198.18.1.1", "198.18.2.2", "198.18.3.2", Self.server]
        #expect(hops.map { $0["address"] as? String } == expected)
        for (hop, address) in zip(hops, expected) {
            let responses = (hop["responses"] as? [[String: Any]]) ?? []
            #expect(responses.allSatisfy { $0["address"] as? String == address }, "hop \(hop["ttl"] ?? "?") has foreign responses")
        }
        let traced = try verify(tracePcap)
        // Routers rate-limit their ICMP errors per destination (burst 6), so not every query is answered.
        #expect(traced.answers >= 15, "only \(traced.answers) answers in the trace")
        #expect(traced.ambiguous == 0)
    }
}
