import Campaigns
import Testing

/// The fetch and transfer steps (full-TTL connections) and the hold-off key: defaults,
/// values, and every mistake refused at its line.
@Suite struct ExchangeStepsTests {
    static let head = "name: x\nports: [80]\nsteps:\n  - probe: syn\n    variants: [mss, linux]\n"

    @Test func defaultsAndValues() throws {
        let text = Self.head + """
              - probe: fetch
              - probe: transfer
                kind: auto
              - probe: transfer
                kind: tls
                name: throttled.example
                control: allowed.example
                path: /bytes/2097152
                max_bytes: 2097152
                max_ms: 3000
                min_bytes: 65536
                ratio: 2.5
                when: always
            pacing: {holdoff_s: 30}
            analyses: [investigation]

            """
        let script = try ExperimentScript.parse(text, source: "x.yaml")
        #expect(script.pacing.holdoffSeconds == 30)
        #expect(try ExperimentScript.parse(Self.head + "analyses: [investigation]\n", source: "x.yaml").pacing.holdoffSeconds == 120)
        guard case .fetch(let fetch) = script.steps[1], case .transfer(let auto) = script.steps[2], case .transfer(let fixed) = script.steps[3] else {
            Issue.record("steps: \(script.steps)")
            return
        }
        #expect(fetch == FetchStep(name: .target, path: "/", maxBytes: 65_536, maxMilliseconds: 2000, when: .intercepted))
        #expect(auto == TransferStep(kind: .auto))
        #expect(auto.when == .passed && auto.minBytes == 256 << 10 && auto.maxBytes == 2 << 20 && auto.ratio == 4)
        #expect(fixed == TransferStep(kind: .tls, name: .fixed("throttled.example"), control: "allowed.example", path: "/bytes/2097152",
                                      maxBytes: 2_097_152, maxMilliseconds: 3000, minBytes: 65_536, ratio: 2.5, when: .always))
        #expect(script.steps.map(\.condition) == [.always, .intercepted, .passed, .always])
    }

    static let cases: [ScriptErrorCase] = [
        ScriptErrorCase(label: "transfer without kind", text: head + "  - probe: transfer\n", line: 6,
                        fragment: "`kind` is missing in a transfer step; say what to send: http (a Host header) or tls (a ClientHello with SNI)"),
        ScriptErrorCase(label: "min above max", text: head + "  - probe: transfer\n    kind: http\n    max_bytes: 100000\n    min_bytes: 200000\n", line: 9,
                        fragment: "`min_bytes` (200000) is more than `max_bytes` (100000): a transfer stops at max_bytes, so it could never be judged; lower it"),
        ScriptErrorCase(label: "path without slash", text: head + "  - probe: fetch\n    path: index.html\n", line: 7,
                        fragment: "`path` must start with / and be at most 1024 bytes of printable ASCII without spaces, like /bytes/1048576, not 'index.html'"),
        ScriptErrorCase(label: "ratio too small", text: head + "  - probe: transfer\n    kind: http\n    ratio: 1\n", line: 8,
                        fragment: "`ratio` must be a number from 1.5 to 1000 (how many times slower the test must be), like 4, not '1'"),
        ScriptErrorCase(label: "fetch when passed", text: head + "  - probe: fetch\n    when: passed\n", line: 7,
                        fragment: "`when` must be intercepted or always, not 'passed'"),
        ScriptErrorCase(label: "fetch without a syn step", text: "name: x\nports: [80]\nsteps:\n  - probe: fetch\n", line: 4,
                        fragment: "this step runs `when: intercepted` by default, which acts on an earlier syn step's result, but none comes before it"),
        ScriptErrorCase(label: "transfer needs a linux SYN", text: "name: x\nports: [80]\nsteps:\n  - probe: syn\n    variants: [mss]\n  - probe: transfer\n    kind: http\n", line: 6,
                        fragment: "`when: passed` waits for the linux SYN of an earlier syn step, but none sends `linux`"),
        ScriptErrorCase(label: "transfer on UDP only", text: "name: x\nports: [3478/udp]\nsteps:\n  - probe: transfer\n    kind: http\n    when: always\nanalyses: [asn]\n", line: 4,
                        fragment: "a transfer step probes TCP but `ports` has no TCP port; add one like 443"),
        ScriptErrorCase(label: "holdoff out of range", text: "name: x\npacing:\n  holdoff_s: 7200\n", line: 3,
                        fragment: "`holdoff_s` must be an integer from 0 to 3600, not '7200'"),
        ScriptErrorCase(label: "unknown transfer key", text: head + "  - probe: transfer\n    kind: http\n    size: 5\n", line: 8,
                        fragment: "unknown key 'size' in a transfer step; use probe, kind, name, control, path, max_bytes, max_ms, min_bytes, ratio or when"),
    ]

    @Test(arguments: cases) func refused(_ c: ScriptErrorCase) throws {
        let error = try #require(scriptError(c.text), "\(c.label) was accepted")
        #expect(error.line == c.line, "\(c.label): \(error)")
        #expect(error.description.contains(c.fragment), "\(c.label): \(error)")
    }
}
