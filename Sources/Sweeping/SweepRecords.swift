import Campaigns
import Packets
import Records

extension SweepOutcome {
    /// The most telling answer any probe to target `t` got (`.none` when none did) and its slot.
    func best(target t: Int) -> (kind: SweepAnswerKind, slot: SweepSlot?) {
        let per = probe.probesPerTarget
        var best: (kind: SweepAnswerKind, slot: SweepSlot?) = (.none, nil)
        for p in 0..<per {
            let s = slots[t * per + p]
            if s.answers > 0, best.slot == nil || s.kind < best.kind { best = (s.kind, s) }
        }
        return best
    }

    /// Target `index`'s record: every probe's slot, and the most telling answer among them.
    public func record(target index: Int) -> SweepTargetRecord {
        let address = space.address(at: index)
        let per = probe.probesPerTarget
        var probes: [SweepTargetRecord.Probe] = []
        for p in 0..<per {
            let s = slots[index * per + p]
            let variant = probe.variants[probe.variant(ofProbe: p)].name
            guard s.wasSent else {
                probes.append(.init(variant: variant, answer: "not-sent", rttMilliseconds: nil, answers: 0, kindsSeen: [], match: nil, fingerprint: nil))
                continue
            }
            guard s.answers > 0 else {
                probes.append(.init(variant: variant, answer: "none", rttMilliseconds: nil, answers: 0, kindsSeen: [], match: nil, fingerprint: nil))
                continue
            }
            let seen = SweepAnswerKind.allCases.filter { $0 != .none && s.seen & $0.seenBit != 0 }
            probes.append(.init(variant: variant, answer: s.kind.name, rttMilliseconds: rtt(s),
                                answers: Int(s.answers), kindsSeen: seen.count > 1 ? seen.map(\.name) : [],
                                match: s.matchedByPortOnly ? "port" : "hash", fingerprint: fingerprint(s, target: address)))
        }
        let top = best(target: index).slot
        return SweepTargetRecord(target: address.description, protocol: probe.sweepProtocol.rawValue,
                                 port: probe.sweepProtocol == .icmp ? nil : Int(probe.port), answer: top?.kind.name ?? "none",
                                 from: top.map { sender(of: $0, target: address) },
                                 rttMilliseconds: top.flatMap { rtt($0) }, probes: probes)
    }

    /// A slot's round trip; none in a replay, which knows no send times.
    func rtt(_ s: SweepSlot) -> Double? { statistics.replayed ? nil : Self.milliseconds(s.rttMicros) }

    /// The answering address of a slot.
    func sender(of s: SweepSlot, target: IPAddress) -> String {
        if s.from == 0 { return target.description }
        guard s.from != .max, Int(s.from) - 1 < routers.count else { return "?" }
        return TargetSpace.address(key: routers[Int(s.from) - 1]).description
    }

    func fingerprint(_ s: SweepSlot, target: IPAddress) -> FingerprintRecord {
        let v4 = probe.isIPv4
        let tcp = s.kind == .synAck || s.kind == .reset || s.kind == .otherTCP
        let icmp = s.kind.isICMP
        var options = SweepOptions.names(s.optionLayout)
        if let i = options.firstIndex(of: "mss"), s.mss != 0 { options[i] = "mss=\(s.mss)" }
        if let i = options.firstIndex(of: "wscale"), s.windowScale != 0xFF { options[i] = "wscale=\(s.windowScale)" }
        return FingerprintRecord(form: .probe, source: sender(of: s, target: target), ttl: Int(s.ttl), ipID: v4 ? Int(s.ipID) : nil,
                                 dontFragment: v4 ? s.dontFragment : nil, flags: tcp ? TCPFlags(rawValue: UInt16(s.tcpFlags)).letters : nil,
                                 window: tcp ? Int(s.window) : nil, options: tcp ? options : nil,
                                 icmpType: icmp ? Int(s.icmp >> 8) : nil, icmpCode: icmp ? Int(s.icmp & 0xFF) : nil)
    }

    static func milliseconds(_ micros: UInt32) -> Double { Double(micros) / 1000 }

    /// Targets by their answer (`synack`, `rst`, …, `none`; the kinds of the sweep's protocol), for the summary.
    public func answerCounts() -> [(String, Int)] {
        var counts = [Int](repeating: 0, count: SweepAnswerKind.allCases.count)
        for t in 0..<space.count { counts[Int(best(target: t).kind.rawValue)] += 1 }
        return SweepAnswerKind.kinds(of: probe.sweepProtocol).map { ($0.name, counts[Int($0.rawValue)]) }
    }
}

extension SweepOutcome {
    /// Targets answered with an ICMP error (by a router, or by the target: a closed UDP port),
    /// and targets nothing answered. Routers and hosts rate-limit the ICMP errors they send,
    /// so when both are many a silence may be a lost error rather than a drop: the evidence
    /// cannot tell the two apart.
    public func silenceNextToICMPErrors() -> (errorAnswered: Int, silent: Int) {
        let per = probe.probesPerTarget
        var routerAnswered = 0, silent = 0
        for t in 0..<space.count {
            var any = false, router = false
            for p in 0..<per {
                let s = slots[t * per + p]
                guard s.answers > 0 else { continue }
                any = true
                if s.kind >= .unreachable { router = true }
            }
            if router { routerAnswered += 1 }
            if !any { silent += 1 }
        }
        return (routerAnswered, silent)
    }
}
