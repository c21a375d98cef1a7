import Packets

/// Whether an answer was forged by something on the path rather than sent by the host.
public struct InjectionAssessment: Hashable, Sendable {
    public var injected: Bool
    /// One sentence per piece of evidence when injected; otherwise what was checked.
    public var reasons: [String]

    public init(injected: Bool, reasons: [String]) {
        self.injected = injected
        self.reasons = reasons
    }
}

/// Tells a forged answer from a genuine one. The definition, one rule per piece of evidence:
///
/// 1. A RST without ACK answering a SYN is injected: no conforming stack sends it (RFC 9293
///    §3.10.7.1: a reset answering a SYN carries ACK, with ack = seq + 1).
/// 2. Hop distance inconsistent with the host's own packets: the sender's initial TTL is
///    guessed as the smallest of 32, 64, 128, 255 not below the observed TTL, and hops =
///    initial − observed. If the answer and reference packets from the same source share the
///    initial guess and the answer's hop count is none of theirs, it is injected. Different
///    initial guesses alone are no evidence (hosts and middleboxes differ in defaults).
/// 3. Conflicting siblings: the same probe also drew an answer of another kind from the same
///    source with a different TTL (a RST and a SYN-ACK). The one whose hop distance disagrees
///    with the reference is injected; without a reference deciding, the RST is.
/// 4. Otherwise it is not injected, and the reasons say what was checked.
public enum InjectionCheck {
    /// Assesses `answer` to `probe`. `siblings`: every answer to the same probe (the answer
    /// itself may be among them). `reference`: fingerprints of packets known to come from the
    /// destination itself in the same run (e.g. its echo replies).
    public static func assess(_ answer: Answer, probe: Probe, siblings: [Answer], reference: [Fingerprint]) -> InjectionAssessment {
        let fp = answer.fingerprint
        var evidence: [String] = []
        var checked: [String] = []

        // Rule 1.
        if let syn = probe.packet.transport.tcp, syn.flags.contains(.syn), !syn.flags.contains(.ack),
           let flags = fp.flags, answer.packet.transport.tcp != nil {
            if flags.contains(.rst), !flags.contains(.ack) {
                evidence.append("A RST without ACK answered a SYN, which no conforming stack sends "
                    + "(RFC 9293 §3.10.7.1: a reset answering a SYN carries ACK with ack = seq + 1).")
            } else {
                checked.append("Its TCP flags (\(flags.letters)) are ones a conforming stack sends in answer to a SYN.")
            }
        }

        // Rule 2.
        let mine = hopVerdict(fp, reference: reference)
        switch mine {
        case .disagrees(let hops):
            evidence.append("TTL \(fp.ttl) means \(fp.hopDistance) hops; the host's own replies come from \(hopList(hops)) hops.")
        case .agrees:
            checked.append("TTL \(fp.ttl) means \(fp.hopDistance) hops, as for the host's own replies.")
        case .differentInitialTTL:
            checked.append("TTL \(fp.ttl) and the host's own replies start from different initial TTLs, which alone is no evidence.")
        case .noReference:
            checked.append("No packets known to come from \(fp.source) itself to compare the TTL with.")
        }

        // Rule 3.
        let conflicting = siblings.filter {
            $0 != answer && $0.kind != answer.kind && $0.fingerprint.source == fp.source && $0.fingerprint.ttl != fp.ttl
        }
        if let other = conflicting.first {
            let theirs = hopVerdict(other.fingerprint, reference: reference)
            let otherText = "a \(other.kind.rawValue) from \(fp.source) with TTL \(other.fingerprint.ttl)"
            if case .disagrees = mine {
                evidence.append("The same probe also drew \(otherText); this answer is the one whose hop distance disagrees with the host's.")
            } else if case .agrees = mine, case .disagrees = theirs {
                checked.append("The same probe also drew \(otherText), whose hop distance disagrees with the host's: that one is the forgery.")
            } else if answer.kind == .rst, other.kind != .rst {
                evidence.append("The same probe also drew \(otherText) and no reference decides between them: the RST is taken as the forgery.")
            } else if other.kind == .rst {
                checked.append("The same probe also drew \(otherText); the RST, not this answer, is taken as the forgery.")
            } else {
                checked.append("The same probe also drew \(otherText); nothing decides which of the two is genuine.")
            }
        } else {
            checked.append("No other answer of another kind came from \(fp.source) with a different TTL.")
        }

        return evidence.isEmpty ? InjectionAssessment(injected: false, reasons: checked)
                                : InjectionAssessment(injected: true, reasons: evidence)
    }

    private enum HopVerdict {
        case agrees
        case disagrees(Set<Int>)
        case differentInitialTTL
        case noReference
    }

    private static func hopVerdict(_ fp: Fingerprint, reference: [Fingerprint]) -> HopVerdict {
        let sameSource = reference.filter { $0.source == fp.source }
        guard !sameSource.isEmpty else { return .noReference }
        let comparable = sameSource.filter { $0.initialTTLGuess == fp.initialTTLGuess }
        guard !comparable.isEmpty else { return .differentInitialTTL }
        let hops = Set(comparable.map(\.hopDistance))
        return hops.contains(fp.hopDistance) ? .agrees : .disagrees(hops)
    }

    private static func hopList(_ hops: Set<Int>) -> String {
        hops.sorted().map(String.init).joined(separator: " or ")
    }
}
