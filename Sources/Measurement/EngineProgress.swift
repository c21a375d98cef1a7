import Campaigns

/// Where a measurement is: the phase that is starting and the probes sent before it.
public struct EngineProgress: Sendable, Equatable {
    /// The steps of the phase, as scripts name them: `echo, syn`, `trace`, `payload`, `retries`.
    public var phase: String
    public var probesSent: Int

    public init(phase: String, probesSent: Int) {
        self.phase = phase
        self.probesSent = probesSent
    }

    /// `echo, syn, trace`: a batch's step kinds, each once, in order.
    static func name(_ steps: [ScriptStep]) -> String {
        var kinds: [String] = []
        for step in steps where !kinds.contains(step.kind) { kinds.append(step.kind) }
        return kinds.joined(separator: ", ")
    }
}
