import Campaigns
import Packets
import Probing
import Testing

/// Valid scripts: every key read into the value it stands for, defaults filled in.
@Suite struct ScriptParserTests {
    static let everyKey = """
        name: telegram-2018.v1
        description: every key of the language
        ports: [443, 80, 5222/tcp, 3478/udp, 53/udp]
        repetitions: 3
        pacing:
          rate: 250.5
          parallel: 16
          target_gap_ms: 100
          timeout_ms: 1500
        steps:
          - probe: echo
            count: 4
          - probe: syn
            variants: [bare, mss, linux, windows, macos]
            pad: [bare, mss]
            second_port: 8443
          - probe: trace
            method: icmp
            max_ttl: 20
          - probe: trace
            method: tcp
            shape: blocked
            max_ttl: 40
            when: blocked
          - probe: trace
            method: tcp
            shape: linux
          - probe: trace
            method: udp
            when: blocked
          - probe: payload
            kind: tls
            name: $target
            control: example.org
            max_ttl: 25
            pause_ms: 10
            when: passed
          - probe: payload
            kind: http
            name: blocked.example
            when: always
          - probe: stun
            count: 3
          - probe: dns
            name: example.com
        analyses: [investigation, datagram, asn]
        """

    @Test func everyKeyIsRead() throws {
        let script = try ExperimentScript.parse(Self.everyKey, source: "every.yaml")
        let expected = ExperimentScript(
            name: "telegram-2018.v1",
            description: "every key of the language",
            ports: [ServicePort(443), ServicePort(80), ServicePort(5222), ServicePort(3478, .udp), ServicePort(53, .udp)],
            repetitions: 3,
            pacing: Pacing(rate: 250.5, parallel: 16, targetGapMilliseconds: 100, timeoutMilliseconds: 1500),
            steps: [
                .echo(count: 4),
                .syn(SYNStep(variants: [.bare, .mss, .linux, .windows, .macos], pad: [.bare, .mss], secondPort: .fixed(8443))),
                .trace(TraceStep(method: .icmp, shape: nil, maxTTL: 20, when: .always)),
                .trace(TraceStep(method: .tcp, shape: .blocked, maxTTL: 40, when: .blocked)),
                .trace(TraceStep(method: .tcp, shape: .variant(.linux), maxTTL: 30, when: .always)),
                .trace(TraceStep(method: .udp, shape: nil, maxTTL: 30, when: .blocked)),
                .payload(PayloadSpec(kind: .tls, name: .target, control: "example.org", maxTTL: 25, pauseMilliseconds: 10, when: .passed)),
                .payload(PayloadSpec(kind: .http, name: .fixed("blocked.example"), control: "example.com", maxTTL: 30, pauseMilliseconds: 50, when: .always)),
                .datagram(DatagramStep(kind: "stun", count: 3)),
                .datagram(DatagramStep(kind: "dns", values: ["name": .text("example.com")])),
            ],
            analyses: [.investigation, .datagram, .asn])
        #expect(script == expected)
    }

    @Test func defaultsFillWhatIsLeftOut() throws {
        let script = try ExperimentScript.parse("""
            name: small
            ports: [443, 3478/udp]
            steps:
              - probe: echo
              - probe: syn
                variants: [linux]
              - probe: trace
                method: tcp
              - probe: trace
                method: icmp
              - probe: payload
                kind: http
              - probe: stun
            analyses: [investigation]
            """, source: "small.yaml")
        #expect(script.description == "")
        #expect(script.repetitions == 1)
        #expect(script.pacing == Pacing())
        #expect(script.pacing.rate == 100)
        #expect(script.steps == [
            .echo(count: 2),
            .syn(SYNStep(variants: [.linux], pad: [], secondPort: nil)),
            .trace(TraceStep(method: .tcp, shape: .variant(.mss), maxTTL: 30, when: .always)),
            .trace(TraceStep(method: .icmp, shape: nil, maxTTL: 30, when: .always)),
            .payload(PayloadSpec(kind: .http, name: .target, control: "example.com", maxTTL: 30, pauseMilliseconds: 50, when: .passed)),
            .datagram(DatagramStep(kind: "stun")),
        ])
    }

    @Test func rateMaxMeansUnpaced() throws {
        let script = try ExperimentScript.parse("""
            name: fast
            ports: [443]
            pacing: {rate: max, parallel: 256}
            steps: [{probe: syn, variants: [linux]}]
            analyses: [investigation]
            """, source: "fast.yaml")
        #expect(script.pacing.rate == nil)
        #expect(script.pacing.parallel == 256)
        #expect(script.pacing.timeoutMilliseconds == 2000)
    }

    @Test func limitsAreInclusive() throws {
        let script = try ExperimentScript.parse("""
            name: \(String(repeating: "a", count: 64))
            ports: [65535, 1/udp]
            repetitions: 10
            pacing: {rate: 1000000, parallel: 1, target_gap_ms: 60000, timeout_ms: 100}
            steps:
              - {probe: echo, count: 10}
              - {probe: syn, variants: [linux], second_port: 65535}
              - {probe: trace, method: icmp, max_ttl: 2}
              - {probe: trace, method: icmp, max_ttl: 64}
              - {probe: payload, kind: tls, max_ttl: 64, pause_ms: 5000, name: \(String(repeating: "n", count: 255))}
              - {probe: payload, kind: tls, pause_ms: 0}
              - {probe: stun, count: 10}
            analyses: [asn]
            """, source: "limits.yaml")
        #expect(script.repetitions == 10)
        #expect(script.pacing == Pacing(rate: 1_000_000, parallel: 1, targetGapMilliseconds: 60000, timeoutMilliseconds: 100))
        #expect(script.ports == [ServicePort(65535), ServicePort(1, .udp)])
    }

    @Test func blockListsAndQuotedValuesAreTheSame() throws {
        let flow = try ExperimentScript.parse("""
            name: x
            ports: [443, 3478/udp]
            steps: [{probe: syn, variants: [mss, linux]}, {probe: dns, name: example.net}]
            analyses: [investigation, datagram]
            """, source: "flow.yaml")
        let block = try ExperimentScript.parse("""
            name: "x"
            ports:
              - 443
              - "3478/udp"
            steps:
              - probe: syn
                variants:
                  - mss
                  - linux
              - probe: dns
                name: 'example.net'
            analyses:
              - investigation
              - datagram
            """, source: "block.yaml")
        #expect(flow == block)
    }

    @Test func windowsLineEndingsParse() throws {
        let text = "name: crlf\r\nports: [443]\r\nsteps:\r\n  - probe: syn\r\n    variants: [mss]\r\nanalyses: [investigation]\r\n"
        let script = try ExperimentScript.parse(text, source: "crlf.yaml")
        #expect(script.name == "crlf")
    }
}
