import Analysis
import Packets
import ProbeSession
import Probing
import Records

/// `probe syn`: `count` SYNs of one shape, each from its own source port, and an ICMP echo
/// alongside whose reply gives the host's own TTL, the reference for injection checks.
public struct SYNProbeJob {
    public var setup: ProbeRun
    public var port: UInt16
    /// The variant's name as given (`linux`), for labels and the record.
    public var variant: String
    public var shape: TCPProbeShape
    public var ttl: UInt8
    public var count: Int
    /// The first source port; random when nil.
    public var sourcePort: UInt16?
    /// Whether to send the reference echo.
    public var reference: Bool
    public var ids: IdentifierSource

    public init(setup: ProbeRun, port: UInt16, variant: String, shape: TCPProbeShape, ttl: UInt8, count: Int,
                sourcePort: UInt16? = nil, reference: Bool = true, ids: IdentifierSource = .random()) {
        self.setup = setup
        self.port = port
        self.variant = variant
        self.shape = shape
        self.ttl = ttl
        self.count = count
        self.sourcePort = sourcePort
        self.reference = reference
        self.ids = ids
    }

    /// The variant's shape for the target's family with the command's changes: `options`
    /// and `flags` in `OptionSyntax`, the payload as hex; a bad one is one sentence.
    public static func shape(variant: SYNVariant, ipv6: Bool, options: String?, flags: String, window: UInt16?,
                             payloadHex: String?, size: Int?, tos: UInt8) throws(MeasurementError) -> TCPProbeShape {
        var shape = TCPProbeShape.variant(variant, ipv6: ipv6)
        do {
            if let options { shape.options = try OptionSyntax.options(options) }
            shape.flags = try OptionSyntax.flags(flags)
        } catch { throw MeasurementError(error.description) }
        if let window { shape.window = window }
        if let payloadHex {
            do { shape.payload = try Hex.decode(payloadHex) } catch { throw MeasurementError("--payload-hex: \(error.description)") }
        }
        shape.size = size
        shape.tos = tos
        return shape
    }

    /// One SYN and what answered it, each answer assessed against the reference.
    public struct Result {
        public var probe: Probe
        public var answers: [Answer]
        public var assessments: [InjectionAssessment]
        public var record: ProbeResultRecord
    }

    public struct Outcome {
        public var results: [Result]
        /// The reference echo reply's fingerprint, when one came.
        public var reference: Fingerprint?
    }

    public func run() throws(MeasurementError) -> Outcome {
        let builder = try setup.builder()
        var ids = self.ids
        let firstPort = sourcePort ?? ids.sourcePort()
        var probes: [Probe] = []
        do {
            for i in 0..<count {
                let label = "syn \(variant)\(shape.size.map { " size \($0)" } ?? "") ttl \(ttl) #\(i)"
                probes.append(try builder.tcp(index: i, shape: shape, sourcePort: SourcePorts.port(firstPort, i), destinationPort: port,
                                              sequence: ids.next(), ttl: ttl, ipID: ids.next(), label: label))
            }
            if reference {
                probes.append(try builder.icmpEcho(index: count, identifier: ids.next(), sequence: 1, payloadSize: 56, ttl: 64,
                                                   ipID: ids.next(), label: "reference echo #\(count)"))
            }
        } catch { throw MeasurementError("\(error)") }
        let result = try setup.correlate(probes, expected: probes.count)
        let echo = reference ? result.answers(for: count).filter { $0.kind == .echoReply }.map(\.fingerprint) : []
        let results = probes.prefix(count).map { probe in
            let answers = result.answers(for: probe.index)
            let assessments = answers.map { InjectionCheck.assess($0, probe: probe, siblings: answers, reference: echo) }
            let record = ProbeResultRecord.syn(target: setup.target.address, port: port, variant: variant, probe: probe,
                                               result: resultWord(answers.first), answers: answers, assessments: assessments,
                                               reference: echo.first)
            return Result(probe: probe, answers: answers, assessments: assessments, record: record)
        }
        return Outcome(results: results, reference: echo.first)
    }
}
