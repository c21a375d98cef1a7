import Campaigns
import Packets
import Probing

/// An item's first run, built but not sent: a campaign sends many items' openings as one run
/// (`SharedOpening`) and hands each item its part (`OpeningNetwork`). The engine builds the
/// same probes again from the same identifiers when it measures the item, so the opening is
/// exactly the run it would have made alone.
public struct Opening: Sendable {
    public var item: MeasurementItem
    /// Numbered from 0, as the engine numbers its first batch.
    public var probes: [Probe]
    /// Whether a run of these probes that hears nothing decisive waits for a router's late
    /// unreachable (`Engine.runWait`): what the item's own run would do.
    public var waitsForSilence: Bool
}

extension Engine {
    /// The steps of an item's first run when it can go out with other items': every step
    /// before the first conditional one or the first made of connections, none a trace (a
    /// trace starts where other items' traces left off, which changes while items run).
    /// Empty when the first run cannot be shared.
    public func openingSteps(isTCP: Bool) -> [ScriptStep] {
        var steps: [ScriptStep] = []
        for step in script.steps where EngineState.applies(step, isTCP: isTCP) {
            if step.makesConnections || step.condition != .always { break }
            if case .trace = step { return [] }
            steps.append(step)
        }
        return steps
    }

    /// The item's first run, built from `ids` as `measure` builds it; nil when it cannot be shared.
    public func opening(_ item: MeasurementItem, ids: IdentifierSource) throws -> Opening? {
        var state = EngineState(item: item, ids: ids, controls: controls)
        let steps = openingSteps(isTCP: item.isTCP)
        guard !steps.isEmpty else { return nil }
        let plan = try planBatch(steps, state: &state)
        guard !plan.probes.isEmpty, plan.traces.isEmpty else { return nil }
        return Opening(item: item, probes: plan.probes, waitsForSilence: !runWait(state).cutsSilence)
    }
}
