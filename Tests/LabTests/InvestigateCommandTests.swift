import Foundation
import Lab
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `investigate` run for real in the lab: each scenario's censor must be recognised for
/// what it is configured to do, at the hop where it sits, and clean targets must pass.
@Suite("investigate in the lab (root)", .serialized,
       .enabled(if: LabHarness.canRun && LabHarness.hasTools, "needs root, the censorscope binary, ping and traceroute"))
struct InvestigateCommandTests {
    static let server = "198.18.9.2"

    /// Runs `investigate … --json` in the client and parses the verdict; the evidence file
    /// goes to a temporary path that is removed afterwards.
    func investigate(_ scenario: String, _ args: [String]) throws -> [String: Any] {
        let pcap = NSTemporaryDirectory() + "cstest-investigate-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcapng"
        defer { unlink(pcap) }
        let r = try LabHarness.exec("client", [LabHarness.binary, "investigate"] + args + ["--json", "--pcap", pcap], scenario: scenario)
        try #require([0, 2, 3].contains(r.status), "investigate \(args.joined(separator: " ")) failed: \(r.stderr)")
        let result = try LabHarness.json(r.stdout)
        #expect(r.status == CLI.status(forVerdict: result["verdict"] as? String), "exit status \(r.status) for \(result["verdict"] ?? "?")")
        #expect(result["evidence_file"] as? String == pcap)
        #expect(FileManager.default.fileExists(atPath: pcap), "no evidence file")
        #expect((result["runtime_s"] as? Double).map { $0 > 0 && $0 < 10 } == true, "runtime \(String(describing: result["runtime_s"]))")
        return result
    }

    func variants(_ r: [String: Any]) -> [String: [String: Any]] {
        var out: [String: [String: Any]] = [:]
        for v in (r["syn_variants"] as? [[String: Any]]) ?? [] { if let name = v["variant"] as? String { out[name] = v } }
        return out
    }

    @Test func telegram2018IsSizeTriggeredRSTInjectionAtTheCensorsHop() throws {
        try LabHarness.withLab("telegram-2018") {
            let r = try investigate("telegram-2018", [Self.server, "--port", "80"])
            #expect(r["verdict"] as? String == "rst-injection")
            #expect(r["blocked"] as? Bool == true)
            let trigger = try #require(r["trigger"] as? [String: Any])
            #expect(trigger["kind"] as? String == "syn-size", "trigger \(trigger)")
            let v = variants(r)
            #expect(v["mss"]?["size"] as? Int == 44 && v["mss"]?["result"] as? String == "syn-ack" && v["mss"]?["injected"] as? Bool == false)
            #expect(v["linux"]?["size"] as? Int == 60 && v["linux"]?["result"] as? String == "rst" && v["linux"]?["injected"] as? Bool == true)
            // Whatever the options: MSS-only and bare SYNs padded to 60 bytes are blocked too; 52 passes.
            #expect(v["mss padded to 60"]?["injected"] as? Bool == true)
            #expect(v["bare padded to 60"]?["injected"] as? Bool == true)
            #expect(v["mss padded to 52"]?["result"] as? String == "syn-ack")
            #expect(v["windows"]?["result"] as? String == "syn-ack")
            let location = try #require(r["location"] as? [String: Any])
            #expect(location["ttl"] as? Int == 2)
            #expect(location["address"] as? String == "198.18.2.2")
            #expect(location["before"] as? String == "198.18.1.1")
            #expect(location["on_path"] as? Bool == false)
            // The injector as configured: TTL 59 at the censor (58 on arrival), IP ID 1, no DF, bare R.
            let injector = try #require(r["injector"] as? [String: Any])
            #expect(injector["ttl"] as? Int == 58)
            #expect(injector["ip_id"] as? Int == 1)
            #expect(injector["df"] as? Bool == false)
            #expect(injector["flags"] as? String == "R")
            #expect((r["evidence"] as? [[String: Any]])?.allSatisfy { !(($0["packets"] as? [Int]) ?? []).isEmpty } == true,
                    "every evidence item names its frames")
        }
    }

    /// From one real run: hops enriched from an iptoasn file, then every report format,
    /// each checked by the tool that reads it (JSON parser, tshark, Chromium).
    @Test func telegram2018ReportsInEveryFormat() throws {
        let dir = NSTemporaryDirectory() + "cstest-reports-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let asn = dir + "/ip2asn.tsv"
        try "198.18.1.0\t198.18.1.255\t64501\tZZ\tISP-NET\n198.18.2.0\t198.18.2.255\t64500\tZZ\tCENSOR-NET\n".write(toFile: asn, atomically: true, encoding: .utf8)
        let evidence = dir + "/evidence.pcapng"
        try LabHarness.withLab("telegram-2018") {
            let r = try LabHarness.exec("client", [LabHarness.binary, "investigate", Self.server, "--port", "80", "--json",
                                                   "--pcap", evidence, "--asn-db", asn], scenario: "telegram-2018")
            try #require(r.status == 2, "investigate failed (a block exits 2): \(r.stderr)")
            try r.stdout.write(toFile: dir + "/result.json", atomically: true, encoding: .utf8)
            let result = try LabHarness.json(r.stdout)
            let path = try #require(result["path"] as? [[String: Any]])
            #expect(path.first { $0["ttl"] as? Int == 2 }?["asn"] as? Int == 64500)
            #expect(path.first { $0["ttl"] as? Int == 2 }?["as_name"] as? String == "CENSOR-NET")
        }
        for format in ["json", "ooni", "csv", "md", "html", "pcapng"] {
            let out = dir + "/report.\(format)"
            let r = try LabHarness.run(["report", dir + "/result.json", "--format", format, "--output", out])
            try #require(r.status == 0, "report --format \(format) failed: \(r.stderr)")
            try #require(FileManager.default.fileExists(atPath: out))
        }
        let json = try LabHarness.json(try String(contentsOfFile: dir + "/report.json", encoding: .utf8))
        for key in ["target", "port", "verdict", "trigger", "syn_variants", "location", "injector", "evidence"] {
            #expect(json[key] != nil, "report.json lacks \(key)")
        }
        let ooni = try LabHarness.json(try String(contentsOfFile: dir + "/report.ooni", encoding: .utf8).split(separator: "\n")[0].description)
        #expect(ooni["probe_asn"] as? String == "AS0" && ooni["probe_cc"] as? String == "ZZ")
        #expect((ooni["measurement_start_time"] as? String)?.range(of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"#, options: .regularExpression) != nil)
        #expect((ooni["test_keys"] as? [String: Any])?["verdict"] as? String == "rst-injection")
        let csv = try String(contentsOfFile: dir + "/report.csv", encoding: .utf8)
        #expect(csv.contains("198.18.9.2,80,rst-injection"))
        // The pcapng opens in tshark and its comments say what the packets prove.
        let tshark = try LabHarness.runTool(["tshark", "-r", dir + "/report.pcapng", "-T", "fields", "-e", "frame.comment"])
        #expect(tshark.contains("proves: Forged answer to the linux SYN"), "tshark sees no 'proves:' comment")
        // The HTML renders in headless Chromium with its path diagram.
        if let chromium = ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            let dom = try LabHarness.runTool([chromium, "--no-sandbox", "--disable-gpu", "--headless", "--user-data-dir=\(dir)/profile",
                                              "--dump-dom", "file://" + dir + "/report.html"])
            #expect(dom.contains("<svg") && dom.contains("rst-injection"))
        } else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "chromium-headless-shell is not installed")
        }
    }

    /// Everything vanishes at the censor's hop: from one vantage that is silence, which a host
    /// down behind a silent gateway shows too, so not a block; the summary says where it begins.
    @Test func ipBlackholeIsUnreachableFromOneVantage() throws {
        try LabHarness.withLab("ip-blackhole") {
            let r = try investigate("ip-blackhole", [Self.server, "--port", "80"])
            #expect(r["verdict"] as? String == "unreachable" && r["blocked"] as? Bool == false)
            #expect(r["location"] is NSNull)
            #expect((r["summary"] as? String ?? "").contains("after TTL 1 (198.18.1.1)"), "\(r["summary"] ?? "")")
            #expect(r["injector"] is NSNull)
        }
    }

    @Test func gfwSNIIsOnPathPayloadRSTInjectionAndAControlSNIPasses() throws {
        try LabHarness.withLab("gfw-sni") {
            let r = try investigate("gfw-sni", [Self.server, "--port", "443", "--sni", "blocked.example"])
            #expect(r["verdict"] as? String == "rst-injection")
            #expect((r["trigger"] as? [String: Any])?["kind"] as? String == "payload")
            let location = try #require(r["location"] as? [String: Any])
            #expect(location["on_path"] as? Bool == true)
            #expect(location["ttl"] as? Int == 2)
            #expect(location["address"] as? String == "198.18.2.2")
            #expect((r["test"] as? [String: Any])?["sni"] as? String == "blocked.example")

            let control = try investigate("gfw-sni", [Self.server, "--port", "443", "--sni", "allowed.example"])
            #expect(control["verdict"] as? String == "reachable")
            #expect(control["blocked"] as? Bool == false)
            #expect(control["location"] is NSNull)
        }
    }

    @Test func keywordHTTPIsABlockpage() throws {
        try LabHarness.withLab("keyword-http") {
            let r = try investigate("keyword-http", [Self.server, "--port", "80", "--host", "blocked.example"])
            #expect(r["verdict"] as? String == "blockpage")
            #expect((r["location"] as? [String: Any])?["ttl"] as? Int == 2)
        }
    }

    @Test func everyCleanTargetIsReachable() throws {
        try LabHarness.withLab("clean") {
            for args in [[Self.server, "--port", "80"], [Self.server, "--port", "443", "--sni", "blocked.example"],
                         [Self.server, "--port", "80", "--host", "blocked.example"], [Self.server, "--port", "22"],
                         ["2001:db8:9::2", "--port", "80"], ["2001:db8:9::2", "--port", "443"]] {
                let r = try investigate("clean", args)
                #expect(r["verdict"] as? String == "reachable", "\(args): \(r["summary"] ?? "")")
                #expect(r["location"] is NSNull && r["injector"] is NSNull)
                #expect((r["trigger"] as? [String: Any])?["kind"] as? String == "none")
            }
        }
    }
}
