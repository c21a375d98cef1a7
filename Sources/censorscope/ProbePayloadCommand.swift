import ArgumentParser
import Measurement
import Probing
import SystemSupport
import TextViews

struct ProbePayloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payload",
        abstract: "Find the hop where a keyword/SNI censor sits: a real handshake, then the payload with TTL t.",
        discussion: """
            For each TTL a connection is made at full TTL and one payload is sent with that \
            TTL: an HTTP request (--host), a TLS ClientHello (--sni) or raw bytes (--raw). \
            Routers before the TTL runs out answer time exceeded; a censor within reach \
            answers with a RST or a blockpage. A control payload (default: the same kind, \
            naming example.com) alternates with the test one on the same path. The trace \
            stops after the TTL at which the control reached the server and the test got \
            its own answer. Needs root (libpcap).
            Example: censorscope probe payload 198.18.9.2 --port 443 --sni blocked.example
            """
    )

    @Argument(help: "The server's address or name.")
    var target: String

    @Option(name: .long, help: "TCP port (default 80 with --host, 443 with --sni).")
    var port: Int?

    @Option(name: .long, help: "Send an HTTP GET with this Host.")
    var host: String?

    @Option(name: .long, help: "Send a TLS ClientHello with this SNI.")
    var sni: String?

    @Option(name: .long, help: "Send these bytes (hex).")
    var raw: String?

    @Option(name: .customLong("control-host"), help: "Control: an HTTP GET with this Host.")
    var controlHost: String?

    @Option(name: .customLong("control-sni"), help: "Control: a TLS ClientHello with this SNI.")
    var controlSNI: String?

    @Option(name: .long, help: "Probe this TTL only.")
    var ttl: Int?

    @Option(name: .customLong("first-ttl"), help: "First TTL (default 1).")
    var firstTTL: Int?

    @Option(name: .customLong("max-ttl"), help: "Last TTL (default 30).")
    var maxTTL: Int?

    @Option(name: .long, help: .hidden)
    var wait: Double?

    @OptionGroup(title: "Run options (--rate: connections per second; --timeout: seconds to watch each connection after its payload, default 1.5)")
    var common: RunOptions

    var json: Bool { common.json }

    func validate() throws {
        if [host, sni, raw].compactMap({ $0 }).count != 1 {
            throw ValidationError("give exactly one payload: --host NAME, --sni NAME or --raw HEX")
        }
        if controlHost != nil, controlSNI != nil { throw ValidationError("give at most one of --control-host and --control-sni") }
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535") }
        if raw != nil, port == nil { throw ValidationError("--raw needs --port") }
        if ttl != nil, firstTTL != nil || maxTTL != nil { throw ValidationError("give either --ttl or --first-ttl/--max-ttl") }
        for (name, value) in [("--ttl", ttl), ("--first-ttl", firstTTL), ("--max-ttl", maxTTL)] {
            if let value, !(1...255).contains(value) { throw ValidationError("\(name) must be between 1 and 255") }
        }
        if (firstTTL ?? 1) > (maxTTL ?? 30) { throw ValidationError("--first-ttl must not be above --max-ttl") }
        if wait != nil, common.timeoutOption != nil { throw ValidationError("--wait is the old name of --timeout: give one of them") }
        if !(watch > 0 && watch <= 60) { throw ValidationError("--timeout must be more than 0 and at most 60 seconds") }
        for (flag, name) in [("--sni", sni), ("--control-sni", controlSNI)] {
            if let name, TLSClientHello(serverName: name) == nil {
                throw ValidationError("\(flag) must be 1 to \(TLSClientHello.maximumServerNameLength) bytes long")
            }
        }
    }

    /// Seconds each connection is watched after its payload: --timeout (or its old name --wait).
    var watch: Double { common.timeoutOption ?? wait ?? 1.5 }

    func run() throws {
        try runReportingUserErrors { out in
            if let pcap = common.pcap { try FileBytes.checkWritable(pcap, what: "the evidence file") }
            let job = try PayloadProbeJob(target: target, allowReserved: ReservedRanges.allowed(flag: common.allowReserved), port: port,
                                          host: host, sni: sni, raw: raw, controlHost: controlHost, controlSNI: controlSNI,
                                          ttls: ttl.map { $0...$0 } ?? (firstTTL ?? 1)...(maxTTL ?? 30), wait: watch, pcap: common.pcap,
                                          rate: common.rateOption.flatMap { $0 > 0 ? $0 : nil }, interface: common.interface)
            if !json {
                out.line(PayloadText.header(job))
                out.flush()
            }
            let steps = try job.run { step in
                guard !json else { return }
                out.line(PayloadText.line(step))
                out.flush()
            }
            if json { out.json(job.record(steps).json) } else if let line = PayloadText.stopped(job.stoppedEarly(steps)) { out.line(line) }
        }
    }
}
