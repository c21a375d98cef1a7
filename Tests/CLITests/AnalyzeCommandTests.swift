import Foundation
import TestSupport
import Testing

/// `censorscope analyze` on a CenTrace sample pair, as a user runs it.
@Suite(.enabled(if: CLI.sharedDirectory != nil, "skipped: ../shared is absent"))
struct AnalyzeCommandTests {
    static func sample(_ name: String) -> String {
        (CLI.sharedDirectory?.appendingPathComponent("centrace-sample/" + name).path) ?? name
    }

    @Test func niftyPairAsJSON() throws {
        let r = try CLI.run(["analyze", Self.sample("188.65.24.82_www.nifty.org_www.nifty.org.pcap"),
                             "--control", Self.sample("188.65.24.82_www.nifty.org_example.com.pcap"), "--json"])
        #expect(r.status == 2, "censored exits 2; stderr: \(r.stderr)")
        #expect(r.lines.count == 1)
        let j = try CLI.json(try #require(r.lines.first))
        #expect(j["outcome"] as? String == "censored")
        #expect(j["mechanism"] as? String == "rst")
        let ttl = try #require(j["terminating_ttl"] as? [String: Any])
        #expect(ttl["test"] as? Int == 18)
        #expect(ttl["control"] as? Int == 23)
        let box = try #require(j["middlebox"] as? [String: Any])
        #expect(box["address"] as? String == "134.0.217.233")
        #expect(j["on_path"] as? Bool == false)
        #expect(j["confidence"] as? String == "high")
        #expect((j["reasons"] as? [String])?.isEmpty == false)
        let test = try #require(j["test"] as? [String: Any])
        #expect(test["domain"] as? String == "www.nifty.org")
        #expect(test["target"] as? String == "188.65.24.82")
        #expect((test["ttls"] as? [Any])?.count == 18)
    }

    @Test func notACaptureIsOneSentenceAndFailure() throws {
        let r = try CLI.run(["analyze", "/dev/null"])
        #expect(r.status != 0)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("error: "))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }
}
