import Measurement
import ArgumentParser
import JSONSupport
import Packets
import ProbeSession
import Probing

// `probe icmp|udp` and the datagram kinds (`ProbeKindCommand`): the same run and the same report shape.

/// Runs `count` probes built by `build` and prints one result per probe; `details` adds the
/// kind's own fields from each probe and its first answer.
func runAndReport(host: String, options common: RunOptions, count: Int, kind: String, port: UInt16?,
                  details: (Probing.Probe, Answer?) -> [(key: String, value: JSONValue)] = { _, _ in [] },
                  humanDetail: (Answer) -> String? = { _ in nil },
                  build: (ProbeBuilder, Int) throws -> Probing.Probe) throws {
    try runReportingUserErrors { out in
        let target = try ProbeTarget(host, options: common)
        let builder: ProbeBuilder
        do { builder = try ProbeBuilder(source: target.route.source, destination: target.address) } catch {
            throw UserError("\(error)")
        }
        var probes: [Probing.Probe] = []
        do { for i in 0..<count { probes.append(try build(builder, i)) } } catch let e as UserError { throw e } catch {
            throw UserError("\(error)")
        }
        let configuration = common.configuration(source: target.route.source, interface: target.route.interface,
                                              destinations: [target.address])
        let result = try runProbes(probes, configuration, try common.evidenceFile()) { c in c.counts.answeredProbes >= count }
        for probe in probes {
            let answers = result.answers(for: probe.index)
            let first = answers.first
            if common.json {
                var fields: [(key: String, value: JSONValue)] = [
                    ("target", .string(target.address.description)),
                    ("kind", .string(kind)),
                ]
                if let port { fields.append(("port", .number(port))) }
                fields += [
                    ("probe", .object([("index", .number(probe.index)), ("ttl", .number(probe.ttl)),
                                       ("length", .number(probe.bytes.count)), ("label", .string(probe.label))])),
                    ("result", .string(resultWord(first))),
                    ("response", first.map { $0.fingerprint.json } ?? .null),
                    ("rtt_ms", first?.rttMilliseconds.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
                    ("icmp", icmpDetail(first)),
                ]
                fields += details(probe, first)
                fields.append(("answers", .array(answers.map { $0.json() })))
                out.json(.object(fields))
            } else {
                out.line("\(probe.label): \(probe.bytes.count) bytes to \(target.address)\(port.map { ":\($0)" } ?? "")")
                if answers.isEmpty { out.line("  no answer within \(common.timeout) s (timeout)") }
                for answer in answers {
                    let extra = humanDetail(answer).map { "; " + $0 } ?? ""
                    out.line("  \(answer.kind.rawValue) from \(answer.fingerprint.source) in \(milliseconds(answer.rttMilliseconds)) ms: \(describe(answer.fingerprint))\(answer.duplicates > 0 ? " (+\(answer.duplicates) duplicates)" : "")\(extra)")
                }
            }
        }
    }
}

/// The UDP payload of an answer, if it is a datagram.
private func udpPayload(_ answer: Answer?) -> [UInt8]? {
    answer?.packet.transport.udp.map { Array($0.payload) }
}

struct ProbeICMP: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "icmp", abstract: "Send ICMP (v6) echo requests of any size.")

    @Argument(help: "The target address or name.") var host: String
    @Option(help: "Echo payload bytes (ping's -s).") var size: Int = 56
    @Option(help: "IP TTL / hop limit.") var ttl: UInt8 = 64
    @Option(help: "Number of echo requests.") var count: Int = 1
    @OptionGroup var common: RunOptions

    func validate() throws {
        guard (0...65_000).contains(size) else { throw ValidationError("--size must be between 0 and 65000 bytes") }
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000") }
        guard ttl >= 1 else { throw ValidationError("--ttl must be at least 1") }
    }

    func run() throws {
        let identifier: UInt16 = randomIdentifier()
        try runAndReport(host: host, options: common, count: count, kind: "icmp", port: nil) { builder, i in
            try builder.icmpEcho(index: i, identifier: identifier, sequence: UInt16(truncatingIfNeeded: i + 1), payloadSize: size,
                                 ttl: ttl, ipID: randomIdentifier(), label: "icmp echo ttl \(ttl) #\(i)")
        }
    }
}

struct ProbeUDP: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "udp", abstract: "Send a UDP datagram to a port.")

    @Argument(help: "The target address or name.") var host: String
    @Option(help: "Destination port.") var port: UInt16
    @Option(help: "Payload as hex (default empty).") var payloadHex: String?
    @Option(help: "Payload as text.") var payload: String?
    @Option(help: "IP TTL / hop limit.") var ttl: UInt8 = 64
    @Option(help: "Number of datagrams (each from its own source port).") var count: Int = 1
    @Option(help: "First source port (default random).") var sport: UInt16?
    @OptionGroup var common: RunOptions

    func validate() throws {
        guard payloadHex == nil || payload == nil else { throw ValidationError("give --payload-hex or --payload, not both") }
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000") }
        guard ttl >= 1 else { throw ValidationError("--ttl must be at least 1") }
    }

    func run() throws {
        var bytes = Array((payload ?? "").utf8)
        if let payloadHex {
            do { bytes = try Hex.decode(payloadHex) } catch { throw ValidationError("--payload-hex: \(error.description)") }
        }
        let first = sport ?? randomSourcePort()
        try runAndReport(host: host, options: common, count: count, kind: "udp", port: port,
                         details: { _, answer in [("response_payload", .optional(udpPayload(answer).map { Hex.encode($0) }))] }) { builder, i in
            try builder.udp(index: i, sourcePort: SourcePorts.port(first, i), destinationPort: port, payload: bytes,
                            ttl: ttl, ipID: randomIdentifier(), label: "udp port \(port) ttl \(ttl) #\(i)")
        }
    }
}
