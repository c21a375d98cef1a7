import Foundation
import TestSupport
import Testing

/// The founding story's packets (../shared/seeds/003…): hex exactly as tcpdump -X printed it.
enum Story {
    static let shortSyn = """
          0x0000:  4500 002c f1ed 0000 1306 9dd0 c0a8 0002  E..,............
          0x0010:  9f59 b80a e2c9 0050 e569 3ed5 0000 0000  .Y.....P.i>.....
          0x0020:  6002 16d0 61ef 0000 0204 05b4            `...a.......
        """
    static let synAck = "4500 002c 0000 4000 3306 2fbe 9f59 b80a c0a8 0002 0050 e2c9 97a3 5f23 e569 3ed6 6012 7210 0feb 0000 0204 05a0 0000"
    static let kernelRst = "4500 0028 f1f8 4000 4006 30c9 c0a8 0002 9f59 b80a e2c9 0050 e569 3ed6 0000 0000 5004 0000 9078 0000"
    static let browserSyn = """
          0x0000:  4500 003c d676 0000 1306 b937 c0a8 0002  E..<.v.....7....
          0x0010:  9f59 b80a a4d1 0050 a609 d8f5 0000 0000  .Y.....P........
          0x0020:  a002 16d0 e900 0000 0204 05b4 0402 080a  ................
          0x0030:  6285 a97f 0000 0000 0103 0302            b...........
        """
    static let forgedRst = """
          0x0000:  4500 0028 0001 0000 0806 9ac1 9f59 b80a  E..(.........Y..
          0x0010:  c0a8 0002 0050 a4d1 0000 0000 a609 d8f5  .....P..........
          0x0020:  5004 16d0 5ce1 0000 0000 0000 0000       P...\\.........
        """
}

@Suite struct DecodeCommandTests {
    func decodeJSON(_ hex: String) throws -> [String: Any] {
        let r = try CLI.run(["decode", "--json", "--hex", hex])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.lines.count == 1)
        return try CLI.json(r.lines[0])
    }

    @Test func shortSynFromTracerouteT() throws {
        let j = try decodeJSON(Story.shortSyn)
        #expect(j["src"] as? String == "192.168.0.2")
        #expect(j["dst"] as? String == "159.89.184.10")
        #expect(j["ttl"] as? Int == 19)
        #expect(j["ip_id"] as? Int == 61933)
        #expect(j["df"] as? Bool == false)
        #expect(j["length"] as? Int == 44)
        let tcp = try #require(j["tcp"] as? [String: Any])
        #expect(tcp["sport"] as? Int == 58057)
        #expect(tcp["dport"] as? Int == 80)
        #expect(tcp["seq"] as? Int == 3_848_879_829)
        #expect(tcp["flags"] as? String == "S")
        #expect(tcp["window"] as? Int == 5840)
        #expect(tcp["options"] as? [String] == ["mss"])
        #expect(tcp["payload_len"] as? Int == 0)
        #expect(tcp["checksum_valid"] as? Bool == true)
    }

    @Test func synAckWithPaddingIgnored() throws {
        let j = try decodeJSON(Story.synAck)
        #expect(j["ttl"] as? Int == 51)
        #expect(j["ip_id"] as? Int == 0)
        #expect(j["df"] as? Bool == true)
        #expect(j["length"] as? Int == 44)
        let tcp = try #require(j["tcp"] as? [String: Any])
        #expect(tcp["flags"] as? String == "SA")
        #expect(tcp["seq"] as? Int == 2_544_066_339)
        #expect(tcp["ack"] as? Int == 3_848_879_830)
        #expect(tcp["window"] as? Int == 29200)
        #expect(tcp["options"] as? [String] == ["mss"])
        let values = try #require(tcp["option_values"] as? [[String: Any]])
        #expect(values.first?["value"] as? Int == 1440)
    }

    @Test func kernelRst() throws {
        let j = try decodeJSON(Story.kernelRst)
        #expect(j["ttl"] as? Int == 64)
        #expect(j["ip_id"] as? Int == 61944)
        #expect(j["df"] as? Bool == true)
        let tcp = try #require(j["tcp"] as? [String: Any])
        #expect(tcp["flags"] as? String == "R")
        #expect(tcp["seq"] as? Int == 3_848_879_830)
        #expect(tcp["window"] as? Int == 0)
    }

    @Test func browserSynHasAllFiveOptions() throws {
        let j = try decodeJSON(Story.browserSyn)
        #expect(j["length"] as? Int == 60)
        #expect(j["ttl"] as? Int == 19)
        let tcp = try #require(j["tcp"] as? [String: Any])
        #expect(tcp["options"] as? [String] == ["mss", "sackOK", "TS", "nop", "wscale"])
        #expect(tcp["seq"] as? Int == 2_785_663_221)
    }

    @Test func forgedRstFingerprint() throws {
        let j = try decodeJSON(Story.forgedRst)
        #expect(j["ttl"] as? Int == 8)
        #expect(j["ip_id"] as? Int == 1)
        #expect(j["df"] as? Bool == false)
        #expect(j["length"] as? Int == 40)
        #expect(j["ip_checksum_valid"] as? Bool == true)
        let tcp = try #require(j["tcp"] as? [String: Any])
        #expect(tcp["flags"] as? String == "R")
        #expect(tcp["seq"] as? Int == 0)
        #expect(tcp["window"] as? Int == 5840)
        #expect(tcp["payload_len"] as? Int == 0)   // the 6 bytes of Ethernet padding are not payload
        #expect(tcp["checksum_valid"] as? Bool == true)
    }

    @Test func textViewMatchesTcpdumpLine() throws {
        let r = try CLI.run(["decode", "--hex", Story.browserSyn])
        #expect(r.status == 0)
        #expect(r.lines.first == "IP (tos 0x0, ttl 19, id 54902, offset 0, flags [none], proto TCP (6), length 60)")
        #expect(r.lines.dropFirst().first?.hasSuffix(
            "Flags [S], cksum 0xe900 (correct), seq 2785663221, win 5840, options [mss 1460,sackOK,TS val 1652926847 ecr 0,nop,wscale 2], length 0") == true)
    }

    @Test func hexFromStandardInputAndSeveralPackets() throws {
        let r = try CLI.run(["decode", "--json", "--hex", "-"], stdin: Story.forgedRst)
        #expect(r.status == 0)
        #expect(try CLI.json(r.lines[0])["ttl"] as? Int == 8)
        let two = try CLI.run(["decode", "--json", "--hex", Story.synAck, "--hex", Story.kernelRst])
        #expect(two.lines.count == 2)
        #expect(try CLI.json(two.lines[1])["index"] as? Int == 2)
    }

    @Test(arguments: [
        ["decode", "--hex", "zz"],
        ["decode", "--hex", "4500"],
        ["decode", "--hex", "45000028000100000806"],
        ["decode", "--hex", "ffff"],
        ["decode", "--hex", "abc"],
        ["decode", "--pcap", "/nonexistent/capture.pcap"],
    ])
    func garbageGivesOneClearSentence(args: [String]) throws {
        let r = try CLI.run(args)
        #expect(r.status != 0)
        #expect(r.stdout.isEmpty)
        let errLines = r.stderr.split(separator: "\n")
        #expect(errLines.count == 1, "stderr: \(r.stderr)")
        #expect(errLines.first?.hasPrefix("error: ") == true)
    }

    @Test func usageErrors() throws {
        let neither = try CLI.run(["decode"])
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("--hex"))
        let badLink = try CLI.run(["decode", "--hex", "00", "--link", "token-ring"])
        #expect(badLink.status == 64)
    }

    @Test func versionAndHelp() throws {
        let v = try CLI.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        let h = try CLI.run(["decode", "--help"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("--pcap"))
    }

    @Test func ethernetHexNeedsLink() throws {
        let eth = "000000000000 000000000000 0800 " + Story.kernelRst
        let without = try CLI.run(["decode", "--hex", eth])
        #expect(without.status != 0)
        #expect(without.stderr.contains("--link"))
        let with = try CLI.run(["decode", "--json", "--link", "ethernet", "--hex", eth])
        #expect(with.status == 0)
        #expect(try CLI.json(with.lines[0])["link"] as? String == "ethernet")
    }
}

@Suite(.enabled(if: CLI.sharedDirectory != nil, "../shared/centrace-sample is absent"))
struct DecodeCaptureTests {
    static var captures: [URL] {
        guard let dir = CLI.sharedDirectory?.appendingPathComponent("centrace-sample"),
              let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return names.filter { $0.hasSuffix(".pcap") }.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test func everyCentraceCaptureDecodesWithQuotes() throws {
        #expect(Self.captures.count >= 14)
        for url in Self.captures {
            let r = try CLI.run(["decode", "--json", "--pcap", url.path])
            #expect(r.status == 0, "\(url.lastPathComponent): \(r.stderr)")
            var icmpErrors = 0
            for line in r.lines {
                let j = try CLI.json(line)
                #expect(j["error"] == nil, "\(url.lastPathComponent): \(line)")
                #expect(j["src"] is String)
                if let icmp = j["icmp"] as? [String: Any], icmp["type"] as? Int == 11 {
                    let quoted = try #require(icmp["quoted"] as? [String: Any], "time exceeded without a decoded quote")
                    #expect(quoted["dst"] is String)
                    #expect((quoted["tcp"] as? [String: Any])?["dport"] is Int)
                    icmpErrors += 1
                }
            }
            #expect(icmpErrors > 0, "\(url.lastPathComponent) has no time-exceeded messages")
        }
    }

    @Test func truncatedCaptureKeepsWhatWasRead() throws {
        let source = try #require(Self.captures.first)
        let data = try Data(contentsOf: source)
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("cs-truncated-\(getpid()).pcap")
        try data.prefix(data.count - 7).write(to: cut)
        defer { try? FileManager.default.removeItem(at: cut) }
        let full = try CLI.run(["decode", "--json", "--pcap", source.path])
        let r = try CLI.run(["decode", "--json", "--pcap", cut.path])
        #expect(r.status != 0)
        #expect(r.lines.count == full.lines.count - 1)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stderr.contains("truncated"))
    }

    @Test func notACaptureFile() throws {
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("cs-junk-\(getpid()).pcap")
        try Data("this is not a capture file at all".utf8).write(to: junk)
        defer { try? FileManager.default.removeItem(at: junk) }
        let r = try CLI.run(["decode", "--pcap", junk.path])
        #expect(r.status != 0)
        #expect(r.stderr.hasPrefix("error: "))
    }
}
