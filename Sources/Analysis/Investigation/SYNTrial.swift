import Packets
import Probing

/// A SYN shape an investigation sends at full TTL. Variants go as stacks send them; padded
/// copies keep a variant's options and grow to another variant's size, so a size trigger
/// and an options trigger give different patterns.
public struct SYNTrialShape: Hashable, Sendable {
    /// "linux", or "bare padded to 60".
    public var name: String
    public var variant: SYNVariant
    public var shape: TCPProbeShape
    /// Whether `shape.size` pads the variant beyond its natural length.
    public var padded: Bool

    public init(name: String, variant: SYNVariant, shape: TCPProbeShape, padded: Bool) {
        self.name = name
        self.variant = variant
        self.shape = shape
        self.padded = padded
    }

    /// The five variants, then `bare` padded to every larger variant size and `mss` padded
    /// to every size above its own: with these, "only the size matters" and "only the
    /// options matter" predict different outcomes for at least one pair.
    public static func standard(ipv6: Bool) -> [SYNTrialShape] {
        trials(variants: SYNVariant.allCases, padding: [.bare, .mss], ipv6: ipv6)
    }

    /// `variants` as sent, then each of `padding` padded to every larger size among them.
    public static func trials(variants: [SYNVariant], padding: [SYNVariant], ipv6: Bool) -> [SYNTrialShape] {
        var out = variants.map {
            SYNTrialShape(name: $0.rawValue, variant: $0, shape: .variant($0, ipv6: ipv6), padded: false)
        }
        let sizes = Set(out.map { $0.shape.packetLength(ipv6: ipv6) }).sorted()
        for base in padding {
            let natural = TCPProbeShape.variant(base, ipv6: ipv6).packetLength(ipv6: ipv6)
            for size in sizes where size > natural {
                var shape = TCPProbeShape.variant(base, ipv6: ipv6)
                shape.size = size
                out.append(SYNTrialShape(name: "\(base.rawValue) padded to \(size)", variant: base, shape: shape, padded: true))
            }
        }
        return out
    }
}

/// A SYN trial as run: the probe and what answered it.
public struct SYNTrial: Hashable, Sendable {
    public var shape: SYNTrialShape
    public var probe: Probe
    public var answers: [Answer]

    public init(shape: SYNTrialShape, probe: Probe, answers: [Answer]) {
        self.shape = shape
        self.probe = probe
        self.answers = answers
    }

    /// Bytes on the wire (IP header included).
    public var size: Int { probe.bytes.count }
    /// The destination port.
    public var port: UInt16 { probe.packet.transport.tcp?.destinationPort ?? 0 }
    /// Option kinds carried, padding excluded: what a DPI rule on options can see.
    public var optionNames: [String] {
        (probe.packet.transport.tcp?.options ?? []).map(\.name).filter { $0 != "eol" && $0 != "nop" && !$0.hasPrefix("trailing") && $0 != "padding" }
    }
}

/// What a SYN trial shows once forged answers are told apart from genuine ones.
public enum SYNTrialOutcome: Hashable, Sendable {
    /// The host answered: a SYN-ACK (open) or a RST+ACK (closed).
    case genuine(AnswerKind)
    /// A forged answer came (possibly beside a genuine one: `alsoGenuine`).
    case forged(alsoGenuine: Bool)
    /// An ICMP destination unreachable came from a router.
    case unreachable(code: UInt8, from: IPAddress)
    /// Nothing answered.
    case silent

    /// The word `syn_variants[].result` uses.
    public var resultWord: String {
        switch self {
        case .genuine(let kind): return kind == .synAck ? "syn-ack" : kind == .rst ? "rst" : kind.rawValue
        case .forged: return "rst"
        case .unreachable: return "icmp"
        case .silent: return "timeout"
        }
    }
}
