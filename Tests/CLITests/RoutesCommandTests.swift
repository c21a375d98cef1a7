import Foundation
import TestSupport
import Testing

/// `routes compare` as a user runs it, on the route fixtures of AnalysisTests.
@Suite(.serialized) struct RoutesCommandTests {
    static let fixtures = CLI.repositoryRoot.appendingPathComponent("Tests/AnalysisTests/Fixtures/routes")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cstest-routes-\(getpid())-\(name)").path
    }

    /// One AS per carrier of the telegram-2018 lab.
    static let table = """
        198.18.1.0\t198.18.2.255\t64500\tZZ\tLAB-ACCESS
        198.18.3.0\t198.18.3.255\t64501\tZZ\tTRANSIT-A
        198.18.4.0\t198.18.4.255\t64500\tZZ\tLAB-ACCESS
        198.18.5.0\t198.18.5.255\t64501\tZZ\tTRANSIT-A
        198.18.6.0\t198.18.6.255\t64502\tZZ\tTRANSIT-B
        198.18.9.0\t198.18.9.255\t64503\tZZ\tDATACENTER

        """

    @Test func jsonOfTheAsymmetricLabPair() throws {
        let db = Self.temporary("ip2asn.tsv")
        #expect(FileManager.default.createFile(atPath: db, contents: Data(Self.table.utf8)))
        defer { try? FileManager.default.removeItem(atPath: db) }
        let r = try CLI.run(["routes", "compare", Self.fixture("forward.atlas.json"), Self.fixture("reverse.traceroute.txt"),
                             "--asn-db", db, "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.lines.count == 1)
        let json = try CLI.json(try #require(r.lines.first))
        for key in ["asymmetric", "forward", "reverse", "forward_as_path", "reverse_as_path", "shared_hops", "forward_only_hops",
                    "reverse_only_hops", "shared_subnets", "shared_ases", "forward_only_ases", "reverse_only_ases", "censor"] {
            #expect(json.keys.contains(key), "missing \(key)")
        }
        #expect(json["asymmetric"] as? Bool == true)
        #expect(json["summary"] as? String == "asymmetric: the paths share 1 of 7 routers")
        #expect(json["forward_as_path"] as? [Int] == [64500, 64501, 64503])
        #expect(json["reverse_as_path"] as? [Int] == [64503, 64502, 64500])
        #expect(json["forward_only_hops"] as? [String] == ["198.18.2.2", "198.18.3.2", "198.18.5.2"])
        #expect(json["censor"] is NSNull)
        let forward = try #require(json["forward"] as? [[String: Any]])
        #expect(forward.map { $0["ttl"] as? Int } == [1, 2, 3, 4, 5])
        #expect(forward.first?["address"] as? String == "198.18.1.1" && forward.first?["asn"] as? Int == 64500)
        #expect(forward.first?["as_name"] as? String == "LAB-ACCESS")
        let notes = try #require(json["notes"] as? [String])
        #expect(notes.contains { $0.contains("holds 2 traceroute results; the first is used") })
    }

    @Test func theCensorComesFromAnInvestigationAndTheHTMLDrawsBothPaths() throws {
        let page = Self.temporary("routes.html")
        defer { try? FileManager.default.removeItem(atPath: page) }
        let r = try CLI.run(["routes", "compare", Self.fixture("investigate.censorscope.json"),
                             Self.fixture("reverse.censorscope.json"), "--json", "--html", page])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try CLI.json(try #require(r.lines.first))
        let censor = try #require(json["censor"] as? [String: Any])
        #expect(censor["address"] as? String == "198.18.2.2")
        // The fixture's hand-written return path ties nothing to the censor; its neighbour
        // isp (198.18.2.1, same link) is not taken for it.
        #expect(censor["forward_ttl"] as? Int == 2 && censor["reverse_ttl"] is NSNull)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        #expect(html.components(separatedBy: "<svg").count == 2 && html.contains("</svg>"))
        #expect(!html.contains("<script"))
        #expect(html.components(separatedBy: "http://").count == 2, "the SVG namespace is the only URL")
        #expect(html.components(separatedBy: "class=\"link link\"").count == 2, "isp alone is tied, by its links")
        #expect(!html.contains("class=\"link subnet\""))
        #expect(html.components(separatedBy: ">censor</text>").count == 2, "boxed forward only")
        for address in ["198.18.1.1", "198.18.3.2", "198.18.5.2", "198.18.9.1", "198.18.6.1", "198.18.4.1", "198.18.2.1"] {
            #expect(html.contains(">\(address)</text>"), "\(address) not drawn")
        }
        #expect(html.contains("\"verdict blocked\">asymmetric</span> the paths share 1 of 7 routers"))
    }

    /// AS names come from a file the user downloaded: markup in them stays text.
    @Test func hostileASNamesAreEscapedInThePage() throws {
        let db = Self.temporary("hostile.tsv"), page = Self.temporary("hostile.html")
        #expect(FileManager.default.createFile(atPath: db, contents: Data(
            "198.18.0.0\t198.18.255.255\t64666\tZZ\t<script>alert('x')</script> & \"quoted\"\n".utf8)))
        defer {
            try? FileManager.default.removeItem(atPath: db)
            try? FileManager.default.removeItem(atPath: page)
        }
        let r = try CLI.run(["routes", "compare", Self.fixture("both.censorscope.json"), "--asn-db", db, "--html", page])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.lines.contains { $0.contains("[AS64666 <script>alert('x')</script> & \"quoted\"]") }, "text output is plain")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(!html.contains("<script"))
        #expect(html.contains("AS64666 &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"))
    }

    @Test func humanOutputOfATraceBothFileAlone() throws {
        let r = try CLI.run(["routes", "compare", Self.fixture("both.censorscope.json"), "--censor", "198.18.2.2"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.lines.first == "forward: 198.18.1.2 → 198.18.9.2 (censorscope, \(Self.fixture("both.censorscope.json")))")
        #expect(r.lines.contains("   2  198.18.2.2 <- censor           3  198.18.4.1"), "\(r.stdout)")
        #expect(r.lines.contains("asymmetric: the paths share 1 of 7 routers"))
        #expect(r.lines.contains("only reverse: 198.18.9.1, 198.18.6.1, 198.18.4.1"))
        #expect(r.lines.contains("censor 198.18.2.2: forward hop 2; not shown on the reverse path (no hop with its address or tied to it)"))
        #expect(r.lines.contains("AS paths: not looked up (give --asn-db FILE)"))
    }

    @Test func theSymmetricReturnPath() throws {
        let r = try CLI.run(["routes", "compare", Self.fixture("forward.mtr.json"), Self.fixture("reverse-symmetric.mtr.json"), "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try CLI.json(try #require(r.lines.first))
        #expect(json["asymmetric"] as? Bool == false)
        #expect(json["summary"] as? String == "symmetric: the paths share 4 of 4 routers")
    }

    @Test func errorsAreOneSentenceAndUsageErrorsExit64() throws {
        let garbage = Self.temporary("garbage.txt")
        #expect(FileManager.default.createFile(atPath: garbage, contents: Data("hello\nworld\n".utf8)))
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        let forward = Self.fixture("forward.censorscope.json")
        for (args, message) in [
            (["/nonexistent/f.json", forward], "error: cannot read the input file /nonexistent/f.json: No such file or directory."),
            ([garbage, forward], "error: \(garbage) is neither JSON nor traceroute text: it has no 'traceroute to' header and no numbered hop lines."),
            ([forward], "error: \(forward) holds one path; give the reverse trace as a second file."),
            ([forward, Self.fixture("forward.atlas.json"), "--format", "mtr"], "error: \(forward) does not hold mtr --json output."),
        ] {
            let r = try CLI.run(["routes", "compare"] + args)
            #expect(r.status == 1, "\(args)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr == message + "\n", "\(args): \(r.stderr)")
        }
        for args in [["--format", "csv"], ["--censor", "not-an-address"], ["--index", "-1"], ["--direction", "sideways"]] {
            let r = try CLI.run(["routes", "compare", forward, forward] + args)
            #expect(r.status == 64, "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }
}
