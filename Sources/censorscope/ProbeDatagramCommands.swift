import ArgumentParser
import Measurement
import Packets
import SystemSupport
import TextViews

// `probe icmp|udp` and the datagram kinds (`ProbeKindCommand`): the same run and the same report shape.

/// Runs a datagram job and prints one result per probe.
func report(_ job: DatagramProbeJob, _ options: RunOptions, into out: inout StandardOutput) throws -> Finding {
    let results = try job.run()
    for result in results {
        if options.json { out.json(result.record.json) } else { out.lines(ProbeText.lines(result, job: job, timeout: options.timeout)) }
    }
    return Finding(probes: results.map(\.record))
}

struct ProbeICMP: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "icmp", abstract: "Send ICMP (v6) echo requests of any size.",
                                                    discussion: "Example: censorscope probe icmp example.org --size 1400 --count 3")

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
        try runReportingFinding { out in
            return try report(.icmp(try common.run(to: host), size: size, ttl: ttl, count: count), common, into: &out)
        }
    }
}

struct ProbeUDP: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "udp", abstract: "Send a UDP datagram to a port.",
                                                    discussion: "Example: censorscope probe udp example.org --port 53 --payload-hex 00")

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
        try runReportingFinding { out in
            let job = DatagramProbeJob.udp(try common.run(to: host), port: port, payload: bytes, ttl: ttl, count: count, sourcePort: sport)
            return try report(job, common, into: &out)
        }
    }
}
