import ChildProcess
import Foundation
import Lab
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Interception built with the kernel's tools: mid DNATs port 80 of the server to the ISP's
/// warning-page server (`portal`), or REDIRECTs it to a listener of its own. The handshake
/// is then completed in the host's name by another device; `investigate` must say
/// `blockpage` with the page it serves, and locate the device with TTL-limited SYNs.
@Suite(.serialized, .enabled(if: LabHarness.canRun))
struct InterceptionLabTests {
    @Test("DNAT of port 80 to the portal: blockpage from the portal, located past mid, with and without --host", arguments: PlainLab.variants)
    func dnat(_ v: PlainLab.Variant) throws {
        try LabHarness.withLab(PlainLab.scenario) {
            try PlainLab.prepare(v)
            try PlainLab.mid(v, ["-t", "nat", "-A", "PREROUTING", "-d", v.server, "-p", "tcp", "--dport", "80", "-j", "DNAT",
                                 "--to-destination", v.v6 ? "[\(v.portal)]" : v.portal])
            for host in [nil, "news.example"] {
                let r = try PlainLab.investigate([v.server, "--port", "80"] + (host.map { ["--host", $0] } ?? []))
                let e = PlainLab.essence(r)
                #expect(e.verdict == "blockpage", "\(host ?? "-"): \(r["summary"] ?? "")")
                #expect(e.trigger == "port")   // port 443 of the same address reaches the host
                // The SYN limited to TTL 4 draws the portal's SYN-ACK; control probes reach transit there.
                #expect(e.location == "4 \(v.router(4)) after \(v.router(3))", "\(r["location"] ?? "")")
                let page = try #require(r["page"] as? [String: Any], "no page: \(r["summary"] ?? "")")
                #expect(page["host"] as? String == host ?? v.hostHeader)
                #expect(page["first_line"] as? String == "HTTP/1.1 200 OK")
                #expect((page["bytes"] as? Int ?? 0) > 200)
                #expect(page["ttl"] as? Int == 61)   // the portal: three hops back
                let injector = try #require(r["injector"] as? [String: Any])
                #expect(injector["flags"] as? String == "SA" && injector["ttl"] as? Int == 61)
                // The SYN trials name the forged answer for what it is: a SYN-ACK, not a reset.
                let first = try #require((r["syn_variants"] as? [[String: Any]])?.first)
                #expect(first["result"] as? String == "syn-ack" && first["injected"] as? Bool == true)
                #expect((r["genuine"] as? [String: Any])?["ttl"] as? Int == 60)
                #expect((r["summary"] as? String ?? "").contains("intercepted"))
            }
        }
    }

    @Test("REDIRECT of port 80 to a listener on mid: blockpage located at mid itself", arguments: PlainLab.variants)
    func redirect(_ v: PlainLab.Variant) throws {
        try LabHarness.withLab(PlainLab.scenario) {
            try PlainLab.prepare(v)
            let mid = LabPlan.namespace(scenario: PlainLab.scenario, node: "mid")
            let log = "/tmp/cstest-isp-proxy-\(getpid()).log"
            defer { try? FileManager.default.removeItem(atPath: log) }
            let listener = try #require(Subprocess.start(["ip", "netns", "exec", mid, LabHarness.binary, "lab", "serve", "--http", "8080",
                                                          "--name", "isp-proxy"], outputFile: log))
            defer { Subprocess.stop(listener) }
            try #require(Self.waitForReady(log), "the listener on mid did not start")
            try PlainLab.mid(v, ["-t", "nat", "-A", "PREROUTING", "-d", v.server, "-p", "tcp", "--dport", "80", "-j", "REDIRECT",
                                 "--to-ports", "8080"])
            let r = try PlainLab.investigate([v.server, "--port", "80"])
            let e = PlainLab.essence(r)
            #expect(e.verdict == "blockpage", "\(r["summary"] ?? "")")
            #expect(e.trigger == "port")
            // mid answers a SYN that reaches it with TTL 1: the device is the router at TTL 3.
            #expect(e.location == "3 \(v.router(3)) after \(v.router(2))", "\(r["location"] ?? "")")
            let page = try #require(r["page"] as? [String: Any])
            #expect(page["first_line"] as? String == "HTTP/1.1 200 OK" && page["ttl"] as? Int == 62)
        }
    }

    /// `lab serve` prints "ready" once it listens.
    static func waitForReady(_ log: String) -> Bool {
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: log, encoding: .utf8), text.contains("ready") { return true }
            usleep(100_000)
        }
        return false
    }

    @Test("without interception the same port is reachable and no page is fetched", arguments: [PlainLab.variants[1], PlainLab.variants[2]])
    func clean(_ v: PlainLab.Variant) throws {
        try LabHarness.withLab(PlainLab.scenario) {
            try PlainLab.prepare(v)
            let r = try PlainLab.investigate([v.server, "--port", "80"])
            #expect(PlainLab.essence(r).verdict == "reachable", "\(r["summary"] ?? "")")
            #expect(r["page"] == nil && r["location"] is NSNull)
        }
    }
}
