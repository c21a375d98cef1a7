import Foundation
import TestSupport
import Testing

/// `trace --asn-db` as a user runs it: a bad database stops the command before any probe
/// (no pcap evidence file is even created), and a good one annotates the loopback trace.
@Suite(.serialized) struct TraceEnrichmentTests {
    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cstest-asn-\(getpid())-\(name)").path
    }

    @Test func badDatabaseFailsBeforeSending() throws {
        let garbage = Self.temporary("garbage.tsv")
        let pcap = Self.temporary("evidence.pcapng")
        FileManager.default.createFile(atPath: garbage, contents: Data("not a database\n\u{1}\u{2}\n".utf8))
        defer {
            try? FileManager.default.removeItem(atPath: garbage)
            try? FileManager.default.removeItem(atPath: pcap)
        }
        for (file, message) in [
            (garbage, "error: ASN database '\(garbage)' has no valid line (2 malformed, the first at line 1): expected iptoasn TSV lines"),
            ("/nonexistent/ip2asn.tsv", "error: cannot open ASN database '/nonexistent/ip2asn.tsv': No such file or directory."),
        ] {
            let r = try CLI.run(["trace", "127.0.0.1", "--method", "icmp", "--max-ttl", "2", "--allow-reserved",
                                 "--asn-db", file, "--pcap", pcap, "--json"])
            #expect(r.status != 0)
            #expect(r.stdout.isEmpty)
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines.first.map { $0.hasPrefix(message) } == true, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: pcap), "the run started")
        }
    }

    @Test func loopbackTraceCarriesASFields() throws {
        let db = Self.temporary("ip2asn.tsv")
        FileManager.default.createFile(atPath: db, contents: Data("""
            127.0.0.0\t127.255.255.255\t64500\tZZ\tLOOPBACK-AS Test Networks
            bogus line
            198.18.0.0\t198.19.255.255\t64501\tZZ\tLAB

            """.utf8))
        defer { try? FileManager.default.removeItem(atPath: db) }
        let r = try CLI.run(["trace", "127.0.0.1", "--method", "icmp", "--max-ttl", "2", "--timeout", "0.5",
                             "--allow-reserved", "--asn-db", db, "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("warning: skipped 1 malformed line in ASN database '\(db)', the first at line 2"))
        let line = try #require(r.lines.first)
        let json = try CLI.json(line)
        let hops = try #require(json["hops"] as? [[String: Any]])
        let first = try #require(hops.first)
        #expect(first["address"] as? String == "127.0.0.1")
        #expect(first["asn"] as? Int == 64500)
        #expect(first["as_name"] as? String == "LOOPBACK-AS Test Networks")
        #expect(first["hostname"] == nil)
        let responses = try #require(first["responses"] as? [[String: Any]])
        #expect(responses.first?["asn"] as? Int == 64500)

        let text = try CLI.run(["trace", "127.0.0.1", "--method", "icmp", "--max-ttl", "2", "--timeout", "0.5",
                                "--allow-reserved", "--asn-db", db])
        #expect(text.status == 0, "stderr: \(text.stderr)")
        #expect(text.lines.contains { $0.hasPrefix(" 1  127.0.0.1 [AS64500 LOOPBACK-AS Test Networks]  ") }, "\(text.stdout)")
    }

    /// --rdns names loopback from /etc/hosts (no query leaves the machine for 127.0.0.1).
    @Test func loopbackTraceWithReverseDNS() throws {
        let r = try CLI.run(["trace", "127.0.0.1", "--method", "icmp", "--max-ttl", "2", "--timeout", "0.5",
                             "--allow-reserved", "--rdns", "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try CLI.json(try #require(r.lines.first))
        let first = try #require((json["hops"] as? [[String: Any]])?.first)
        #expect(first["hostname"] as? String == "localhost")
        #expect(first.keys.contains("asn") && first["asn"] is NSNull)
    }
}
