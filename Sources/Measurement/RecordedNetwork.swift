import Analysis
import Capture
import Packets
import ProbeSession
import Probing
import Synchronization

/// A recorded run played back: the engine's network seam answered from an evidence pcapng
/// instead of the wire. Each run or sweep of the engine consumes the next part of the
/// recording (one pcapng interface per part, as `EvidenceBundle` writes them); with the
/// seed the recording was made with, the engine sends the same probes, so every recorded
/// answer is attributed exactly as it was live and the verdict is computed anew. This is
/// how the whole engine is tested in-process, without root, and how a measurement made
/// with an older version can be judged again.
public final class RecordedNetwork: ProbeNetwork, Sendable {
    private let parts: [[CapturedPacket]]
    private let next = Mutex(0)

    public init(parts: [[CapturedPacket]]) { self.parts = parts }

    /// Reads an evidence file; its interfaces are the parts, in order.
    public convenience init(path: String) throws(MeasurementError) {
        let (packets, error) = CaptureFileReader.readAll(path: path)
        if let error, packets.isEmpty { throw MeasurementError("cannot replay \(path): \(error.description)") }
        let count = (packets.map(\.interfaceIndex).max() ?? -1) + 1
        var parts = Array(repeating: [CapturedPacket](), count: count)
        for p in packets where p.interfaceIndex >= 0 { parts[p.interfaceIndex].append(p) }
        self.init(parts: parts)
    }

    /// Parts not yet replayed: more than zero after a replay means the recording came from
    /// another experiment or version.
    public var partsLeft: Int { parts.count - next.withLock { $0 } }

    public var interrupted: Bool { false }
    public var remeasures: Bool { false }
    /// A replay waits for nothing.
    public var maximumWait: Duration { .zero }

    func nextPart(_ what: String) throws(MeasurementError) -> [CapturedPacket] {
        let i = next.withLock { n in defer { n += 1 }; return n }
        guard i < parts.count else {
            throw MeasurementError("the recording has \(parts.count) parts, but the experiment asks for a \(what) as part \(i + 1): it was made by another experiment, seed or version")
        }
        return parts[i]
    }

    public func run(_ probes: [Probe], destination: IPAddress, evidence: String?, timeout: Duration?,
                    settled: @escaping (Correlator) -> Bool, quiet: ((Correlator) -> Bool)?) throws(MeasurementError) -> CorrelatedRunResult {
        var correlator = Correlator(probes: probes)
        let packets = try nextPart("run of \(probes.count) probes")
        for p in packets { _ = correlator.observe(p) }
        let statistics = RunStatistics(sent: correlator.counts.sentSeen, captured: packets.count)
        return CorrelatedRunResult(probes: probes, correlator: correlator, statistics: statistics)
    }

    /// The sweep's steps rebuilt from its part as `analyze` rebuilds any tool's sweep: the
    /// connections labelled test and control, paired by TTL.
    public func sweep(_ configuration: PayloadTrace.Configuration) throws(MeasurementError) -> [PayloadStep] {
        let packets = try nextPart("payload sweep")
        guard !packets.isEmpty else { return [] }
        let capture: SweepCapture
        do { capture = try SweepImport.sweeps(packets: packets, name: "the recorded sweep") } catch {
            throw MeasurementError(error.description)
        }
        let mine = capture.sweeps.filter { $0.target == configuration.target && $0.port == configuration.port }
        guard let test = mine.first(where: { $0.label == "test" }), let control = mine.first(where: { $0.label == "control" }) else {
            throw MeasurementError("the recorded sweep holds no test and control connections to \(configuration.target) port \(configuration.port)")
        }
        return test.ttls.compactMap { ttl in
            guard let t = test.probes(at: ttl).first?.observation, let c = control.probes(at: ttl).first?.observation else { return nil }
            return PayloadStep(ttl: ttl, test: t, control: c)
        }
    }
}
