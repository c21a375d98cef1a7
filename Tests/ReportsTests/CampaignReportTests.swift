import Foundation
import Records
import Reports
import Testing

/// The campaign overview (md and html) over the fixtures copied to many targets, as a
/// campaign store would give them.
enum CampaignFixtures {
    /// `copies` of each fixture, each copy at its own address in the fixture's /24.
    static func records(copies: Int) throws -> [InvestigationRecord] {
        var out: [InvestigationRecord] = []
        for inv in try Fixtures.all() {
            let prefix = inv.target.split(separator: ".").prefix(3).joined(separator: ".")
            for i in 0..<copies {
                var copy = inv
                copy.target = "\(prefix).\(100 + i)"
                out.append(copy)
            }
        }
        return out
    }

    static func header(state: CampaignHeader.State = .complete, measured: Int, total: Int) -> CampaignHeader {
        CampaignHeader(name: "lab", scriptPath: "Probes/campaigns/lab.yaml", scriptSHA256: String(repeating: "ab", count: 32),
                       targetsPath: "Probes/campaigns/lab.txt", softwareVersion: "0.1.0", vantages: ["198.18.1.2"],
                       startedAt: "2026-12-02 12:00:00 UTC", endedAt: state == .complete ? "2026-12-02 12:01:00 UTC" : nil,
                       measured: measured, total: total, failed: 0, sessions: 1, state: state)
    }
}

@Suite struct CampaignReportTests {
    @Test("HTML: header, totals chart, devices naming the hop and its targets, one row per target")
    func htmlOverview() throws {
        let records = try CampaignFixtures.records(copies: 3)
        let overview = CampaignOverview(header: CampaignFixtures.header(measured: 12, total: 12), records: records)
        let html = CampaignHTML.render(overview)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("<script") && !html.contains("<link"))
        #expect(html.contains("<h1>Campaign lab</h1>"))
        #expect(html.contains("Complete: 12 of 12 measured."))
        #expect(html.contains("SHA-256 " + String(repeating: "ab", count: 32)))
        // The chart: one bar per verdict, in order of frequency (ties by name).
        let bars = html.matches(of: /<g class="bar" data-verdict="([a-z-]+)">/).map { String($0.1) }
        #expect(bars == ["rst-injection", "drop", "reachable"])
        #expect(html.contains(">6 (50 %)</text>"))
        // Devices: the SYN-size and the on-path injectors share hop 2 but not their fingerprint.
        #expect(html.contains("<h3>Device 1: 198.18.2.2 (hop 2)</h3>"))
        #expect(html.contains("6 targets blocked at 198.18.2.2 (hop 2), in 2 ways (3 rst-injection, 3 rst-injection)"))
        #expect(html.contains("3 × rst-injection: forged RST TTL 58, IP ID 1, no DF, window 64240, 1 copy, in-path"))
        #expect(html.contains("3 × rst-injection: forged RST (RA) TTL 62, IP ID 4660, no DF, window 0, 2 copies, on-path"))
        #expect(html.contains("<h3>Device 2: hop 3, after 198.18.2.2</h3>"))
        #expect(html.contains("198.18.9.100:80 198.18.9.101:80 198.18.9.102:80"))
        // Breakdowns, and the hint for the AS one.
        #expect(html.contains("<tr><td>80</td><td>3</td><td>3</td></tr>"))
        #expect(html.contains("<tr><td>198.18.9.0/24</td><td>9</td><td>12</td></tr>"))
        #expect(html.contains("--asn-db FILE"))
        // One row per target; the blocked ones link their device and keep details on demand.
        #expect(html.components(separatedBy: "<tr class=\"").count - 1 == 12)
        #expect(html.components(separatedBy: "<tr class=\"b\">").count - 1 == 9)
        #expect(html.contains("<td><a href=\"#device-2\">2</a></td>"))
        #expect(html.components(separatedBy: "<details><summary>").count - 1 == 9 + 3)
    }

    @Test("An interrupted campaign says so before anything else; a running one too")
    func incomplete() throws {
        let records = try CampaignFixtures.records(copies: 1)
        let interrupted = CampaignHTML.render(CampaignOverview(
            header: CampaignFixtures.header(state: .interrupted(lastOutcome: "interrupted"), measured: 4, total: 536), records: records))
        #expect(interrupted.contains("<p class=\"state incomplete\">Incomplete: 4 of 536 measured; the last session ended interrupted."))
        #expect(interrupted.range(of: "Incomplete")!.lowerBound < interrupted.range(of: "Results by verdict")!.lowerBound)
        let md = CampaignMarkdown.render(CampaignOverview(
            header: CampaignFixtures.header(state: .running, measured: 4, total: 536), records: records))
        #expect(md.contains("**Running (or stopped abruptly): 4 of 536 measured so far.**"))
    }

    @Test("Markdown: the same sections, devices as tables, one row per target")
    func markdown() throws {
        let records = try CampaignFixtures.records(copies: 2)
        let md = CampaignMarkdown.render(CampaignOverview(header: CampaignFixtures.header(measured: 8, total: 8), records: records,
                                                          asLookup: { $0.hasPrefix("198.18.9.") ? "AS64502 Lab Hosting" : nil }))
        #expect(md.hasPrefix("# Campaign lab\n\n**Complete: 8 of 8 measured.**"))
        #expect(md.contains("### Device 1: 198.18.2.2 (hop 2)"))
        #expect(md.contains("| AS64502 Lab Hosting | 6 | 8 |"))
        #expect(md.contains("| rst-injection | 4 | ██████████████████████████████ |"))
        let rows = md.components(separatedBy: "\n").filter { $0.hasPrefix("| ") && $0.contains("198.18.9.1") && $0.hasSuffix("|") }
        #expect(rows.count >= 8)
    }

    @Test("Hostile targets and summaries are escaped in the campaign page")
    func hostile() throws {
        let hostile = try InvestigationReader.read(bytes: Array(Fixtures.hostile.utf8), name: "h")
        var header = CampaignFixtures.header(measured: 1, total: 1)
        header.name = "<script>x</script>"
        header.vantages = ["\"><img src=x>"]
        let html = CampaignHTML.render(CampaignOverview(header: header, records: hostile))
        #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("<svg onload"))
        #expect(html.contains("<h1>Campaign &lt;script&gt;x&lt;/script&gt;</h1>"))
    }

    @Test("11,000 results, a third of them blocked: one page under 5 MB")
    func size() throws {
        // 7,250 reachable, 1,250 of each blocked fixture (the lab's 10,624-target run is 21 % blocked).
        let all = try CampaignFixtures.records(copies: 1250)
        let reachable = try #require(all.first { $0.verdict == "reachable" })
        let records = all + (0..<6000).map { i in
            var copy = reachable
            copy.target = "198.18.\(30 + i / 256).\(i % 256)"
            return copy
        }
        #expect(records.count == 11_000)
        let html = CampaignHTML.render(CampaignOverview(header: CampaignFixtures.header(measured: 11_000, total: 11_000), records: records))
        #expect(html.utf8.count < 5_000_000, "\(html.utf8.count) bytes")
        #expect(html.components(separatedBy: "<tr class=\"").count - 1 == 11_000)
        #expect(html.components(separatedBy: "<svg ").count - 1 == 1 + 3)
    }
}

@Suite struct SingleTargetReportTests {
    @Test("The payload sweep, test beside control per TTL, the differing TTL marked; injector reasons not repeated from the location")
    func sweepAndInjector() throws {
        var inv = try Fixtures.investigation("onpath-payload.json")
        let te = { (from: String) in PayloadObservationRecord(outcome: "time-exceeded", from: from) }
        let rst = PayloadObservationRecord(outcome: "rst", from: "198.18.9.5",
                                           fingerprint: FingerprintRecord(ttl: 62, ipID: 4660, dontFragment: false, flags: "RA", window: 0))
        inv.payloadSweep = .steps([PayloadStepRecord(ttl: 1, test: te("198.18.1.1"), control: te("198.18.1.1")),
                                   PayloadStepRecord(ttl: 2, test: rst, control: te("198.18.2.2"))])
        inv.injector?.reasons.append(inv.location?.reason ?? "")
        let html = HTMLReport.render([inv])
        #expect(html.contains("<h3>Payload sweep: test beside control, per TTL</h3>"))
        #expect(html.contains("<tr><td>1</td><td>time-exceeded from 198.18.1.1</td><td>time-exceeded from 198.18.1.1</td><td></td></tr>"))
        #expect(html.contains("<tr><td>2</td><td>rst from 198.18.9.5 (TTL 62, IP ID 4660, RA)</td><td>time-exceeded from 198.18.2.2</td><td>yes</td></tr>"))
        let md = MarkdownReport.render([inv])
        #expect(md.contains("| TTL | Test (tls blocked.example) | Control (tls example.com) | Differs |") || md.contains("| TTL | Test"))
        let reason = try #require(inv.location?.reason)
        #expect(html.components(separatedBy: HTML.escape(reason)).count - 1 == 1, "the location's reason is said once")
    }
}
