import Foundation
import JSONSupport
import Records
import Reports
import Testing

@Suite struct InvestigationReaderTests {
    @Test func readsAnObjectAnArrayAndJSONLines() throws {
        let one = try InvestigationReader.read(bytes: Fixtures.bytes("drop-silent-path.json"), name: "x")
        #expect(one.count == 1)
        #expect(one[0].target == "198.18.9.4")
        #expect(one[0].port == 5222)
        #expect(one[0].verdict == "drop")
        #expect(one[0].testPath?.count == 4)
        #expect(one[0].testPath?[2].address == nil)
        let lines = try InvestigationReader.read(bytes: Fixtures.jsonLines(), name: "x")
        #expect(lines.map(\.verdict) == ["rst-injection", "reachable", "drop", "rst-injection"])
        let array = "[" + (try Fixtures.names.map { String(decoding: try Fixtures.bytes($0), as: UTF8.self) }.joined(separator: ",")) + "]"
        #expect(try InvestigationReader.read(bytes: Array(array.utf8), name: "x").count == 4)
    }

    @Test func readsEveryFieldOfTheContract() throws {
        let inv = try Fixtures.investigation("rst-injection-syn-size.json")
        #expect(inv.endpoint == "198.18.9.2:80")
        #expect(inv.blocked == true)
        #expect(inv.test?.kind == "http" && inv.test?.name == "blocked.example")
        #expect(inv.trigger?.kind == "syn-size")
        #expect(inv.trigger?.blocked == ["linux (60 bytes)", "windows (52 bytes)"])
        #expect(inv.synVariants.count == 4)
        #expect(inv.synVariants[3].response?.ttl == 58)
        #expect(inv.location?.ttl == 2)
        #expect(inv.location?.onPath == false)
        #expect(inv.injector?.ipID == 1)
        #expect(inv.injector?.df == false)
        #expect(inv.genuine?.ttl == 60)
        #expect(inv.path?.count == 4)
        #expect(inv.answers.filter { $0.forged == true }.count == 2)
        #expect(inv.evidence.map(\.packets) == [[3, 4], [1, 2], [5, 6]])
        #expect(inv.runtimeSeconds == 4.2)
        #expect(inv.softwareVersion == "0.5.0")
        let reachable = try Fixtures.investigation("reachable.json")
        #expect(reachable.vantage?.asn == 64500)
        #expect(reachable.path?[0].asn == 64500)
        #expect(reachable.test?.name == "news.example")
        #expect(reachable.location == nil)
    }

    @Test(arguments: [
        ("this is not json", "is not JSON (line 1, column 1"),
        ("", "is not JSON"),
        ("{\"target\": \"198.18.9.2\"}", "result 1 has no \"verdict\""),
        ("{\"verdict\": \"drop\"}", "result 1 has no \"target\""),
        ("{\"verdict\": \"drop\", \"target\": 5}", "has no \"target\""),
        ("[{\"verdict\": \"drop\", \"target\": \"a\"}, 3]", "result 2 is not a JSON object"),
        ("{\"verdict\": \"drop\", \"target\": \"a\"}\n{\"verdict\": \"drop\"}", "result 2 has no \"target\""),
        ("[]", "holds no investigation"),
    ] as [(String, String)])
    func rejectsWhatIsNotAnInvestigation(input: String, fragment: String) {
        do {
            _ = try InvestigationReader.read(bytes: Array(input.utf8), name: "results.json")
            Issue.record("accepted \(input.debugDescription)")
        } catch {
            #expect(error.description.contains(fragment), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func hostileFieldsReadAsAbsent() throws {
        let inv = try #require(try InvestigationReader.read(bytes: Array(Fixtures.hostile.utf8), name: "h").first)
        #expect(inv.port == nil)
        #expect(inv.blocked == nil)
        #expect(inv.trigger?.kind == nil)
        #expect(inv.trigger?.blocked == ["<i>x</i>"])
        #expect(inv.synVariants.count == 1)
        #expect(inv.synVariants[0].size == nil)
        #expect(inv.location?.ttl == 99_999_999)
        #expect(inv.location?.onPath == nil)
        #expect(inv.injector == nil)
        #expect(inv.path?.map(\.ttl) == [-5, nil, nil])
        #expect(inv.testPath == nil)
        #expect(inv.answers.count == 1)
        #expect(inv.answers[0].forged == nil)
        #expect(inv.evidence.count == 1)
        #expect(inv.evidence[0].packets.isEmpty)
        #expect(inv.evidenceFile == nil)
        #expect(inv.vantage?.asn == nil)
        // Every text format renders it without trapping.
        for format in ReportFormat.allCases where format.isText {
            #expect(try !format.render([inv]).isEmpty)
        }
    }
}

@Suite struct DataReportTests {
    @Test func jsonIsTheObjectOrAnArray() throws {
        let inv = try Fixtures.investigation("rst-injection-syn-size.json")
        let single = try JSONParser.parse(JSONReport.render([inv]))
        #expect(single == inv.passThrough)
        #expect(JSONReport.render([inv]).contains("\n  \"target\": \"198.18.9.2\""))
        let all = try Fixtures.all()
        let many = try JSONParser.parse(JSONReport.render(all))
        #expect(many == .array(all.map(\.passThrough)))
    }

    @Test func ooniFollowsTheBaseDataFormat() throws {
        let all = try Fixtures.all()
        let lines = OONIReport.render(all).split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        let measurements = try lines.map { try JSONParser.parse($0) }
        let first = measurements[0]
        guard case .object(let fields) = first else { Issue.record("not an object"); return }
        #expect(fields.map(\.key) == [
            "annotations", "data_format_version", "input", "measurement_start_time", "probe_asn", "probe_cc",
            "probe_ip", "report_id", "software_name", "software_version", "test_keys", "test_name",
            "test_runtime", "test_start_time", "test_version",
        ])
        #expect(first["data_format_version"] == "0.2.0")
        #expect(first["input"] == "198.18.9.2:80")
        #expect(first["measurement_start_time"] == "2026-11-21 10:00:00")
        #expect(first["probe_asn"] == "AS0")
        #expect(first["probe_cc"] == "ZZ")
        #expect(first["probe_ip"] == "127.0.0.1")
        #expect(first["software_name"] == "censorscope")
        #expect(first["software_version"] == "0.5.0")
        #expect(first["test_name"] == "censorscope_investigate")
        #expect(first["test_runtime"] == .double(4.2))
        #expect(first["test_version"] == "1.0.0")
        #expect(first["test_keys"]?["verdict"] == "rst-injection")
        #expect(first["test_keys"]?["location"]?["ttl"] == .int(2))
        #expect(first["test_keys"]?["vantage"] == nil)
        #expect(first["annotations"]?["censorscope_schema"] == "censorscope.investigation/1")
        #expect(measurements[1]["probe_asn"] == "AS64500")
        #expect(measurements[1]["probe_cc"] == "DE")
        #expect(measurements[1]["input"] == "198.18.9.3:443")
        // One report: every line shares the id and the earliest start.
        let ids = Set(measurements.compactMap { $0["report_id"]?.serializedString })
        #expect(ids.count == 1)
        let id = try #require(ids.first)
        #expect(id.hasPrefix("20261121T100000Z_AS0_"))
        #expect(id.count == "20261121T100000Z_AS0_".count + 16)
        #expect(measurements.allSatisfy { $0["test_start_time"] == "2026-11-21 10:00:00" })
        #expect(measurements[3]["measurement_start_time"] == "2026-11-21 10:00:20")
        // A different result set gets a different id.
        let other = try JSONParser.parse(String(OONIReport.render([all[0]]).split(separator: "\n")[0]))
        #expect(other["report_id"] != first["report_id"])
    }

    @Test func ooniNormalisesTimesAndDefaultsTheUnknown() throws {
        let iso = #"{"target": "2001:db8::2", "port": 443, "verdict": "drop", "measurement_start_time": "2026-11-21T10:00:00.123Z", "vantage": {"asn": "AS64511", "cc": "nl"}}"#
        let inv = try #require(try InvestigationReader.read(bytes: Array(iso.utf8), name: "x").first)
        let m = try JSONParser.parse(String(OONIReport.render([inv]).dropLast()))
        #expect(m["input"] == "[2001:db8::2]:443")
        #expect(m["measurement_start_time"] == "2026-11-21 10:00:00")
        #expect(m["probe_asn"] == "AS64511")
        #expect(m["probe_cc"] == "NL")
        #expect(m["software_version"] == "unknown")
        let hostile = try #require(try InvestigationReader.read(bytes: Array(Fixtures.hostile.utf8), name: "h").first)
        let h = try JSONParser.parse(String(OONIReport.render([hostile]).dropLast()))
        #expect(h["measurement_start_time"] == .null)
        #expect(h["test_runtime"] == .null)
        #expect(h["probe_cc"] == "ZZ")
        #expect(h["report_id"]?.serializedString?.hasPrefix("19700101T000000Z_AS0_") == true)
    }

    @Test func csvHasOneRowPerResultAndQuotesByRFC4180() throws {
        let csv = CSVReport.render(try Fixtures.all())
        #expect(csv.hasSuffix("\r\n"))
        let rows = parseCSV(csv)
        #expect(rows.count == 5)
        #expect(rows[0] == CSVReport.columns)
        #expect(rows[1] == ["198.18.9.2", "80", "rst-injection", "true", "syn-size", "2", "198.18.2.2", "198.18.1.1",
                            "false", "58", "1", try Fixtures.investigation("rst-injection-syn-size.json").summary ?? "",
                            "2026-11-21 10:00:00"])
        #expect(rows[2][5] == "")
        #expect(rows[3][6] == "")
        #expect(rows[4][8] == "true")
        #expect(rows.allSatisfy { $0.count == 13 })
    }

    @Test(arguments: [
        ("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\nlines", "\"two\nlines\""),
        ("cr\r", "\"cr\r\""), ("", ""), ("é ü", "é ü"),
    ])
    func csvField(input: String, expected: String) {
        #expect(CSVReport.field(input) == expected)
    }

    @Test func csvOfAHostileResultStillParsesToThirteenFields() throws {
        let hostile = try #require(try InvestigationReader.read(bytes: Array(Fixtures.hostile.utf8), name: "h").first)
        let rows = parseCSV(CSVReport.render([hostile]))
        #expect(rows.count == 2)
        #expect(rows[1].count == 13)
        #expect(rows[1][11] == "<script>alert('pwned')</script> | a, \"quoted\"\nsecond line")
    }

    /// An RFC 4180 reader, to check the writer against.
    func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\r\n" || c == "\n" {
                row.append(field); rows.append(row); row = []; field = ""
            } else {
                field.append(c)
            }
        }
        return rows
    }
}

extension JSONValue {
    var serializedString: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

@Suite struct HostileInputTests {
    /// Replaces values anywhere in the tree with values of other types, at random.
    func mutate(_ value: JSONValue, _ rng: inout SplitMix) -> JSONValue {
        let replacements: [JSONValue] = [.null, .bool(true), .int(-1), .int(Int64.max), .double(1e300), .double(-0.5),
                                         .string("<script>x</script>"), .string(""), .array([]), .object([]), [1, "a"]]
        if rng.next() % 9 == 0 { return replacements[Int(rng.next() % UInt64(replacements.count))] }
        switch value {
        case .array(let items): return .array(items.map { mutate($0, &rng) })
        case .object(let fields): return .object(fields.map { (key: $0.key, value: mutate($0.value, &rng)) })
        default: return value
        }
    }

    @Test func mutatedResultsRenderInEveryTextFormatWithoutTrapping() throws {
        var rng = SplitMix(seed: 99)
        let originals = try Fixtures.names.map { try JSONParser.parse(bytes: Fixtures.bytes($0)) }
        var rendered = 0
        for round in 0..<400 {
            let mutated = mutate(originals[round % originals.count], &rng)
            guard let inv = try? InvestigationRecord(json: mutated) else { continue }
            for format in ReportFormat.allCases where format.isText {
                let text = try format.render([inv])
                #expect(!text.isEmpty)
                if format == .html { #expect(!text.contains("<script")) }
            }
            rendered += 1
        }
        #expect(rendered > 100)
    }
}
