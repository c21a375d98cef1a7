import Foundation
import JSONSupport
import Records
import Reports

/// The realistic investigation results in Fixtures/.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// rst-injection on SYN size at hop 2, reachable, drop with a silent path, on-path payload injection.
    static let names = ["rst-injection-syn-size.json", "reachable.json", "drop-silent-path.json", "onpath-payload.json"]

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: url(name))) }

    static func investigation(_ name: String) throws -> InvestigationRecord {
        let all = try InvestigationReader.read(bytes: bytes(name), name: name)
        guard all.count == 1 else { throw ReportError("\(name) holds \(all.count) results") }
        return all[0]
    }

    static func all() throws -> [InvestigationRecord] { try names.map(investigation) }

    /// The fixtures as JSON Lines, as a campaign would write them.
    static func jsonLines() throws -> [UInt8] {
        var out: [UInt8] = []
        for name in names {
            out += Array(try JSONParser.parse(bytes: bytes(name)).serialized().utf8) + [0x0A]
        }
        return out
    }

    /// A result whose every field is hostile: markup, wrong types, absurd numbers.
    static let hostile = #"""
        {"target": "<img src=x onerror=alert(1)>\"'&", "port": "80", "verdict": "<b>rst</b>",
         "blocked": "yes", "summary": "<script>alert('pwned')</script> | a, \"quoted\"\nsecond line",
         "trigger": {"kind": ["syn-size"], "detail": 5, "blocked": [1, "<i>x</i>"], "passed": null},
         "syn_variants": [1, {"variant": "</table>", "size": 1e300, "response": "none", "rtt_ms": "fast"}],
         "location": {"ttl": 99999999, "address": "<svg onload=x>", "on_path": "maybe"},
         "injector": [1, 2], "genuine": "no",
         "path": [{"ttl": -5, "address": "</svg><script>x</script>"}, {"ttl": 3.5}, "hop", {"ttl": 1e20}],
         "test_path": {"ttl": 1},
         "answers": [{"probe": "<script>", "from": "\"><script>", "ttl": "x", "kind": null, "forged": "true"}, 7],
         "evidence": [{"claim": "]]><!--", "packets": [0, -1, 2.5, "3", 1e30]}, {"packets": [1]}],
         "evidence_file": 42, "measurement_start_time": "yesterday", "runtime_s": "long",
         "vantage": {"asn": "ASX", "cc": "<z>"}, "software": ["x"]}
        """#
}
