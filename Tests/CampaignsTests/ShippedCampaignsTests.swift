import Campaigns
import Foundation
import Packets
import TestSupport
import Testing

/// The files in Probes/campaigns/, found from this file's path.
enum ShippedCampaigns {
    static var directory: URL {
        Repository.root.appendingPathComponent("Probes/campaigns")
    }

    static func files(_ suffix: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasSuffix(suffix) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    /// Every name resolves to one address in 198.18.0.0/16, the same for the same name: no DNS.
    static func labResolver(_ name: String) -> [IPAddress] {
        let hash = name.utf8.reduce(UInt32(2166136261)) { ($0 ^ UInt32($1)) &* 16777619 }
        return [.v4(IPv4Address(198, 18, UInt8(truncatingIfNeeded: hash >> 8), UInt8(truncatingIfNeeded: hash) | 1))]
    }
}

@Suite struct ShippedCampaignsTests {
    @Test func theReadyCampaignsAreThere() throws {
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: ShippedCampaigns.directory.path))
        for expected in ["telegram.yaml", "telegram.txt", "twitch-chat.yaml", "twitch-chat.txt", "irc.yaml", "xmpp.yaml", "stun.yaml"] {
            #expect(names.contains(expected), "\(expected) missing from Probes/campaigns")
        }
    }

    @Test func everyScriptParses() throws {
        let scripts = try ShippedCampaigns.files(".yaml")
        #expect(scripts.count >= 5)
        for url in scripts {
            let script = try ExperimentScript.parse(try ShippedCampaigns.text(url), source: url.lastPathComponent)
            #expect(script.name == url.deletingPathExtension().lastPathComponent, "a script is named after its file")
            #expect(!script.description.isEmpty)
        }
    }

    /// Every list parses and fits the script of the same name.
    @Test func everyTargetListParsesAndFitsItsScript() throws {
        let lists = try ShippedCampaigns.files(".txt")
        #expect(lists.count >= 2)
        for url in lists {
            let list = try TargetList.parse(try ShippedCampaigns.text(url), source: url.lastPathComponent,
                                            resolve: ShippedCampaigns.labResolver)
            #expect(!list.targets.isEmpty)
            let scriptURL = url.deletingPathExtension().appendingPathExtension("yaml")
            let script = try ExperimentScript.parse(try ShippedCampaigns.text(scriptURL), source: scriptURL.lastPathComponent)
            try script.check(list, source: url.lastPathComponent)
            #expect(!script.items(for: list).isEmpty)
        }
    }

    @Test func telegramCoversTheDataCentres() throws {
        let url = ShippedCampaigns.directory.appendingPathComponent("telegram.txt")
        let list = try TargetList.parse(try ShippedCampaigns.text(url), source: "telegram.txt", resolve: ShippedCampaigns.labResolver)
        // 11008 addresses in the nine published IPv4 prefixes, one DC address outside them
        // (95.161.76.100) and five IPv6 DC addresses; the others repeat prefix addresses.
        #expect(list.targets.count == 11014)
        let addresses = Set(list.targets.map(\.address))
        for dc in ["149.154.175.50", "149.154.167.51", "149.154.175.100", "149.154.167.91", "149.154.171.5",
                   "2001:b28:f23d:f001::a", "2001:67c:4e8:f004::a", "149.154.167.99", "91.108.13.39"] {
            #expect(addresses.contains(IPAddress(dc)!), "\(dc)")
        }
        // The DC lines come first and win over the prefix that holds them again.
        #expect(list.targets.first?.address == IPAddress("149.154.175.50"))
        let script = try ExperimentScript.parse(try ShippedCampaigns.text(ShippedCampaigns.directory.appendingPathComponent("telegram.yaml")), source: "telegram.yaml")
        #expect(script.ports == [ServicePort(443), ServicePort(80), ServicePort(5222), ServicePort(3478, .udp)])
        #expect(script.items(for: list).count == 11014 * 4)
    }

    @Test func twitchNamesKeepTheirPorts() throws {
        let url = ShippedCampaigns.directory.appendingPathComponent("twitch-chat.txt")
        let list = try TargetList.parse(try ShippedCampaigns.text(url), source: "twitch-chat.txt", resolve: ShippedCampaigns.labResolver)
        #expect(list.resolved.map(\.name) == ["irc.chat.twitch.tv", "irc-ws.chat.twitch.tv"])
        #expect(list.targets.map { $0.ports ?? [] } == [[ServicePort(6697), ServicePort(6667)], [ServicePort(443)]])
    }
}
