import Measurement
import ArgumentParser
import JSONSupport
import Packets
import ProbeSession
import Probing

struct ProbeSYN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syn",
        abstract: "Send TCP SYNs shaped like an OS's (or any shape) and classify the answers.",
        discussion: """
            Variants (IPv4 packet sizes): bare 40 (no options), mss 44 (MSS only, what \
            traceroute -T -O syn sends), linux 60, windows 52, macos 64. --size pads a variant \
            (end-of-option-list bytes first, then payload); --options replaces its option list. \
            An ICMP echo to the same host is sent alongside as a reference for the host's own \
            TTL (--no-reference to skip): an answer is reported as injected when its hop \
            distance disagrees with the host's, or when no conforming stack could have sent it \
            (a RST without ACK answering a SYN).
            """
    )

    @Argument(help: "The target address or name.")
    var host: String

    @Option(help: "Destination port.")
    var port: UInt16 = 80

    @Option(help: "bare, mss, linux, windows or macos.")
    var variant: String = "linux"

    @Option(help: "Pad the packet to this many bytes (IP header included).")
    var size: Int?

    @Option(help: "Replace the variant's options, e.g. mss=1460,sackOK,ts,nop,wscale=7 (empty for none).")
    var options: String?

    @Option(help: "TCP flags as letters (default S).")
    var flags: String = "S"

    @Option(help: "TCP window (default: the variant's).")
    var window: UInt16?

    @Option(help: "Payload carried in the SYN, as hex.")
    var payloadHex: String?

    @Option(help: "IP TTL / hop limit.")
    var ttl: UInt8 = 64

    @Option(help: "IPv4 TOS / IPv6 traffic class.")
    var tos: UInt8 = 0

    @Option(help: "Number of probes (each from its own source port).")
    var count: Int = 1

    @Option(help: "First source port (default random above the kernel's ephemeral range).")
    var sport: UInt16?

    @Flag(help: "Do not send the ICMP echo that gives the host's own TTL.")
    var noReference = false

    @OptionGroup var common: RunOptions

    func validate() throws {
        guard SYNVariant(rawValue: variant) != nil else {
            throw ValidationError("unknown variant '\(variant)'; use bare, mss, linux, windows or macos")
        }
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000") }
        guard ttl >= 1 else { throw ValidationError("--ttl must be at least 1") }
    }

    func shape(ipv6: Bool) throws -> TCPProbeShape {
        var shape = TCPProbeShape.variant(SYNVariant(rawValue: variant)!, ipv6: ipv6)
        do {
            if let options { shape.options = try OptionSyntax.options(options) }
            shape.flags = try OptionSyntax.flags(flags)
        } catch { throw UserError(error.description) }
        if let window { shape.window = window }
        if let payloadHex {
            do { shape.payload = try Hex.decode(payloadHex) } catch { throw UserError("--payload-hex: \(error.description)") }
        }
        shape.size = size
        shape.tos = tos
        return shape
    }

    func run() throws {
        try runReportingUserErrors { try probe(&$0) }
    }

    private func probe(_ out: inout StandardOutput) throws {
        let target = try ProbeTarget(host, options: common)
        let ipv6: Bool
        if case .v6 = target.address { ipv6 = true } else { ipv6 = false }
        let shape = try shape(ipv6: ipv6)
        let builder: ProbeBuilder
        do { builder = try ProbeBuilder(source: target.route.source, destination: target.address) } catch {
            throw UserError("\(error)")
        }
        let firstPort = sport ?? randomSourcePort()
        var probes: [Probing.Probe] = []
        do {
            for i in 0..<count {
                let label = "syn \(variant)\(size.map { " size \($0)" } ?? "") ttl \(ttl) #\(i)"
                probes.append(try builder.tcp(index: i, shape: shape, sourcePort: SourcePorts.port(firstPort, i),
                                              destinationPort: port, sequence: randomIdentifier(), ttl: ttl,
                                              ipID: randomIdentifier(), label: label))
            }
            if !noReference {
                probes.append(try builder.icmpEcho(index: count, identifier: randomIdentifier(), sequence: 1, payloadSize: 56,
                                                   ttl: 64, ipID: randomIdentifier(), label: "reference echo #\(count)"))
            }
        } catch { throw UserError("\(error)") }
        let configuration = common.configuration(source: target.route.source, interface: target.route.interface,
                                              destinations: [target.address])
        let expected = probes.count
        let result = try runProbes(probes, configuration, try common.evidenceFile()) { c in
            c.counts.answeredProbes >= expected
        }
        let reference = noReference ? [] : result.answers(for: count).filter { $0.kind == .echoReply }.map(\.fingerprint)
        for probe in probes.prefix(count) {
            let answers = result.answers(for: probe.index)
            let assessments = answers.map { InjectionCheck.assess($0, probe: probe, siblings: answers, reference: reference) }
            let first = answers.first
            let firstAssessment = assessments.first
            let packetLength = probe.bytes.count
            if common.json {
                let rtt: JSONValue = first?.rttMilliseconds.map { .double(($0 * 1000).rounded() / 1000) } ?? .null
                let reasons: [JSONValue] = (firstAssessment?.reasons ?? []).map { .string($0) }
                var answerList: [JSONValue] = []
                for (answer, assessment) in zip(answers, assessments) { answerList.append(answer.json(injection: assessment)) }
                var fields: [(key: String, value: JSONValue)] = []
                fields.append(("target", .string(target.address.description)))
                fields.append(("port", .number(port)))
                fields.append(("variant", .string(variant)))
                fields.append(("size", .number(packetLength)))
                fields.append(("probe", probeJSON(probe)))
                fields.append(("result", .string(resultWord(first))))
                fields.append(("injected", .bool(firstAssessment?.injected ?? false)))
                fields.append(("injection_reasons", .array(reasons)))
                fields.append(("response", first?.fingerprint.json ?? .null))
                fields.append(("rtt_ms", rtt))
                fields.append(("icmp", icmpDetail(first)))
                fields.append(("answers", .array(answerList)))
                fields.append(("reference", reference.first?.json ?? .null))
                out.json(.object(fields))
            } else {
                out.line("SYN \(variant) (\(packetLength) bytes) \(probe.source):\(probe.packet.transport.tcp?.sourcePort ?? 0) > \(target.address):\(port) ttl \(ttl)")
                if answers.isEmpty { out.line("  no answer within \(common.timeout) s (timeout)") }
                for (answer, assessment) in zip(answers, assessments) {
                    let verdict = assessment.injected ? "  INJECTED: " + assessment.reasons.joined(separator: "; ") : ""
                    out.line("  \(answer.kind.rawValue) from \(answer.fingerprint.source) in \(milliseconds(answer.rttMilliseconds)) ms: \(describe(answer.fingerprint))\(answer.duplicates > 0 ? " (+\(answer.duplicates) duplicates)" : "")\(verdict)")
                }
            }
        }
        if !common.json, let ref = reference.first {
            out.line("reference: echo reply from \(ref.source): \(describe(ref))")
        }
    }

    private func probeJSON(_ probe: Probing.Probe) -> JSONValue {
        let tcp = probe.packet.transport.tcp
        return [
            "src": .string(probe.source.description),
            "sport": .optional(tcp?.sourcePort),
            "seq": .optional(tcp?.sequenceNumber),
            "ttl": .number(probe.ttl),
            "flags": .optional(tcp?.flags.letters),
            "window": .optional(tcp?.window),
            "options": .array((tcp?.options ?? []).map { .string($0.name) }),
            "payload_len": .optional(tcp?.payload.count),
            "length": .number(probe.bytes.count),
        ]
    }
}
