import Campaigns
import Foundation
import Packets
import Testing

/// The error lines Docs/campaigns.md shows are what the parsers print for these inputs.
@Suite struct DocumentedErrorsTests {
    static let scripts = [
        "name: telegram\nports: [443]\nrepeat: 2\n",
        "name: telegram\nports: [443]\npacing:\n  rate: 100\n  burst: 10\n",
        "name: telegram\nports: [443]\nsteps:\n  - probe: trace\n    method: icmp\n    max_ttl: abc\n",
        "name: telegram\nports: [443]\nsteps:\n  - probe: echo\n  - probe: foo\n",
        "name: telegram\nports: [443\nsteps: []\n",
        "",
        "name: telegram\nports: [443]\nsteps:\n  - probe: trace\n    method: tcp\n    shape: blocked\n    when: blocked\n",
        "name: telegram\nports: [443]\nsteps:\n  - probe: syn\n    variants: [mss]\n  - probe: trace\n    method: tcp\n    shape: blocked\n",
        "name: telegram\nports: [443]\nsteps:\n  - probe: syn\n    variants: [mss]\n  - probe: stun\nanalyses: [investigation]\n",
        "name: telegram\nports: [443, 3478/udp]\nsteps:\n  - probe: syn\n    variants: [mss]\nanalyses: [investigation, datagram]\n",
        "name: telegram\nports: [443]\nsteps:\n  - probe: syn\n    variants: [mss, linux]\n    pad: [windows]\n",
    ]
    static let lists = [
        "198.18.0.0/33\n",
        "# Telegram\n149.154.167.51:https\n",
        "# all of it\n2001:b28:f23d::/48\n",
        "91.108.4.0/22\n149.154.160.0/20\n",
        "# nothing here\n\n",
        "irc.example.invalid:6697\n",
        "198.18.20.5/24\n",
        "[2001:db8::1]443\n",
    ]

    struct NotKnown: Error, CustomStringConvertible { var description: String { "Name or service not known" } }

    @Test func everyExampleIsReal() throws {
        let docURL = ShippedCampaigns.directory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Docs/campaigns.md")
        let doc = try String(contentsOf: docURL, encoding: .utf8)
        var printed: [String] = []
        for text in Self.scripts {
            #expect(throws: CampaignError.self) { _ = try ExperimentScript.parse(text, source: "telegram.yaml") }
            if let error = scriptError(text, source: "telegram.yaml") { printed.append(error.description) }
        }
        for text in Self.lists {
            do {
                _ = try TargetList.parse(text, source: "telegram.txt", maxAddresses: 4096, resolve: { _ in throw NotKnown() })
                Issue.record("accepted: \(text)")
            } catch {
                printed.append(error.description)
            }
        }
        let script = try ExperimentScript.parse("name: web\nports: [443]\nsteps:\n  - probe: syn\n    variants: [mss]\nanalyses: [investigation]\n", source: "web.yaml")
        let list = try TargetList.parse("198.18.0.1\n198.18.0.2:443,3478/udp\n", source: "web.txt", resolve: { _ in [] })
        #expect(throws: CampaignError.self) { try script.check(list, source: "web.txt") }
        do { try script.check(list, source: "web.txt") } catch { printed.append(error.description) }

        #expect(printed.count == Self.scripts.count + Self.lists.count + 1)
        for line in printed {
            #expect(doc.contains("\n" + line + "\n"), "Docs/campaigns.md does not show: \(line)")
        }
    }
}
