import Analysis
import ArgumentParser
import JSONSupport
import Probing

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Say from a payload sweep's capture (ours or CenTrace's) whether and where a censor answers.",
        discussion: """
            TEST.pcap holds a payload sweep: per TTL a fresh connection, then one HTTP request \
            or TLS ClientHello with its IP TTL limited to that TTL (`probe payload --pcap`, or \
            CenTrace). With --control, CONTROL.pcap holds the same sweep for an innocuous \
            domain. Without it, a capture holding two sweeps (ours: test and control \
            interleaved) is split; a single sweep is described alone. See Docs/analyze.md.
            Example: censorscope analyze blocked.pcap --control example.pcap --json
            """
    )

    @Argument(help: "The test sweep's pcap or pcapng file.")
    var test: String

    @Option(name: .long, help: "The control sweep's pcap or pcapng file.")
    var control: String?

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        try runReportingUserErrors { try analyze(&$0) }
    }

    private func analyze(_ out: inout StandardOutput) throws {
        let testCapture = try read(test)
        var notes = testCapture.notes
        let pair: (test: PayloadSweep, control: PayloadSweep?)
        if let control {
            let controlCapture = try read(control)
            notes += controlCapture.notes
            pair = (Self.pick(testCapture.sweeps, label: "test"), Self.pick(controlCapture.sweeps, label: "control"))
            if testCapture.sweeps.count > 1 { notes.append("\(test) holds \(testCapture.sweeps.count) sweeps; the test is the one naming \(pair.test.domain ?? "no domain").") }
        } else {
            let split = Self.split(testCapture.sweeps)
            pair = (split.test, split.control)
            notes += split.notes
        }
        let result = pair.control.map { SweepAnalysis.compare(test: pair.test, control: $0) } ?? SweepAnalysis.alone(pair.test)
        if json {
            var fields: [(key: String, value: JSONValue)] = []
            if case .object(let f) = result.json() { fields = f }
            fields.append(("test", pair.test.json()))
            fields.append(("control", pair.control?.json() ?? .null))
            fields.append(("notes", .array(notes.map { .string($0) })))
            out.json(.object(fields))
        } else {
            Self.printHuman(result, test: pair.test, control: pair.control, notes: notes, into: &out)
        }
    }

    private func read(_ path: String) throws -> SweepCapture {
        do { return try SweepImport.read(path: path) } catch { throw UserError(error.description) }
    }

    /// The sweep labelled `label`, else the one with the most probes.
    static func pick(_ sweeps: [PayloadSweep], label: String) -> PayloadSweep {
        sweeps.first { $0.label == label } ?? sweeps.max { $0.probes.count < $1.probes.count } ?? sweeps[0]
    }

    static let controlDomains: Set<String> = ["example.com", "www.example.com", "example.org", "example.net"]

    /// Test and control from one capture: by label, else by a control domain, else in order.
    static func split(_ sweeps: [PayloadSweep]) -> (test: PayloadSweep, control: PayloadSweep?, notes: [String]) {
        guard sweeps.count >= 2 else { return (sweeps[0], nil, []) }
        var notes: [String] = []
        if sweeps.count > 2 { notes.append("The capture holds \(sweeps.count) sweeps; only two are compared.") }
        if let t = sweeps.first(where: { $0.label == "test" }), let c = sweeps.first(where: { $0.label == "control" }) {
            return (t, c, notes)
        }
        if let c = sweeps.first(where: { $0.domain.map(controlDomains.contains) == true }),
           let t = sweeps.first(where: { $0 != c }) {
            return (t, c, notes)
        }
        notes.append("Nothing says which sweep is the control; the first (\(sweeps[0].domain ?? "no domain")) is taken as the test.")
        return (sweeps[0], sweeps[1], notes)
    }

    // MARK: - Human output

    static func printHuman(_ r: SweepComparison, test: PayloadSweep, control: PayloadSweep?, notes: [String],
                           into out: inout StandardOutput) {
        out.line("test:    " + header(test))
        if let control { out.line("control: " + header(control)) }
        let ttls = Array(Set(test.ttls + (control?.ttls ?? []))).sorted()
        out.line(" ttl  " + (control == nil ? "test" : pad("test", 66) + "control"))
        for ttl in ttls {
            let t = String(ttl)
            let row = control.map { pad(cell(test, ttl, limit: 64), 66) + cell($0, ttl, limit: 64) } ?? cell(test, ttl, limit: nil)
            out.line(String(repeating: " ", count: max(0, 4 - t.count)) + t + "  " + row)
        }
        var verdict = "outcome: \(r.outcome.rawValue)"
        if let m = r.mechanism { verdict += " (\(m))" }
        out.line(verdict + ", confidence \(r.confidence.rawValue)")
        out.line("terminating TTL: test \(r.terminatingTTL.test.map(String.init) ?? "none")"
                 + (control == nil ? "" : ", control \(r.terminatingTTL.control.map(String.init) ?? "none")"))
        if let m = r.middlebox {
            out.line("middlebox: \(m.address?.description ?? "unknown") (before \(m.before?.description ?? "unknown"), after \(m.after?.description ?? "unknown"))")
        }
        if let onPath = r.onPath { out.line("on-path: \(onPath ? "yes" : "no")") }
        if r.injectorCopiesTTL { out.line("injector copies the probe's TTL: yes") }
        for reason in r.reasons { out.line("- " + reason) }
        for note in notes { out.line("note: " + note) }
    }

    static func header(_ s: PayloadSweep) -> String {
        let ttls = s.ttls
        let range = ttls.first.map { f in ttls.last.map { $0 == f ? "TTL \(f)" : "TTLs \(f)-\($0)" } ?? "" } ?? "no TTLs"
        return "\(s.target) port \(s.port), domain \(s.domain ?? "unknown"), \(range), \(s.probes.count) probe\(s.probes.count == 1 ? "" : "s")"
    }

    /// The TTL's folded answer, and how many probes there were; cut to `limit` characters.
    static func cell(_ s: PayloadSweep, _ ttl: Int, limit: Int?) -> String {
        let probes = s.probes(at: ttl)
        guard let first = probes.first else { return "-" }
        var text = ProbePayloadCommand.summary(s.answer(at: ttl) ?? first.observation)
        if probes.count > 1 { text += " [\(probes.count) probes]" }
        if let limit, text.count > limit { text = String(text.prefix(limit - 3)) + "..." }
        return text
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + "  " : s + String(repeating: " ", count: width - s.count)
    }
}
