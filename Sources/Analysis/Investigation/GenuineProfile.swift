import Packets
import Probing

/// What the host's own packets look like, to tell forged answers from them: its echo
/// replies, and SYN-ACKs that agree with those (or stand alone when ICMP is filtered).
public struct GenuineProfile: Hashable, Sendable {
    public var fingerprints: [Fingerprint]
    /// Which packet the profile rests on, for the report: "the echo reply".
    public var source: String

    /// The genuine packets among `echoReplies` and the trials' SYN-ACKs from `target`.
    public init(target: IPAddress, echoReplies: [Answer], trials: [SYNTrial]) {
        let echoes = echoReplies.filter { $0.kind == .echoReply && $0.fingerprint.source == target }.map(\.fingerprint)
        var synAcks: [Fingerprint] = []
        for trial in trials {
            for a in trial.answers where a.kind == .synAck && a.fingerprint.source == target {
                let check = InjectionCheck.assess(a, probe: trial.probe, siblings: trial.answers, reference: echoes)
                if !check.injected { synAcks.append(a.fingerprint) }
            }
        }
        fingerprints = echoes + synAcks
        switch (echoes.isEmpty, synAcks.isEmpty) {
        case (false, false): source = "the host's echo replies and SYN-ACKs"
        case (false, true): source = "the host's echo replies"
        case (true, false): source = "the host's SYN-ACKs"
        case (true, true): source = "nothing: no packet known to come from the host"
        }
    }

    /// The most common arrival TTL of the host's packets.
    public var ttl: UInt8? { Self.mode(fingerprints.map(\.ttl)) }

    static func mode<T: Hashable & Comparable>(_ values: [T]) -> T? {
        var counts: [T: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        return counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
    }
}
