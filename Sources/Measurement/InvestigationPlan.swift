import Capture
import Analysis
import Campaigns
import Packets

/// `investigate HOST`: the experiment (the default or `--experiment FILE`) run by the
/// engine for one target and port, with the command's overrides.
public struct InvestigationPlan {
    public var script: ExperimentScript
    public var port: ServicePort

    /// The experiment at `experiment` (else the embedded default), validated in full, and
    /// the port: `port` when given, else the experiment's first.
    public init(experiment: String?, port: ServicePort?) throws(MeasurementError) {
        if let experiment { script = try Experiments.load(experiment) } else { script = try Experiments.standard() }
        guard let port = port ?? script.ports.first else { throw MeasurementError("the experiment names no port") }
        self.port = port
    }

    /// How the run sends: `rate` (0: as fast as possible) and `timeout` (seconds) when
    /// given, else the experiment's pacing.
    public func settings(rate: Double?, timeout: Double?, interface: String?) -> RunSettings {
        var settings = RunSettings(rate: rate.map { $0 > 0 ? $0 : nil } ?? script.pacing.rate,
                                   timeout: timeout.map { .milliseconds(Int64($0 * 1000)) } ?? .milliseconds(script.pacing.timeoutMilliseconds),
                                   interface: interface)
        settings.reuseCaptures = true
        return settings
    }

    /// Measures `target`, as `host` named it; `httpHost` and `sni` are the names payload
    /// steps test. The evidence goes to `pcap`, else to a temporary file; `seed` repeats a
    /// run exactly. `shouldStop` (Ctrl-C) ends the run between phases with `Engine.Interrupted`,
    /// the evidence so far kept; `progress` hears of each phase.
    public func run(target: ProbeTarget, host: String, httpHost: String?, sni: String?, settings: RunSettings,
                    maxTTL: Int?, control: String?, object: String? = nil, pcap: String?, seed: UInt64?,
                    softwareVersion: String, controls: [VantageControl] = [],
                    shouldStop: (@Sendable () -> Bool)? = nil,
                    progress: (@Sendable (EngineProgress) -> Void)? = nil) throws -> Engine.Outcome {
        var names: [PayloadSpec.Kind: String] = [:]
        names[.http] = httpHost
        names[.tls] = sni
        let item = MeasurementItem(address: target.address, name: IPAddress(host) == nil ? host : nil, port: port, testNames: names)
        var engine = Engine(script: script, network: LiveNetwork(route: target.route, settings: settings, shouldStop: shouldStop),
                            source: target.route.source,
                            maxTTL: maxTTL, control: control, object: object, evidence: true, evidencePath: pcap,
                            softwareVersion: softwareVersion)
        engine.controls = controls
        engine.progress = progress
        engine.keepsPartialEvidence = true
        defer { CapturePool.shared.closeAll() }
        return try engine.measure(item, ids: seed.map(IdentifierSource.init(seed:)) ?? .random())
    }
}
