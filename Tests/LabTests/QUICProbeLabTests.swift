import Foundation
import Lab
import TestSupport
import Testing

/// `probe quic` for real: the lab's servers answer a reserved version with Version
/// Negotiation; a censor that drops UDP 443 leaves it without answer while TCP 443 passes.
@Suite("QUIC probes in the lab (root)", .serialized,
       .enabled(if: LabHarness.canRun, "needs root and the censorscope binary"))
struct QUICProbeLabTests {
    static let server = "198.18.9.2"
    static let server6 = "2001:db8:9::2"

    func probeJSON(_ scenario: String, _ args: [String]) throws -> [String: Any] {
        let r = try LabHarness.exec("client", [LabHarness.binary] + args + ["--json"], scenario: scenario)
        // 0: the target answered, 2: an answer was forged, 3: nothing from the target (DESIGN.md).
        try #require([0, 2, 3].contains(r.status), "censorscope \(args.joined(separator: " ")) failed: \(r.stderr)")
        let json = try LabHarness.json(r.stdout)
        if json["injected"] as? Bool == true { #expect(r.status == 2, "a forged answer exits 2") }
        return json
    }

    @Test func versionNegotiationFromTheServerIPv4AndIPv6() throws {
        try LabHarness.withLab("clean") {
            for server in [Self.server, Self.server6] {
                let quic = try probeJSON("clean", ["probe", "quic", server])
                #expect(quic["result"] as? String == "version-negotiation", "\(server): \(quic)")
                #expect(quic["versions"] as? [String] == ["0x00000001", "0x6b3343cf"])
                #expect(quic["kind"] as? String == "quic" && quic["port"] as? Int == 443 && quic["target"] as? String == server)
                let offered = try #require(quic["offered_version"] as? String)
                let value = try #require(UInt32(offered.dropFirst(2), radix: 16))
                #expect(offered.hasPrefix("0x") && value & 0x0F0F_0F0F == 0x0A0A_0A0A, "offered \(offered)")
                #expect((quic["response"] as? [String: Any])?["src"] as? String == server)
                let probe = try #require(quic["probe"] as? [String: Any])
                #expect(probe["length"] as? Int == (server.contains(":") ? 1248 : 1228))
                let answers = try #require(quic["answers"] as? [[String: Any]])
                #expect(answers.count == 1 && answers.first?["match"] as? String == "transaction"
                        && answers.first?["kind"] as? String == "version-negotiation")
            }
            // The text form names the versions.
            let text = try LabHarness.exec("client", [LabHarness.binary, "probe", "quic", Self.server, "--count", "2"], scenario: "clean")
            #expect(text.status == 0 && text.stdout.components(separatedBy: "versions 0x00000001, 0x6b3343cf").count == 3, "\(text.stdout)")
            // No QUIC on another port: the host's port unreachable.
            let closed = try probeJSON("clean", ["probe", "quic", Self.server, "--port", "4433"])
            #expect(closed["result"] as? String == "icmp" && closed["versions"] is NSNull)
            #expect((closed["icmp"] as? [String: Any])?["kind"] as? String == "port-unreachable")
        }
    }

    /// The clean topology with a censor that drops UDP to port 443, and nothing else.
    static let quicBlock = """
        name: quic-block
        description: QUIC (UDP 443) dropped, TCP 443 passes
        nodes:
          - {name: client, role: client}
          - {name: isp, role: router}
          - name: dpi
            role: censor
            censor:
              clients: [198.18.1.0/24, "2001:db8:1::/64"]
              rules:
                - {name: no-quic, match: {direction: client-to-server, protocol: udp, dst_port: 443}, action: drop}
          - {name: transit, role: router}
          - {name: server, role: server, services: [tls, stun, quic]}
        links:
          - {between: [isp, client], subnet: 198.18.1.0/24, subnet6: "2001:db8:1::/64"}
          - {between: [isp, dpi], subnet: 198.18.2.0/24, subnet6: "2001:db8:2::/64"}
          - {between: [dpi, transit], subnet: 198.18.3.0/24, subnet6: "2001:db8:3::/64"}
          - {between: [transit, server], subnet: 198.18.9.0/24, subnet6: "2001:db8:9::/64"}
        routes:
          client: [{to: default, via: isp}]
          isp: [{to: default, via: dpi}]
          dpi:
            - {to: [198.18.1.0/24, "2001:db8:1::/64"], via: isp}
            - {to: default, via: transit}
          transit: [{to: [198.18.0.0/16, "2001:db8::/32"], via: dpi}]
          server: [{to: default, via: transit}]
        """

    @Test func censorDroppingUDP443LeavesQUICWithoutAnswer() throws {
        let path = NSTemporaryDirectory() + "cs-quic-block-\(getpid()).yaml"
        try Data(Self.quicBlock.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        LabHarness.down("quic-block")
        defer {
            LabHarness.down("quic-block")
            LabHarness.expectNothingLeft("quic-block")
        }
        let up = try LabHarness.run(["lab", "up", path])
        try #require(up.status == 0, "lab up failed: \(up.stderr)")
        for server in [Self.server, Self.server6] {
            let quic = try probeJSON("quic-block", ["probe", "quic", server, "--timeout", "1"])
            #expect(quic["result"] as? String == "timeout", "\(server): \(quic)")
            #expect(quic["versions"] is NSNull && (quic["answers"] as? [Any])?.isEmpty == true)
            // TCP 443 and other UDP pass.
            let tls = try probeJSON("quic-block", ["probe", "syn", server, "--port", "443", "--variant", "linux"])
            #expect(tls["result"] as? String == "syn-ack")
            let stun = try probeJSON("quic-block", ["probe", "stun", server])
            #expect(stun["result"] as? String == "stun-response")
        }
        // The censor's log names the rule.
        let log = try String(contentsOfFile: LabStore().directory(of: "quic-block") + "/dpi.censor.log", encoding: .utf8)
        #expect(log.contains("no-quic"))
    }
}
