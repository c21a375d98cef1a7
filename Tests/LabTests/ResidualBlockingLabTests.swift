import ChildProcess
import Foundation
import Lab
import TestSupport
import Testing

/// Residual blocking built with the kernel's tools on `mid`: a request with Host
/// blocked.example is reset (or dropped) and sets `-m recent`; for the next 90 s every new
/// connection from that client to the address and port is reset (or dropped) too, the
/// control's included. `investigate` must keep the verdict the test earned (never
/// reachable), report the residual blocking, and locate the device; a campaign must space
/// its items to that address and port so the next name there is not measured under it.
@Suite(.serialized, .enabled(if: LabHarness.canRun))
struct ResidualBlockingLabTests {
    /// The keyword rule and the residual rule, REJECT with tcp-reset or DROP.
    static func build(_ v: PlainLab.Variant, drop: Bool, seconds: Int = 90) throws {
        try PlainLab.prepare(v)
        try rules(v, drop: drop, seconds: seconds)
    }

    static func rules(_ v: PlainLab.Variant, drop: Bool, seconds: Int) throws {
        let action = drop ? ["DROP"] : ["REJECT", "--reject-with", "tcp-reset"]
        try PlainLab.mid(v, ["-A", "FORWARD", "-d", v.server, "-p", "tcp", "--dport", "80", "-m", "string", "--string", "Host: blocked.example",
                             "--algo", "bm", "-m", "recent", "--name", "residual", "--set", "-j"] + action)
        try PlainLab.mid(v, ["-I", "FORWARD", "1", "-d", v.server, "-p", "tcp", "--dport", "80", "--syn", "-m", "recent", "--name", "residual",
                             "--rcheck", "--seconds", String(seconds), "-j"] + action)
    }

    @Test("reset after a keyword, then every new connection reset: rst-injection at mid, with residual", arguments: PlainLab.variants)
    func resets(_ v: PlainLab.Variant) throws {
        try LabHarness.withLab(PlainLab.scenario) {
            try Self.build(v, drop: false)
            let r = try PlainLab.investigate([v.server, "--port", "80", "--host", "blocked.example"])
            let e = PlainLab.essence(r)
            #expect(e.verdict == "rst-injection", "\(r["summary"] ?? "")")
            #expect(e.trigger == "payload")
            #expect(e.location == "4 \(v.router(4)) after \(v.router(3))", "\(r["location"] ?? "")")
            let residual = try #require(r["residual"] as? [String: Any], "no residual in \(r["summary"] ?? "")")
            #expect(residual["scope"] as? String == "address-port" && residual["how"] as? String == "reset" && residual["trigger_ttl"] as? Int == 4)
            #expect((residual["seconds_observed"] as? Double ?? 0) > 0)
            #expect((r["injector"] as? [String: Any])?["ttl"] as? Int == 62)   // REJECT's RST: TTL 64 at mid, two hops back
            #expect(r["blocked"] as? Bool == true)
            #expect(r["transfer"] == nil)   // nothing is downloaded from a blocked target
        }
    }

    @Test("dropped after a keyword, then every new connection dropped: drop at mid, with residual", arguments: PlainLab.variants)
    func drops(_ v: PlainLab.Variant) throws {
        try LabHarness.withLab(PlainLab.scenario) {
            try Self.build(v, drop: true)
            let r = try PlainLab.investigate([v.server, "--port", "80", "--host", "blocked.example"])
            let e = PlainLab.essence(r)
            #expect(e.verdict == "drop", "\(r["summary"] ?? "")")
            #expect(e.trigger == "payload")
            #expect(e.location == "4 \(v.router(4)) after \(v.router(3))", "\(r["location"] ?? "")")
            let residual = try #require(r["residual"] as? [String: Any], "no residual in \(r["summary"] ?? "")")
            #expect(residual["scope"] as? String == "address-port" && residual["how"] as? String == "silence")
        }
    }

    @Test("a clean name is reachable, with no residual; the same name right after a blocked one is not called reachable")
    func cleanAndAfterwards() throws {
        try LabHarness.withLab(PlainLab.scenario) {
            for v in [PlainLab.variants[0], PlainLab.variants[3]] {
                try Self.build(v, drop: false)
                let clean = try PlainLab.investigate([v.server, "--port", "80", "--host", "allowed.example"])
                #expect(PlainLab.essence(clean).verdict == "reachable", "\(v): \(clean["summary"] ?? "")")
                #expect(clean["residual"] == nil)
                // Now set it off, then measure the clean name within the 90 s: its SYNs are reset, never "reachable".
                _ = try PlainLab.investigate([v.server, "--port", "80", "--host", "blocked.example"])
                let after = try PlainLab.investigate([v.server, "--port", "80", "--host", "allowed.example"])
                #expect(PlainLab.essence(after).verdict != "reachable", "\(v): \(after["summary"] ?? "")")
            }
        }
    }

    /// Two names on one address: the blocked one sets off 20 s of residual blocking; with a
    /// 25 s hold-off the allowed one, measured after it, is reachable.
    @Test("campaign run spaces items to the same address and port after a block")
    func campaignHoldsOff() throws {
        let dir = "/tmp/cstest-residual-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let experiment = try String(contentsOf: repositoryRoot.appendingPathComponent("Probes/experiments/investigate.yaml"), encoding: .utf8)
        let script = dir + "/investigate-holdoff.yaml"
        try experiment.replacingOccurrences(of: "  timeout_ms: 2000", with: "  timeout_ms: 2000\n  holdoff_s: 25")
            .write(toFile: script, atomically: true, encoding: .utf8)
        try "blocked.example:80\nallowed.example:80\n".write(toFile: dir + "/targets.txt", atomically: true, encoding: .utf8)
        try LabHarness.withLab(PlainLab.scenario) {
            try PlainLab.prepare(PlainLab.variants[0])
            try Self.rules(PlainLab.variants[0], drop: false, seconds: 20)
            try Self.rules(PlainLab.variants[2], drop: false, seconds: 20)
            let db = dir + "/c.sqlite"
            // Seed 7 orders the items blocked before allowed on both addresses (checked below).
            let run = try LabHarness.exec("client", [LabHarness.binary, "campaign", "run", script, "--targets", dir + "/targets.txt", "--db", db,
                                                     "--resolver", "198.18.9.2", "--allow-reserved", "--rate", "max", "--seed", "7", "--quiet"],
                                          scenario: PlainLab.scenario)
            #expect(run.status == 0 || run.status == 2, "campaign failed: \(run.stderr)")
            let report = try LabHarness.run(["campaign", "report", "--db", db, "--format", "json"])
            var verdicts: [String: String] = [:]
            for line in report.stdout.split(separator: "\n") {
                let v = try LabHarness.json(String(line))
                verdicts["\(v["name"] as? String ?? "?") \(v["target"] as? String ?? "?")"] = v["verdict"] as? String
            }
            for server in ["198.18.9.2", "2001:db8:9::2"] {
                #expect(verdicts["blocked.example \(server)"] == "rst-injection", "\(verdicts)")
                #expect(verdicts["allowed.example \(server)"] == "reachable", "\(verdicts)")
            }
            // When each item started and ended: the allowed one waited out the hold-off.
            let rows = Subprocess.run(["sqlite3", db, "SELECT i.name, i.address, r.started_at, r.finished_at FROM item i JOIN verdict r ON r.item_id = i.id ORDER BY r.started_at"],
                                      timeout: 30)
            try #require(rows.status == 0, "sqlite3: \(rows.stderr)")
            var times: [String: (Double, Double)] = [:]
            for line in rows.stdout.split(separator: "\n") {
                let f = line.split(separator: "|").map(String.init)
                guard f.count == 4, let s = Double(f[2]), let e = Double(f[3]) else { continue }
                times["\(f[0]) \(f[1])"] = (s, e)
            }
            for server in ["198.18.9.2", "2001:db8:9::2"] {
                let blocked = try #require(times["blocked.example \(server)"]), allowed = try #require(times["allowed.example \(server)"])
                try #require(blocked.0 < allowed.0, "seed 7 no longer runs the blocked item first on \(server): pick another seed")
                #expect(allowed.0 - blocked.1 >= 25, "\(server): the allowed item started \(allowed.0 - blocked.1) s after the blocked one ended")
            }
        }
    }
}
