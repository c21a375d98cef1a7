import Analysis
import Packets
import Probing

extension Engine {
    /// Probe numbers of confirmation runs start here: apart from batches' and retries' in the evidence.
    static let confirmationIndexBase = 9_000_000

    /// Sends each SYN shape of `batch` (trials) that drew nothing at all once more, on a new flow
    /// and with the whole timeout, when the host has answered this item: one lost SYN or
    /// SYN-ACK would otherwise make a clean target a `drop` (seen in a campaign at 64 items in
    /// parallel on two cores, where answers came late or not at all). A shape whose second
    /// SYN draws any answer was lost the first time, and the new trial replaces the silent
    /// one; a shape silent twice keeps its first trial, now confirmed (a device that drops
    /// by shape drops again). A recording replays its confirmation part. Run after
    /// an item's traces: a router's ICMP rate limit is spent on them first.
    ///
    /// A datagram probe that drew nothing is sent again as it was (a UDP client retransmits
    /// its request unchanged: STUN keeps the transaction ID, RFC 8489 §6.2.1), so an answer to
    /// either copy counts; without this one lost datagram of a `count: 1` step made the port a `drop`.
    ///
    /// Echo requests too, as they were, when none drew the host's echo reply: the reply is the
    /// reference a RST or SYN-ACK in the host's name is checked against, and without it a
    /// forged RST (an address blocked by injection) passed for the host's own (seen at 64
    /// items in parallel under CPU load, where the one echo of `lab.yaml` was lost).
    /// `echoesOnly`: before a conditional step, whose condition (blocked?) needs the reference.
    func confirmSilentTrials(_ batch: Range<Int>, echoesOnly: Bool = false, state: inout EngineState, bundle: inout EvidenceBundle?) throws {
        // A recording replays the confirmation it made: whether there was one follows from
        // the parts before it, so a replay asks for it exactly when the live run sent it.
        let destination = state.item.address
        let silent = echoesOnly ? [] : batch.filter { state.trials[$0].answers.isEmpty }
        let silentDatagrams = echoesOnly ? [] : state.datagrams.indices.filter { state.datagrams[$0].answers.isEmpty }
        let silentEchoes = Self.silentEchoes(state)
        guard !silent.isEmpty || !silentDatagrams.isEmpty || !silentEchoes.isEmpty,
              state.answers.contains(where: { Self.fromHost($0.answer, destination) }) else { return }
        let builder: ProbeBuilder
        do { builder = try ProbeBuilder(source: source, destination: destination) } catch { throw MeasurementError("\(error)") }
        var probes: [Probe] = []
        do {
            for i in silent {
                let old = state.trials[i]
                probes.append(try builder.tcp(index: Self.confirmationIndexBase + probes.count, shape: old.shape.shape,
                                              sourcePort: state.ports.next(), destinationPort: old.port, sequence: state.ids.next(),
                                              ttl: 64, ipID: state.ids.next(), label: "syn \(old.shape.name) port \(old.port), again"))
            }
        } catch {
            throw MeasurementError("\(error)")
        }
        for i in silentDatagrams {
            let old = state.datagrams[i].probe
            probes.append(Probe(index: Self.confirmationIndexBase + probes.count, module: old.module, label: old.label + ", again",
                                packet: old.packet, bytes: old.bytes))
        }
        for i in silentEchoes {
            let old = state.echoProbes[i].probe
            probes.append(Probe(index: Self.confirmationIndexBase + probes.count, module: old.module, label: old.label + ", again",
                                packet: old.packet, bytes: old.bytes))
        }
        try checkInterrupt()
        let indices = probes.map(\.index)
        let result = try measuredRun(probes, part: "confirm", state: &state, bundle: &bundle, waitsForLateUnreachable: false, wholeWait: true,
                                     settled: { c in indices.allSatisfy { !c.answers(for: $0).isEmpty } }, quiet: { _ in false })
        for (i, p) in zip(silent, probes) {
            let answers = result.answers(for: p.index)
            for a in answers { state.answers.append((p, a)) }
            if !answers.isEmpty { state.trials[i] = SYNTrial(shape: state.trials[i].shape, probe: p, answers: answers) }
        }
        for (i, p) in zip(silentDatagrams, probes.dropFirst(silent.count)) {
            let answers = result.answers(for: p.index)
            for a in answers { state.answers.append((p, a)) }
            if !answers.isEmpty { state.datagrams[i] = DatagramTrial(probe: p, answers: answers) }
        }
        state.echoesConfirmed = true
        for (i, p) in zip(silentEchoes, probes.dropFirst(silent.count + silentDatagrams.count)) {
            let answers = result.answers(for: p.index)
            for a in answers { state.answers.append((p, a)) }
            if !answers.isEmpty {
                state.echoProbes[i] = (p, answers)
                state.echoes += answers
            }
        }
    }

    /// The echo requests to send again: all that drew nothing, when neither an echo reply nor
    /// a SYN-ACK of the host's came, once per item.
    static func silentEchoes(_ state: EngineState) -> [Int] {
        // Only while nothing known to be the host's is there to compare with: a host that
        // filters ICMP but sent SYN-ACKs costs no extra wait.
        guard !state.echoesConfirmed,
              GenuineProfile(target: state.item.address, echoReplies: state.echoes, trials: state.trials).fingerprints.isEmpty else { return [] }
        return state.echoProbes.indices.filter { state.echoProbes[$0].answers.isEmpty }
    }
}
