import Packets
import ProbeSession
import Probing

/// Where and how a `probe` command's probes go: the target, the pacing and wait, the
/// evidence file. The SYN and datagram jobs share it.
public struct ProbeRun: Sendable {
    public var target: ProbeTarget
    public var settings: RunSettings
    /// Every packet sent and received goes to this pcapng when set.
    public var pcap: String?

    public init(target: ProbeTarget, settings: RunSettings, pcap: String? = nil) {
        self.target = target
        self.settings = settings
        self.pcap = pcap
    }

    /// Probes from our address towards the target.
    func builder() throws(MeasurementError) -> ProbeBuilder {
        do { return try ProbeBuilder(source: target.route.source, destination: target.address) } catch {
            throw MeasurementError("\(error)")
        }
    }

    /// Sends `probes` and waits until `expected` of them have an answer, or the timeout.
    func correlate(_ probes: [Probe], expected: Int) throws(MeasurementError) -> CorrelatedRunResult {
        let configuration = settings.configuration(route: target.route, destinations: [target.address])
        return try LiveNetwork.correlate(probes, configuration, try EvidenceFile.opening(pcap)) { c in
            c.counts.answeredProbes >= expected
        }
    }
}

extension EvidenceFile {
    /// The evidence file at `path`, nil without one; a failure to create it is one sentence.
    static func opening(_ path: String?) throws(MeasurementError) -> EvidenceFile? {
        guard let path else { return nil }
        do { return try EvidenceFile(path: path) } catch { throw MeasurementError(error.description) }
    }
}

/// The kind's word for a probe's first answer (`timeout` when nothing came back).
func resultWord(_ answer: Answer?) -> String { answer?.kind.resultWord ?? "timeout" }
