import Campaigns
import Testing

/// One broken script: where the error must point and what it must say.
struct ScriptErrorCase: Sendable, CustomTestStringConvertible {
    var label: String
    var text: String
    var line: Int?
    var fragment: String
    var testDescription: String { label }
}

func scriptError(_ text: String, source: String = "bad.yaml") -> CampaignError? {
    do {
        _ = try ExperimentScript.parse(text, source: source)
        return nil
    } catch {
        return error
    }
}

/// Every kind of mistake is refused with the file, the line and a sentence naming it.
@Suite struct ScriptErrorTests {
    static let cases: [ScriptErrorCase] = [
        ScriptErrorCase(label: "unknown top-level key", text: """
            name: x
            port: [443]
            """, line: 2, fragment: "unknown key 'port'; use name, description, ports, repetitions, pacing, steps or analyses"),
        ScriptErrorCase(label: "unknown pacing key", text: """
            name: x
            pacing:
              rate: 10
              burst: 5
            """, line: 4, fragment: "unknown key 'burst' in `pacing`; use rate, parallel, target_gap_ms, timeout_ms or holdoff_s"),
        ScriptErrorCase(label: "unknown step key", text: """
            name: x
            ports: [443]
            steps:
              - probe: trace
                method: icmp
                ttl: 5
            """, line: 6, fragment: "unknown key 'ttl' in a trace step; use probe, method, shape, max_ttl or when"),
        ScriptErrorCase(label: "wrong type", text: """
            name: x
            ports: [443]
            steps:
              - probe: trace
                method: icmp
                max_ttl: abc
            """, line: 6, fragment: "`max_ttl` must be an integer from 2 to 64, not 'abc'"),
        ScriptErrorCase(label: "out of range", text: """
            name: x
            repetitions: 11
            """, line: 2, fragment: "`repetitions` must be an integer from 1 to 10, not '11'"),
        ScriptErrorCase(label: "fraction for an integer", text: """
            name: x
            pacing: {parallel: 2.5}
            """, line: 2, fragment: "`parallel` must be an integer from 1 to 256, not '2.5'"),
        ScriptErrorCase(label: "zero rate", text: """
            name: x
            pacing:
              rate: 0
            """, line: 3, fragment: "`rate` must be a number above 0 and at most 1000000, or `max`, not '0'"),
        ScriptErrorCase(label: "hex rate", text: "name: x\npacing: {rate: 0x10}\n", line: 2, fragment: "`rate` must be a number"),
        ScriptErrorCase(label: "unknown probe", text: """
            name: x
            ports: [443]
            steps:
              - probe: echo
              - probe: foo
            """, line: 5, fragment: "unknown probe 'foo'; use echo, syn, trace, payload, fetch, transfer, stun, dns or quic"),
        ScriptErrorCase(label: "step without probe", text: """
            name: x
            steps:
              - count: 2
            """, line: 3, fragment: "a step needs `probe:`"),
        ScriptErrorCase(label: "YAML syntax", text: """
            name: x
            ports: [443
            steps: []
            """, line: 3, fragment: "not valid YAML"),
        ScriptErrorCase(label: "top level a list", text: "- name: x\n", line: 1, fragment: "a script must be a mapping of name, description"),
        ScriptErrorCase(label: "duplicate key", text: "name: x\nname: y\n", line: 2, fragment: "`name` appears twice; give it once"),
        ScriptErrorCase(label: "bad name", text: "name: two words\n", line: 1, fragment: "`name` must be 1 to 64 letters, digits, '-', '_' or '.', not 'two words'"),
        ScriptErrorCase(label: "missing ports", text: "name: x\nsteps: [{probe: echo}]\nanalyses: [asn]\n", line: 1, fragment: "`ports` is missing"),
        ScriptErrorCase(label: "empty ports", text: "name: x\nports: []\n", line: 2, fragment: "`ports` is an empty list"),
        ScriptErrorCase(label: "bad port", text: "name: x\nports: [443, 70000]\n", line: 2, fragment: "'70000' in `ports` is not a port"),
        ScriptErrorCase(label: "port twice", text: "name: x\nports: [443, 443/tcp]\n", line: 2, fragment: "port 443 appears twice in `ports`"),
        ScriptErrorCase(label: "ports not a list", text: "name: x\nports: 443\n", line: 2, fragment: "`ports` must be a list like [443, 80, 3478/udp], not '443'"),
        ScriptErrorCase(label: "no steps", text: "name: x\nports: [443]\nsteps: []\n", line: 3, fragment: "`steps` is an empty list"),
        ScriptErrorCase(label: "unknown variant", text: """
            name: x
            ports: [443]
            steps:
              - probe: syn
                variants: [mss, freebsd]
            """, line: 5, fragment: "`variants` names 'freebsd', which is not a SYN shape; use bare, mss, linux, windows or macos"),
        ScriptErrorCase(label: "variant twice", text: "name: x\nports: [443]\nsteps:\n  - {probe: syn, variants: [mss, mss]}\n", line: 4, fragment: "`variants` lists 'mss' twice"),
        ScriptErrorCase(label: "missing variants", text: "name: x\nports: [443]\nsteps:\n  - probe: syn\n", line: 4, fragment: "`variants` is missing in a syn step"),
        ScriptErrorCase(label: "pad not in variants", text: """
            name: x
            ports: [443]
            steps:
              - probe: syn
                variants: [mss]
                pad: [mss, linux]
            """, line: 6, fragment: "`pad` names 'linux', which is not in `variants`"),
        ScriptErrorCase(label: "shape on icmp trace", text: """
            name: x
            ports: [443]
            steps:
              - probe: trace
                method: icmp
                shape: mss
            """, line: 6, fragment: "`shape` is for tcp traces only"),
        ScriptErrorCase(label: "shape blocked without when blocked", text: """
            name: x
            ports: [443]
            steps:
              - {probe: syn, variants: [mss]}
              - probe: trace
                method: tcp
                shape: blocked
            """, line: 7, fragment: "`shape: blocked` traces the smallest blocked SYN shape, so the step needs `when: blocked`"),
        ScriptErrorCase(label: "unknown method", text: "name: x\nports: [443]\nsteps:\n  - {probe: trace, method: paris}\n", line: 4, fragment: "`method` must be icmp, tcp or udp, not 'paris'"),
        ScriptErrorCase(label: "when blocked without syn", text: """
            name: x
            ports: [443]
            steps:
              - probe: trace
                method: icmp
                when: blocked
            """, line: 6, fragment: "has `when: blocked`, which acts on an earlier syn step's result, but none comes before it"),
        ScriptErrorCase(label: "payload default when without syn", text: """
            name: x
            ports: [443]
            steps:
              - probe: echo
              - probe: payload
                kind: tls
              - probe: syn
                variants: [mss]
            """, line: 5, fragment: "runs `when: passed` by default, which acts on an earlier syn step's result"),
        ScriptErrorCase(label: "when passed without a linux SYN", text: """
            name: x
            ports: [443]
            steps:
              - {probe: syn, variants: [mss, windows]}
              - probe: payload
                kind: tls
                when: passed
            """, line: 7, fragment: "`when: passed` waits for the linux SYN of an earlier syn step, but none sends `linux`"),
        ScriptErrorCase(label: "when passed on a trace", text: """
            name: x
            ports: [443]
            steps:
              - {probe: syn, variants: [mss]}
              - {probe: trace, method: icmp, when: passed}
            """, line: 5, fragment: "`when: passed` is for payload steps only"),
        ScriptErrorCase(label: "when blocked on a payload", text: """
            name: x
            ports: [443]
            steps:
              - {probe: syn, variants: [mss]}
              - {probe: payload, kind: tls, when: blocked}
            """, line: 5, fragment: "`when` must be passed or always, not 'blocked'"),
        ScriptErrorCase(label: "payload name with a space", text: """
            name: x
            ports: [443]
            steps:
              - {probe: payload, kind: http, name: "a b", when: always}
            """, line: 4, fragment: "`name` must be $target or a name of 1 to 255 bytes without spaces, not 'a b'"),
        ScriptErrorCase(label: "misspelt $target", text: "name: x\nports: [443]\nsteps:\n  - {probe: payload, kind: tls, name: $targt, when: always}\n", line: 4, fragment: "`name` must be $target or a name"),
        ScriptErrorCase(label: "dns without name", text: "name: x\nports: [53/udp]\nsteps:\n  - probe: dns\n", line: 4, fragment: "`name` is missing in a dns step"),
        ScriptErrorCase(label: "dns bad name", text: "name: x\nports: [53/udp]\nsteps:\n  - {probe: dns, name: 'exa..mple.com'}\n", line: 4, fragment: "`name` must be a DNS name (labels of 1 to 63 bytes"),
        ScriptErrorCase(label: "syn without TCP port", text: """
            name: x
            ports: [3478/udp]
            steps:
              - probe: echo
              - probe: syn
                variants: [mss]
            analyses: [asn]
            """, line: 5, fragment: "a syn step probes TCP but `ports` has no TCP port"),
        ScriptErrorCase(label: "stun without UDP port", text: """
            name: x
            ports: [443]
            steps:
              - probe: stun
            analyses: [datagram]
            """, line: 4, fragment: "a stun step probes UDP but `ports` has no UDP port; add one like 3478/udp"),
        ScriptErrorCase(label: "asn needs a trace step", text: """
            name: x
            ports: [443]
            steps:
              - probe: echo
            analyses: [asn, investigation]
            """, line: 5, fragment: "analysis `asn` names the ASes on the path, so `steps` needs a trace step"),
        ScriptErrorCase(label: "investigation needs syn", text: """
            name: x
            ports: [443]
            steps:
              - {probe: trace, method: icmp}
            analyses:
              - asn
              - investigation
            """, line: 7, fragment: "analysis `investigation` judges SYN trials, so `steps` needs a syn step"),
        ScriptErrorCase(label: "datagram needs a UDP kind", text: """
            name: x
            ports: [443, 3478/udp]
            steps:
              - {probe: syn, variants: [mss]}
            analyses: [investigation, datagram]
            """, line: 5, fragment: "analysis `datagram` judges UDP answers, so `steps` needs a step of a UDP kind: stun, dns or quic"),
        ScriptErrorCase(label: "unknown analysis", text: """
            name: x
            ports: [443]
            steps: [{probe: echo}]
            analyses: [verdict]
            """, line: 4, fragment: "unknown analysis 'verdict'; use investigation, datagram or asn"),
        ScriptErrorCase(label: "step is a word", text: "name: x\nports: [443]\nsteps:\n  - echo\n", line: 4, fragment: "a step must be a mapping starting with `probe:`"),
        ScriptErrorCase(label: "NUL byte", text: "name: x\nports: [443]\u{0}\nsteps: []\n", line: 2, fragment: "the line contains a NUL byte"),
        ScriptErrorCase(label: "deep nesting", text: "name: " + String(repeating: "[", count: 100), line: 1, fragment: "nested more than 64 brackets"),
    ]

    @Test(arguments: cases) func refused(_ c: ScriptErrorCase) throws {
        let error = try #require(scriptError(c.text))
        #expect(error.file == "bad.yaml")
        #expect(error.line == c.line, "\(error)")
        #expect(error.message.contains(c.fragment), "\(error)")
        #expect(error.description.hasPrefix(c.line.map { "bad.yaml:\($0): " } ?? "bad.yaml: "))
    }

    @Test func emptyFileHasNoLine() throws {
        for text in ["", "\n\n", "# only a comment\n"] {
            let error = try #require(scriptError(text, source: "empty.yaml"))
            #expect(error.line == nil)
            #expect(error.description == "empty.yaml: the file is empty; a script needs `name`, `ports`, `steps` and `analyses`")
        }
    }

    @Test func topLevelScalarIsRefused() throws {
        let error = try #require(scriptError("just words\n"))
        #expect(error.line == 1)
        #expect(error.message.contains("a script must be a mapping"))
    }

    @Test func descriptionFormat() {
        #expect(CampaignError(file: "a.yaml", line: 3, message: "m").description == "a.yaml:3: m")
        #expect(CampaignError(file: "a.txt", line: nil, message: "m").description == "a.txt: m")
    }
}
