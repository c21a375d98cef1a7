import ArgumentParser
import JSONSupport
import Packets
import ProbeSession
import Probing

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

    @Argument(help: "The server's IP address.")
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

    @Option(name: .long, help: "Seconds to watch each connection after its payload (default 1.5; 0.5 s after the first answer suffices).")
    var wait: Double = 1.5

    @Option(name: .long, help: "Write every captured packet to this pcapng file.")
    var pcap: String?

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .customLong("allow-reserved"), help: "Allow special-purpose destinations (private, lab, documentation ranges).")
    var allowReserved = false

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
        if !(wait > 0 && wait <= 60) { throw ValidationError("--wait must be more than 0 and at most 60 seconds") }
        for (flag, name) in [("--sni", sni), ("--control-sni", controlSNI)] {
            if let name, TLSClientHello(serverName: name) == nil {
                throw ValidationError("\(flag) must be 1 to \(TLSClientHello.maximumServerNameLength) bytes long")
            }
        }
    }

    func run() throws {
        try runReportingUserErrors { try trace(&$0) }
    }

    private func trace(_ out: inout StandardOutput) throws {
        guard let address = IPAddress(target) else {
            throw UserError("\(target) is not an IP address: give the server's IPv4 or IPv6 address")
        }
        if let refusal = SpecialPurposeRanges.refusal(for: address, allowReserved: reservedRangesAllowed(flag: allowReserved)) {
            throw UserError(refusal)
        }
        let test = try testPayload()
        let control = controlPayload(for: test)
        let ttls = ttl.map { $0...$0 } ?? (firstTTL ?? 1)...(maxTTL ?? 30)
        var config = PayloadTrace.Configuration(target: address, port: UInt16(resolvedPort), test: test,
                                                control: control, ttls: ttls)
        config.wait = .milliseconds(Int64(wait * 1000))
        config.settle = min(config.settle, config.wait)
        config.pcapPath = pcap

        if !json {
            out.line("payload trace to \(address) port \(resolvedPort): test \(Self.describe(test)), control \(Self.describe(control))")
            out.flush()
        }
        let steps: [PayloadTrace.Step]
        do {
            steps = try PayloadTrace.run(config) { step in
                guard !json else { return }
                out.line(Self.line(step))
                out.flush()
            }
        } catch {
            throw UserError(error.description)
        }
        if json {
            out.json(Self.json(target: address, port: resolvedPort, test: test, control: control, steps: steps))
        } else if let last = steps.last, PayloadTrace.reachedEnd(last, target: address), last.ttl < ttls.upperBound {
            out.line(last.control.outcome == .notConnected
                ? "stopped at TTL \(last.ttl): neither connection could be made (the handshake does not depend on the TTL)"
                : "stopped at TTL \(last.ttl): the control reached the server and the test got its answer")
        }
    }

    private var resolvedPort: Int { port ?? (sni != nil ? 443 : 80) }

    private func testPayload() throws -> PayloadTrace.Payload {
        if let host { return .http(host: host) }
        if let sni { return .tls(sni: sni) }
        do { return .raw(try Hex.decode(raw ?? "")) } catch {
            throw UserError("--raw is not valid hex: \(error.description)")
        }
    }

    /// The control names example.com in the test's form unless told otherwise; raw bytes
    /// get a ClientHello on 443 and an HTTP request elsewhere.
    private func controlPayload(for test: PayloadTrace.Payload) -> PayloadTrace.Payload {
        if let controlHost { return .http(host: controlHost) }
        if let controlSNI { return .tls(sni: controlSNI) }
        switch test {
        case .http: return .http(host: "example.com")
        case .tls: return .tls(sni: "example.com")
        case .raw: return resolvedPort == 443 ? .tls(sni: "example.com") : .http(host: "example.com")
        }
    }

    static func describe(_ p: PayloadTrace.Payload) -> String {
        switch p {
        case .http(let h): return "http host \(h)"
        case .tls(let s): return "tls sni \(s)"
        case .raw(let b): return "raw \(b.count) bytes"
        }
    }

    // MARK: - Output

    /// `  5  test: rst from 198.18.9.2 (ttl 58, ip id 1)   control: time-exceeded from 198.18.3.2`
    static func line(_ step: PayloadTrace.Step) -> String {
        let ttl = String(step.ttl)
        let test = "test: " + summary(step.test)
        return String(repeating: " ", count: max(0, 3 - ttl.count)) + ttl + "  "
            + test + String(repeating: " ", count: max(3, 48 - test.count)) + "control: " + summary(step.control)
    }

    static func summary(_ o: PayloadObservation) -> String {
        var s = o.outcome.rawValue
        if let from = o.from { s += " from \(from)" }
        if let f = o.fingerprint, f.flags != nil {
            s += " (ttl \(f.ttl)" + (f.ipID.map { ", ip id \($0)" } ?? "") + ")"
        }
        if let line = o.firstBytes, o.outcome == .data { s += " \"\(line)\"" }
        if o.outcome != .timeExceeded, let te = o.timeExceededFrom { s += " + time-exceeded from \(te)" }
        if o.outcome == .notConnected, let why = o.socketError { s += ": \(why)" }
        return s
    }

    static func json(target: IPAddress, port: Int, test: PayloadTrace.Payload, control: PayloadTrace.Payload,
                     steps: [PayloadTrace.Step]) -> JSONValue {
        .object([
            ("target", .string(target.description)),
            ("port", .number(port)),
            ("payload", payload(test)),
            ("control", payload(control)),
            ("ttls", .array(steps.map { step in
                .object([("ttl", .number(step.ttl)), ("test", observation(step.test)), ("control", observation(step.control))])
            })),
        ])
    }

    static func payload(_ p: PayloadTrace.Payload) -> JSONValue {
        switch p {
        case .http(let h): return .object([("kind", "http"), ("host", .string(h))])
        case .tls(let s): return .object([("kind", "tls"), ("sni", .string(s))])
        case .raw(let b): return .object([("kind", "raw"), ("hex", .string(Hex.encode(b)))])
        }
    }

    static func observation(_ o: PayloadObservation) -> JSONValue {
        .object([
            ("outcome", .string(o.outcome.rawValue)),
            ("from", .optional(o.from?.description)),
            ("rtt_ms", o.rttMilliseconds.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
            ("fingerprint", o.fingerprint.map(fingerprint) ?? .null),
            ("quote_diff", .array(o.quoteDifferences.map {
                .object([("field", .string($0.field)), ("sent", .string($0.sent)), ("quoted", .string($0.quoted))])
            })),
            ("first_line", .optional(o.firstBytes)),
            ("response_bytes", .number(o.responseBytes)),
            ("in_window", .optional(o.inWindow)),
            ("time_exceeded_from", .optional(o.timeExceededFrom?.description)),
            ("socket_error", .optional(o.socketError)),
        ])
    }

    static func fingerprint(_ f: Fingerprint) -> JSONValue {
        .object([
            ("ttl", .number(f.ttl)),
            ("ip_id", .optional(f.ipID)),
            ("df", .bool(f.dontFragment)),
            ("tos", .number(f.tos)),
            ("length", .number(f.length)),
            ("window", .optional(f.window)),
            ("flags", .optional(f.flags?.letters)),
            ("seq", .optional(f.sequenceNumber)),
            ("ack", .optional(f.acknowledgmentNumber)),
            ("icmp_type", .optional(f.icmpType)),
            ("icmp_code", .optional(f.icmpCode)),
        ])
    }
}
