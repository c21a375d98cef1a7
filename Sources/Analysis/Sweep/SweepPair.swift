import Records

/// `analyze TEST [--control CONTROL]`: the captures read, the test sweep and its control
/// told apart, and compared (or the test described alone).
public struct SweepPair: Sendable {
    public var test: PayloadSweep
    public var control: PayloadSweep?
    /// What reading the captures and pairing the sweeps noticed.
    public var notes: [String]
    public var comparison: SweepComparison

    /// Reads `test` (and `control`): with a control file, the sweep labelled for its role
    /// (else the one with most probes) of each; without, the two sweeps of one capture.
    public init(test path: String, control controlPath: String?) throws(SweepImportError) {
        let testCapture = try SweepImport.read(path: path)
        notes = testCapture.notes
        if let controlPath {
            let controlCapture = try SweepImport.read(path: controlPath)
            notes += controlCapture.notes
            test = Self.pick(testCapture.sweeps, label: "test")
            control = Self.pick(controlCapture.sweeps, label: "control")
            if testCapture.sweeps.count > 1 {
                notes.append("\(path) holds \(testCapture.sweeps.count) sweeps; the test is the one naming \(test.domain ?? "no domain").")
            }
        } else {
            let split = Self.split(testCapture.sweeps)
            (test, control) = (split.test, split.control)
            notes += split.notes
        }
        let test = self.test
        comparison = control.map { SweepAnalysis.compare(test: test, control: $0) } ?? SweepAnalysis.alone(test)
    }

    /// `analyze --json`.
    public var record: SweepRecord { comparison.record(test: test, control: control, notes: notes) }

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
}
