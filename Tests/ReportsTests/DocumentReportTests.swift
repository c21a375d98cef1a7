import ChildProcess
import Foundation
import JSONSupport
import Reports
import Testing

@Suite struct MarkdownReportTests {
    @Test func summaryTableThenOneSectionPerResult() throws {
        let md = MarkdownReport.render(try Fixtures.all())
        let lines = md.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "# CensorScope report")
        // The summary table: header, rule, one row per result, then a blank line.
        let summaryRows = Array(lines.dropFirst(4).prefix { !$0.isEmpty })
        #expect(lines[2] == "| # | Target | Verdict | Blocked | Trigger | Censor hop | Summary |")
        #expect(summaryRows.count == 4)
        #expect(summaryRows[0].hasPrefix("| 1 | 198.18.9.2:80 | rst-injection | yes | syn-size | 2 |"))
        #expect(lines.contains("## 1. 198.18.9.2:80: rst-injection"))
        #expect(lines.contains("## 3. 198.18.9.4:5222: drop"))
        #expect(lines.contains("| linux | 60 bytes | rst | yes | 58 | 1 | R | 0.11 |"))
        #expect(lines.contains("- **Trigger:** syn-size: SYNs of 60 bytes or more are reset; SYNs of 44 bytes pass. Blocked: linux (60 bytes), windows (52 bytes). Passed: mss (44 bytes), bare (40 bytes)."))
        #expect(lines.contains { $0.hasPrefix("- **Location:** hop 2 (198.18.2.2), after 198.18.1.1, in-path, confidence high") })
        #expect(lines.contains("- **Injector:** TTL 58, IP ID 1, no DF, window 64240, flags R, 1 copy: The RST's TTL (58) differs from the host's SYN-ACKs (60). IP ID 1 without DF, where the host sends IP ID 0 with DF."))
        #expect(lines.contains("| 3 | \\* |  |  |  |"))
        #expect(lines.contains("| 1 | 198.18.1.1 | 0.04 | time-exceeded | AS64500 Lab Access |"))
        #expect(lines.contains { $0.hasPrefix("- The 60-byte SYN sent with TTL 2 drew the same forged RST: the device is at hop 2. (packets 5, 6)") })
        #expect(md.components(separatedBy: "### SYN variants").count == 5)
        #expect(md.components(separatedBy: "### Evidence").count == 5)
    }

    @Test func hostileTextCannotBreakTablesOrInjectMarkup() throws {
        let hostile = try #require(try InvestigationReader.read(bytes: Array(Fixtures.hostile.utf8), name: "h").first)
        let md = MarkdownReport.render([hostile])
        #expect(!md.contains("<script"))
        #expect(!md.contains("<img"))
        #expect(md.contains("&lt;script&gt;alert('pwned')&lt;/script&gt; \\| a, \"quoted\" second line"))
        let summaryRow = try #require(md.split(separator: "\n").first { $0.hasPrefix("| 1 |") })
        // Seven cells: eight unescaped pipes.
        let pipes = summaryRow.enumerated().filter { i, c in
            c == "|" && (i == 0 || summaryRow[summaryRow.index(summaryRow.startIndex, offsetBy: i - 1)] != "\\")
        }
        #expect(pipes.count == 8)
    }
}

@Suite struct HTMLReportTests {
    @Test func oneSelfContainedPageWithAPathDiagramPerResult() throws {
        let all = try Fixtures.all()
        let html = HTMLReport.render(all)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<svg ").count == 5)
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") || !html.contains("src=\"http"))
        #expect(!html.contains("<link"))
        #expect(html.contains("Content-Security-Policy"))
        // One arrow per distinct answer: the two forged RSTs of each blocked fixture are one arrow each.
        #expect(html.components(separatedBy: "class=\"answer forged\"").count - 1 == 2)
        #expect(html.components(separatedBy: "class=\"answer genuine\"").count - 1 == 7)
        #expect(html.contains("rst, TTL 58 from 198.18.9.2 ← syn linux ttl 64, syn linux ttl 2</text>"))
        #expect(html.contains("<span class=\"verdict blocked\">rst-injection</span>"))
        #expect(html.contains("<span class=\"verdict open\">reachable</span>"))
        #expect(html.contains(">censor (on-path)</text>"))
    }

    @Test func diagramPlacesHopsTargetCensorAndSilentHops() throws {
        let rst = PathDiagram.svg(for: try Fixtures.investigation("rst-injection-syn-size.json"), id: 1)
        // client, hops 1–3, target at TTL 4.
        #expect(rst.components(separatedBy: "<g class=\"node\">").count - 1 == 5)
        #expect(rst.contains(">target</text>"))
        #expect(rst.contains(">198.18.9.2</text>"))
        #expect(rst.contains(">hop 3</text>"))
        // The censor's box is centred on hop 2 (x = 60 + 2 × 96 = 252).
        #expect(rst.contains("<rect x=\"222\""))
        // Forged answers start at the censor's column, genuine ones at the node that sent them.
        #expect(rst.contains("<g class=\"answer forged\"><path d=\"M252,84"))
        #expect(rst.contains("<g class=\"answer genuine\"><path d=\"M444,84"))
        #expect(rst.contains("<g class=\"answer genuine\"><path d=\"M156,84"))
        let drop = PathDiagram.svg(for: try Fixtures.investigation("drop-silent-path.json"), id: 3)
        #expect(drop.contains("class=\"star\">*</text>"))
        // One silent hop (hop 3, silent to the blocked probes), plus the legend's star.
        #expect(drop.components(separatedBy: "class=\"star\"").count - 1 == 2)
        #expect(rst.components(separatedBy: "class=\"star\"").count - 1 == 1)
        #expect(drop.contains(">hop 3</text>"))
    }

    @Test func hostileStringsAreEscapedEverywhere() throws {
        let hostile = try #require(try InvestigationReader.read(bytes: Array(Fixtures.hostile.utf8), name: "h").first)
        let html = HTMLReport.render([hostile])
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<svg onload"))
        #expect(!html.contains("</svg><"))
        #expect(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"))
        #expect(html.contains("aria-label=\"path to &lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;\""))
        #expect(HTML.escape("a<b>&\"'\u{07}c") == "a&lt;b&gt;&amp;&quot;&#39;c")
        // A hostile TTL does not make a giant picture.
        let svg = PathDiagram.svg(for: hostile, id: 1)
        let width = try #require(svg.firstMatch(of: /width="(\d+)"/)?.1)
        #expect(Int(width)! <= 60 * 2 + 96 * (PathDiagram.maxHops + 1))
    }

    @Test func rendersInHeadlessChromium() throws {
        guard let chromium = ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("chromium-headless-shell is not installed") }
            print("skipped: chromium-headless-shell is not installed (apt-get install chromium-headless-shell)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cs-report-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        let hostile = try InvestigationReader.read(bytes: Array(Fixtures.hostile.utf8), name: "h")
        try HTMLReport.render(try Fixtures.all() + hostile).write(to: page, atomically: true, encoding: .utf8)
        let common = ["--no-sandbox", "--disable-gpu", "--headless", "--user-data-dir=\(dir.path)/profile"]
        let dom = Subprocess.run([chromium] + common + ["--dump-dom", page.absoluteString], timeout: 90)
        #expect(dom.status == 0, "\(dom.stderr.suffix(500))")
        // The browser's own DOM: five diagrams, every answer drawn, and no element the input smuggled in.
        #expect(dom.stdout.components(separatedBy: "<svg ").count - 1 == 5)
        #expect(dom.stdout.contains("<marker id=\"arrow-forged-1\""))
        #expect(!dom.stdout.contains("<script"))
        #expect(!dom.stdout.contains("<img"))
        #expect(dom.stdout.contains("&lt;script&gt;alert('pwned')&lt;/script&gt;"))
        let png = dir.appendingPathComponent("shot.png")
        let shot = Subprocess.run([chromium] + common + ["--screenshot=\(png.path)", "--window-size=1200,900", page.absoluteString],
                                  timeout: 90)
        #expect(shot.status == 0, "\(shot.stderr.suffix(500))")
        let bytes = try Data(contentsOf: png)
        #expect(bytes.count > 10_000)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }
}
