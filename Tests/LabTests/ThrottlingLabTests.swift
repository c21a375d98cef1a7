import ChildProcess
import Foundation
import Lab
import TestSupport
import Testing

/// Throttling built with the kernel's tools: on mid, `-m string` on the Host or SNI marks
/// the connection (CONNMARK), and CLASSIFY puts its packets towards the client into a
/// 1 Mbit/s htb class; everything else runs at full speed. And our emulator's
/// `throttle-sni` lab (150 kbit/s). `investigate` must say `throttle` with both rates.
@Suite(.serialized, .enabled(if: LabHarness.canRun))
struct ThrottlingLabTests {
    static let object = "/bytes/1048576"

    static func build(_ v: PlainLab.Variant, port: Int, match: String) throws {
        try PlainLab.prepare(v)
        try PlainLab.run("mid", ["tc", "qdisc", "add", "dev", "to-isp", "root", "handle", "1:", "htb", "default", "20"])
        try PlainLab.run("mid", ["tc", "class", "add", "dev", "to-isp", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit", "ceil", "1mbit"])
        try PlainLab.run("mid", ["tc", "class", "add", "dev", "to-isp", "parent", "1:", "classid", "1:20", "htb", "rate", "10gbit"])
        try PlainLab.mid(v, ["-t", "mangle", "-A", "FORWARD", "-d", v.server, "-p", "tcp", "--dport", String(port), "-m", "string",
                             "--string", match, "--algo", "bm", "-j", "CONNMARK", "--set-mark", "0x10"])
        try PlainLab.mid(v, ["-t", "mangle", "-A", "POSTROUTING", "-o", "to-isp", "-m", "connmark", "--mark", "0x10",
                             "-j", "CLASSIFY", "--set-class", "1:10"])
    }

    static func expectThrottled(_ r: [String: Any], testName: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let e = PlainLab.essence(r)
        #expect(e.verdict == "throttle", "\(r["summary"] ?? "")", sourceLocation: sourceLocation)
        #expect(e.trigger == "payload" && e.location == "null", sourceLocation: sourceLocation)
        #expect((r["trigger"] as? [String: Any])?["blocked"] as? [String] == [testName], sourceLocation: sourceLocation)
        let t = try #require(r["transfer"] as? [String: Any], sourceLocation: sourceLocation)
        #expect(t["object"] as? String == object && t["judged"] as? Bool == true, sourceLocation: sourceLocation)
        let test = try #require((t["test"] as? [String: Any])?["bytes_per_s"] as? Double, sourceLocation: sourceLocation)
        let control = try #require((t["control"] as? [String: Any])?["bytes_per_s"] as? Double, sourceLocation: sourceLocation)
        #expect(test < 200_000 && control > 4 * test, "test \(test) B/s, control \(control) B/s", sourceLocation: sourceLocation)
        #expect((t["ratio"] as? Double ?? 0) >= 4, sourceLocation: sourceLocation)
        #expect(r["blocked"] as? Bool == true && r["residual"] == nil, sourceLocation: sourceLocation)
    }

    @Test("HTTP Host throttled on port 80: throttle", arguments: PlainLab.variants)
    func host(_ v: PlainLab.Variant) throws {
        try LabHarness.withLab(PlainLab.scenario) {
            try Self.build(v, port: 80, match: "Host: throttled.example")
            let r = try PlainLab.investigate([v.server, "--port", "80", "--host", "throttled.example"])
            try Self.expectThrottled(r, testName: "HTTP Host throttled.example")
            // Another name through the same box is not throttled.
            let other = try PlainLab.investigate([v.server, "--port", "80", "--host", "allowed.example"])
            #expect(PlainLab.essence(other).verdict == "reachable", "\(other["summary"] ?? "")")
            #expect((other["transfer"] as? [String: Any])?["judged"] as? Bool == true)
        }
    }

    @Test("TLS SNI throttled on port 443: throttle", arguments: PlainLab.variants)
    func sni(_ v: PlainLab.Variant) throws {
        try LabHarness.withLab(PlainLab.scenario) {
            try Self.build(v, port: 443, match: "throttled.example")
            let r = try PlainLab.investigate([v.server, "--port", "443", "--sni", "throttled.example"])
            try Self.expectThrottled(r, testName: "TLS SNI throttled.example")
        }
    }

    @Test("the throttle-sni lab (our emulator, 150 kbit/s) says throttle, IPv4 and IPv6")
    func emulator() throws {
        try LabHarness.withLab("throttle-sni") {
            for server in ["198.18.9.2", "2001:db8:9::2"] {
                let r = try LabHarness.exec("client", [LabHarness.binary, "investigate", server, "--port", "443", "--sni", "throttled.example",
                                                       "--json", "--allow-reserved"], scenario: "throttle-sni")
                // A blocking verdict exits 2 (DESIGN.md); the verdict is asserted below.
                try #require(r.status == 2, "\(r.stderr)")
                try Self.expectThrottled(try LabHarness.json(r.stdout), testName: "TLS SNI throttled.example")
                let clean = try LabHarness.exec("client", [LabHarness.binary, "investigate", server, "--port", "443", "--sni", "allowed.example",
                                                           "--json", "--allow-reserved"], scenario: "throttle-sni")
                let verdict = try LabHarness.json(clean.stdout)["verdict"] as? String
                #expect(clean.status == 0 && verdict == "reachable", "\(clean.stdout)")
            }
        }
    }

    @Test("an object too small to judge is said so, and the verdict stays reachable")
    func smallObject() throws {
        try LabHarness.withLab(PlainLab.scenario) {
            let v = PlainLab.variants[0]
            try Self.build(v, port: 80, match: "Host: throttled.example")
            let r = try PlainLab.investigate([v.server, "--port", "80", "--host", "throttled.example", "--object", "/"])
            #expect(PlainLab.essence(r).verdict == "reachable")
            #expect((r["transfer"] as? [String: Any])?["judged"] as? Bool == false)
            #expect((r["summary"] as? String ?? "").contains("Throttling was not measured"))
        }
    }
}
