import Campaigns
import Packets
import Testing

/// A script and a target list together: ports the lines name must be probed, and the
/// (target, port) items of a campaign.
@Suite struct ScriptTargetsTests {
    static let tcpOnly = """
        name: web
        ports: [443, 80]
        steps:
          - probe: echo
          - probe: syn
            variants: [mss, linux]
          - probe: trace
            method: icmp
        analyses: [investigation]
        """

    @Test func targetPortsMustBeProbed() throws {
        let script = try ExperimentScript.parse(Self.tcpOnly, source: "web.yaml")
        let fine = try targets("198.18.0.1:8443\n198.18.0.2\n")
        try script.check(fine, source: "list.txt")

        let udp = try targets("198.18.0.1\n\n198.18.0.2:443,3478/udp\n")
        do {
            try script.check(udp, source: "list.txt")
            Issue.record("a UDP port no step probes was accepted")
        } catch {
            #expect(error.description == "list.txt:3: '198.18.0.2:443,3478/udp' names UDP port 3478/udp, but script 'web' has no stun, dns or quic step to probe it; add one to the script or drop the port")
        }
    }

    @Test func tcpPortsNeedSynOrPayload() throws {
        let script = try ExperimentScript.parse("""
            name: calls
            ports: [3478/udp]
            steps:
              - probe: stun
              - probe: trace
                method: udp
            analyses: [datagram]
            """, source: "calls.yaml")
        let list = try targets("198.18.0.1:3478/udp\n198.18.0.2:443\n")
        do {
            try script.check(list, source: "calls.txt")
            Issue.record("a TCP port no step probes was accepted")
        } catch {
            #expect(error.line == 2)
            #expect(error.message.contains("names TCP port 443, but script 'calls' has no syn or payload step"))
        }
    }

    @Test func itemsUseTheLinePortsOrTheScripts() throws {
        let script = try ExperimentScript.parse(Self.tcpOnly, source: "web.yaml")
        let resolver = FakeResolver(["both.example": ["198.18.0.1"]])
        let list = try targets("""
            198.18.0.1
            198.18.0.2:8443,443
            198.18.0.1:443
            both.example:80
            198.18.0.1:80
            """, resolver: resolver)
        let items = script.items(for: list).map { "\($0.target.address)\($0.target.name.map { " " + $0 } ?? ""):\($0.port)" }
        #expect(items == [
            "198.18.0.1:443", "198.18.0.1:80",
            "198.18.0.2:8443", "198.18.0.2:443",
            // 198.18.0.1:443 and :80 again: already there. The name makes a different item.
            "198.18.0.1 both.example:80",
        ])
    }
}
