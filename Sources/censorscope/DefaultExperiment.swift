import Yams

/// The default experiment of `investigate`: Probes/experiments/investigate.yaml, embedded
/// so the binary runs anywhere (a test keeps the two equal).
enum DefaultExperiment {
    static let yaml = #"""
# The default experiment of `censorscope investigate HOST --port P [--host NAME | --sni NAME]`.
# The binary embeds this file (Sources/censorscope/DefaultExperiment.swift, kept equal by a
# test); `investigate --experiment FILE` runs a changed copy. Every phase is described in
# Docs/verdicts.md.
name: investigate
description: ICMP baseline, SYN shapes by size and options, traceroutes per shape, payload sweep
# Phase 1, all at once: echoes give the host's own TTL (the genuine reference).
reference_echoes: 2
# SYNs at full TTL, shaped like these stacks' connect() (Docs/probing.md has the bytes).
syn_variants: [bare, mss, linux, windows, macos]
# These variants are also padded (EOL bytes in the option space) to every larger variant
# size: a size trigger and an options trigger then block different trials.
pad_variants: [bare, mss]
# The natural variants also go to a second port (443, or 80 when the port is 443).
second_port: true
# Paris traceroutes, every TTL in flight: the control path.
control_traces: [icmp, tcp-mss]
max_ttl: 30
# Phase 2, when some shape is blocked: a TCP traceroute with the smallest blocked shape
# (and one with a passing shape if mss is blocked) finds the TTL where the device acts.
trigger_trace: true
# Phase 3, with --host or --sni: a handshake, then the request with TTL 1, 2, …, test and
# control alternating, until the control reaches the host.
payload_sweep:
  control: example.com
  pause_ms: 50
"""#
}

/// The experiment's settings, read from its YAML.
struct InvestigationExperiment: Sendable {
    var name = "investigate"
    var referenceEchoes = 2
    var synVariants: [String] = ["bare", "mss", "linux", "windows", "macos"]
    var padVariants: [String] = ["bare", "mss"]
    var secondPort = true
    var controlTraces: [String] = ["icmp", "tcp-mss"]
    var maxTTL = 30
    var triggerTrace = true
    var payloadControl = "example.com"
    var payloadPauseMilliseconds = 50

    private struct File: Decodable {
        struct Sweep: Decodable {
            var control: String?
            var pause_ms: Int?
        }
        var name: String
        var description: String?
        var reference_echoes: Int?
        var syn_variants: [String]?
        var pad_variants: [String]?
        var second_port: Bool?
        var control_traces: [String]?
        var max_ttl: Int?
        var trigger_trace: Bool?
        var payload_sweep: Sweep?
    }

    /// Parses and checks an experiment; errors are one sentence naming `source`.
    init(yaml: String, source: String) throws {
        let file: File
        do { file = try YAMLDecoder().decode(File.self, from: yaml) } catch {
            throw UserError("\(source) is not a valid experiment: \(Self.describe(error))")
        }
        name = file.name
        referenceEchoes = file.reference_echoes ?? referenceEchoes
        synVariants = file.syn_variants ?? synVariants
        padVariants = file.pad_variants ?? padVariants
        secondPort = file.second_port ?? secondPort
        controlTraces = file.control_traces ?? controlTraces
        maxTTL = file.max_ttl ?? maxTTL
        triggerTrace = file.trigger_trace ?? triggerTrace
        payloadControl = file.payload_sweep?.control ?? payloadControl
        payloadPauseMilliseconds = file.payload_sweep?.pause_ms ?? payloadPauseMilliseconds
        let known = ["bare", "mss", "linux", "windows", "macos"]
        for v in synVariants + padVariants where !known.contains(v) {
            throw UserError("\(source): unknown SYN variant '\(v)'; use bare, mss, linux, windows or macos")
        }
        if synVariants.isEmpty { throw UserError("\(source): syn_variants must name at least one variant") }
        for t in controlTraces where !["icmp", "tcp-mss"].contains(t) {
            throw UserError("\(source): unknown control trace '\(t)'; use icmp or tcp-mss")
        }
        guard (0...10).contains(referenceEchoes) else { throw UserError("\(source): reference_echoes must be 0 to 10") }
        guard (2...64).contains(maxTTL) else { throw UserError("\(source): max_ttl must be 2 to 64") }
        guard (0...5000).contains(payloadPauseMilliseconds) else { throw UserError("\(source): payload_sweep.pause_ms must be 0 to 5000") }
    }

    static let standard: InvestigationExperiment = {
        // The embedded text is checked by a test; fall back to the same values if it ever failed.
        (try? InvestigationExperiment(yaml: DefaultExperiment.yaml, source: "the embedded experiment")) ?? InvestigationExperiment()
    }()

    private init() {}

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.keyNotFound(let k, _):
            return "missing key \(k.stringValue)"
        case DecodingError.dataCorrupted(let c):
            return c.debugDescription
        default:
            return "\(error)"
        }
    }
}
