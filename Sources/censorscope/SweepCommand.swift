import ArgumentParser
import Campaigns
import Lab
import Measurement
import Packets
import Probing
import Records
import SystemSupport
import Sweeping
#if canImport(Glibc)
import Glibc
#endif

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Send one SYN, echo request or datagram (per variant) to many targets and report each target's answer and fingerprint.",
        discussion: """
            The reachability census: every target gets the same probe (a TCP SYN, an ICMP echo \
            request with --protocol icmp, a UDP datagram with --protocol udp), sent in a random \
            order by one thread while another reads the capture; answers are validated by a \
            keyed hash carried in the sequence number and source port (the echo's identifier \
            and sequence; UDP's source port and the DNS ID, STUN transaction or QUIC connection ID), so nothing is kept per probe but its 32-byte result. Targets are addresses, CIDR prefixes, host names, files of \
            them (the campaign syntax) or - for standard input. IPv4 and IPv6 targets are swept \
            one family after the other. Paced at 1000 probes/s unless --rate says otherwise. \
            A summary goes to standard error. Exit status 0 when some target answered, 3 when \
            none did. Docs/sweep.md explains the output.
            Example: censorscope sweep 198.18.0.0/24 --port 443 --variant mss --variant linux --json; \
            censorscope sweep 198.18.0.0/24 --protocol icmp; censorscope sweep 198.18.0.0/24 --protocol udp --port 53
            """
    )

    @Argument(help: "Targets: ADDRESS, CIDR, NAME, a file of them, or - for standard input.")
    var targets: [String]

    @Option(name: .customLong("protocol"), help: "What to send: tcp (a SYN), icmp (an echo request) or udp (a datagram).")
    var sweepProtocol: String = "tcp"

    @Option(help: "Destination port (TCP default 80, UDP default 53; none for ICMP).")
    var port: UInt16?

    @Option(help: """
        Probe to send to every target (repeatable). TCP: the SYN shape bare, mss, linux, windows or macos (default mss). \
        ICMP: echo. UDP: the payload empty, dns (a query for the root's NS), stun (a binding request) or quic \
        (an Initial offering a reserved version); default dns on port 53, stun on 3478 and 19302, quic on 443, else empty.
        """)
    var variant: [String] = []

    @Option(help: ArgumentHelp("UDP: send these bytes, in hexadecimal, instead of a named payload (replies are matched by port alone).",
                               valueName: "HEX"))
    var payload: String?

    @Option(help: "Send each variant this many times to every target (each from its own source port).")
    var `repeat`: Int = 1

    @Option(help: "Probes per second, or max for as fast as the socket takes them.")
    var rate: String = "1000"

    @Option(help: "Seconds to listen after the last probe.")
    var timeout: Double = 2

    @Option(help: "How probes leave: auto, raw (raw IP sockets, sendmmsg) or packet (AF_PACKET, qdisc bypassed).")
    var sender: String = "auto"

    @Option(help: "Write every captured answer to this pcap file, and what judging it again needs (the key, our address, the probes) to FILE.sweep.json.")
    var pcap: String?

    @Option(help: ArgumentHelp("Send nothing: judge again the answers a `sweep --pcap FILE` captured, with its FILE.sweep.json (same targets).",
                               valueName: "FILE"))
    var replay: String?

    @Option(help: "Capture (and send) on this interface instead of the route's.")
    var interface: String?

    @Option(help: "The most addresses the targets may expand to.")
    var maxTargets: Int = 16_777_216

    @Option(help: "Seed of the probe order (default random).")
    var seed: UInt64?

    @Flag(help: "Print only targets that answered.")
    var answeredOnly = false

    @Flag(help: "Allow special-purpose destinations (private, documentation, benchmarking ranges…). Implied inside `lab exec`.")
    var allowReserved = false

    @Flag(help: "Print one JSON object per target (censorscope.sweep-target/1).")
    var json = false

    @Flag(name: .shortAndLong, help: "Print no progress and no summary on standard error.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print progress twice a second even when standard error is not a terminal.")
    var verbose = false

    var kind: SweepProtocol { SweepProtocol(rawValue: sweepProtocol) ?? .tcp }
    /// The port probed: 0 for ICMP.
    var destinationPort: UInt16 { kind == .icmp ? 0 : port ?? (kind == .udp ? 53 : 80) }
    var variantNames: [String] {
        if payload != nil { return [SweepProbe.Variant.ownPayloadName] }
        return variant.isEmpty ? [SweepProbe.Variant.defaultName(kind, port: destinationPort)] : variant
    }
    /// The bytes of `--payload`; nil without it (validated in `validate`).
    var payloadBytes: [UInt8]? { payload.flatMap(SweepProbe.Variant.bytes(hex:)) }

    func validate() throws {
        guard let kind = SweepProtocol(rawValue: sweepProtocol) else { throw ValidationError("--protocol is tcp, icmp or udp") }
        let names = SweepProbe.Variant.names(kind)
        for v in variant where !names.contains(v) {
            throw ValidationError("unknown \(kind.rawValue) variant '\(v)'; use \(names.joined(separator: ", "))")
        }
        if kind == .icmp, port != nil { throw ValidationError("an ICMP sweep has no port: leave --port out") }
        if port == 0 { throw ValidationError("--port must be between 1 and 65535") }
        if let payload {
            guard kind == .udp else { throw ValidationError("--payload is for UDP sweeps: add --protocol udp") }
            guard variant.isEmpty else { throw ValidationError("--payload replaces --variant: give one of them") }
            guard let bytes = SweepProbe.Variant.bytes(hex: payload), bytes.count <= SweepProbe.Variant.maximumPayload else {
                throw ValidationError("--payload must be hexadecimal digits, two per byte, at most \(SweepProbe.Variant.maximumPayload) bytes")
            }
        }
        guard (1...64).contains(`repeat`) else { throw ValidationError("--repeat must be between 1 and 64") }
        guard variant.count * `repeat` <= 64 else { throw ValidationError("at most 64 probes per target (variants × --repeat)") }
        guard rate == "max" || (Double(rate).map { $0 > 0 && $0 <= 10_000_000 } ?? false) else {
            throw ValidationError("--rate is a number of probes per second (at most 10000000) or max")
        }
        guard timeout >= 0, timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds") }
        guard ["auto", "raw", "packet"].contains(sender) else { throw ValidationError("--sender is auto, raw or packet") }
        guard maxTargets >= 1 else { throw ValidationError("--max-targets must be at least 1") }
        if replay != nil, pcap != nil { throw ValidationError("--replay reads a capture; --pcap writes one: give one of them") }
    }

    func run() throws {
        try runReportingFinding { out in
            let space = try readTargets()
            let key = SipHashKey.random()
            var anyAnswer = false
            LabInterrupts.catchSignals()
            defer { LabInterrupts.release() }
            let both = space.hasIPv4 && space.hasIPv6
            for ipv4 in [true, false] {
                let family = space.family(ipv4: ipv4)
                guard family.count > 0 else { continue }
                // With both families the IPv6 capture goes to FILE.v6: one link type per pcap.
                let file = (replay ?? pcap).map { both && !ipv4 ? $0 + ".v6" : $0 }
                let outcome: SweepOutcome
                if let file, replay != nil {
                    outcome = try replayed(family, capture: file)
                } else {
                    outcome = try sweep(family, key: key, pcap: file)
                    if let file {
                        var run = SweepRunFile(key: key, source: outcome.probe.source, protocol: kind, port: destinationPort, variants: variantNames,
                                               repeats: `repeat`, targets: family.count)
                        run.payload = payloadBytes
                        do throws(FileBytes.Failure) {
                            try FileBytes.write(SweepRunFile.path(forCapture: file), Array((run.json.serialized() + "\n").utf8))
                        } catch {
                            throw UserError(error.description)
                        }
                    }
                }
                for t in 0..<family.count {
                    let record = outcome.record(target: t)
                    if record.answer != "none" { anyAnswer = true } else if answeredOnly { continue }
                    if json { out.json(record.json) } else { out.line(Self.text(record)) }
                }
                out.flush()
                if !quiet { printToStandardError(Self.summary(outcome)) }
                let (errorAnswered, silent) = outcome.silenceNextToICMPErrors()
                // A Linux sender's burst is six errors per peer: fewer cannot have been limited.
                if errorAnswered > 0, silent > 0, errorAnswered + silent > 6 {
                    printWarning("ICMP errors answered \(errorAnswered) targets and \(silent) got no answer at all; routers and hosts rate-limit ICMP errors, so a silence may be a lost error rather than a drop: sweep the silent ones again at a lower --rate")
                }
                if outcome.statistics.interrupted {
                    printToStandardError("interrupted: stopped after \(outcome.statistics.sent) probes; the targets above were measured")
                    throw ExitCode(130)
                }
            }
            return anyAnswer ? .measured : .inconclusive
        }
    }

    /// The answers in `capture` judged again with its run file (`SweepRunFile`).
    func replayed(_ space: TargetSpace, capture: String) throws -> SweepOutcome {
        let runPath = SweepRunFile.path(forCapture: capture)
        do {
            let bytes: [UInt8]
            do { bytes = try FileBytes.read(runPath) } catch { throw UserError("\(error); `sweep --pcap \(capture)` writes it beside the capture") }
            let run = try SweepRunFile.read(bytes, path: runPath)
            let runIsIPv4: Bool
            if case .v4 = run.source { runIsIPv4 = true } else { runIsIPv4 = false }
            guard runIsIPv4 == space.hasIPv4 else {
                throw UserError("\(capture) holds a sweep from \(run.source), not of these targets' address family")
            }
            guard run.targets == space.count else {
                throw UserError("\(capture) is a sweep of \(run.targets) targets, not of these \(space.count): give the targets it swept")
            }
            if run.sweepProtocol != kind {
                throw UserError("\(capture) is a sweep of \(run.sweepProtocol.rawValue); give --protocol \(run.sweepProtocol.rawValue)")
            }
            if !variant.isEmpty, variant != run.variants {
                throw UserError("\(capture) is a sweep of the variants \(run.variants.joined(separator: ", ")); leave --variant out or give those")
            }
            var variants: [SweepProbe.Variant] = []
            if let own = run.payload {
                variants.append(.init(name: SweepProbe.Variant.ownPayloadName, shape: .datagram(own)))
            }
            for name in run.variants where run.payload == nil {
                guard let v = SweepProbe.Variant.named(name, protocol: run.sweepProtocol, ipv6: !runIsIPv4) else {
                    throw UserError("\(runPath) names '\(name)', which is not a \(run.sweepProtocol.rawValue) probe")
                }
                variants.append(v)
            }
            let probe = try SweepProbe(source: run.source, port: run.port, variants: variants, repeats: run.repeats, key: run.key)
            let outcome = try SweepReplay.run(space, probe: probe, path: capture)
            if let damage = outcome.statistics.replayError { printWarning("\(damage); the answers before it were judged") }
            return outcome
        } catch let e as SweepError {
            throw UserError(e.description)
        } catch let e as ProbeBuildError {
            throw UserError("cannot build the probe: \(e)")
        }
    }

    func readTargets() throws -> TargetSpace {
        var lines: [String] = []
        for argument in targets {
            var info = stat()
            let isFile = IPPrefix(argument) == nil && stat(argument, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
            if argument == "-" || isFile {
                let bytes = try FileBytes.read(argument)
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw UserError("\(argument) is not UTF-8 text; a target list is plain text, one target per line")
                }
                lines.append(text)
            } else {
                lines.append(argument)
            }
        }
        let text = lines.joined(separator: "\n")
        let source = targets.count == 1 ? targets[0] : "the targets"
        let parsed = Result { () throws(CampaignError) -> TargetSpace in
            try TargetSpace.parse(text, source: source, maxAddresses: maxTargets) { name in try NameResolution.system(name) }
        }
        let space: TargetSpace
        switch parsed {
        case .success(let s): space = s
        case .failure(let e): throw UserError(e.description)
        }
        // 32 bytes of result per probe, allocated up front: refuse what would not fit, before
        // anything is sent.
        let perTarget = variantNames.count * `repeat`
        guard space.count * perTarget <= Self.maximumProbes else {
            throw UserError("\(space.count) targets × \(perTarget) probes is \(space.count * perTarget) probes, more than the \(Self.maximumProbes) one sweep holds (32 bytes each); split the targets")
        }
        if replay == nil, !ReservedRanges.allowed(flag: allowReserved) {
            for entry in SpecialPurposeRanges.entries where space.overlaps(entry.prefix) {
                throw UserError("the targets include \(entry.prefix) (\(entry.name)), a special-purpose range: sweeping it needs --allow-reserved")
            }
        }
        return space
    }

    func sweep(_ space: TargetSpace, key: SipHashKey, pcap: String?) throws -> SweepOutcome {
        do {
            let route = try SweepRoute.find(for: space, interface: interface)
            let ipv6 = !(space.hasIPv4)
            let variants = payloadBytes.map { [SweepProbe.Variant(name: SweepProbe.Variant.ownPayloadName, shape: .datagram($0))] }
                ?? variantNames.compactMap { SweepProbe.Variant.named($0, protocol: kind, ipv6: ipv6) }
            let probe = try SweepProbe(source: route.source, port: destinationPort, variants: variants, repeats: `repeat`, key: key)
            var c = SweepConfiguration(interface: route.interface)
            c.rate = rate == "max" ? nil : Double(rate)
            c.cooldown = .milliseconds(Int64(timeout * 1000))
            c.pcapPath = pcap
            c.seed = seed ?? UInt64.random(in: 0 ... .max)
            c.bindToInterface = route.interface != "any"
            c.shouldStop = { LabInterrupts.pending != 0 }
            let progress = ProgressLine(subject: "sweep of \(space.count) targets", quiet: quiet, verbose: verbose)
            c.progress = { p in progress.update(EngineProgress(phase: "\(p.answered) probes answered", probesSent: p.sent)) }
            progress.start()
            defer { progress.finish() }
            switch sender {
            case "packet":
                guard let header = route.linkHeader else {
                    throw UserError("the packet sender cannot be used: \(route.packetUnavailable ?? "no link header"); use --sender raw")
                }
                c.sender = .packet
                c.linkHeader = header
            case "auto" where route.linkHeader != nil:
                c.sender = .packet
                c.linkHeader = route.linkHeader
            default:
                c.sender = .raw
            }
            return try SweepRun.run(space, probe: probe, configuration: c)
        } catch let e as SweepError {
            throw UserError(e.description)
        } catch let e as ProbeBuildError {
            throw UserError("cannot build the probe: \(e)")
        }
    }

    /// 2^27 probes: 4 GiB of result slots.
    static let maximumProbes = 1 << 27

    static func text(_ r: SweepTargetRecord) -> String {
        var line = "\(r.target ?? "?")\(r.port.map { " port \($0)" } ?? ""): \(r.answer ?? "none")"
        if let rtt = r.rttMilliseconds { line += String(format: " %.3f ms", rtt) }
        if let from = r.from, from != r.target { line += " from \(from)" }
        if let f = r.probes.first(where: { $0.fingerprint != nil })?.fingerprint {
            if let ttl = f.ttl { line += " ttl \(ttl)" }
            if let flags = f.flags { line += " \(flags) win \(f.window ?? 0)" }
            if let options = f.options, !options.isEmpty { line += " [\(options.joined(separator: ","))]" }
        }
        return line
    }

    static func summary(_ o: SweepOutcome) -> String {
        let s = o.statistics
        if s.replayed {
            let answered = s.probes > 0 ? 100 * Double(s.matched) / Double(s.probes) : 0
            let counts = o.answerCounts().map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            return String(format: "sweep replayed: %d targets, %d probes; %d packets read, %d probes answered (%.2f %%); targets: %@; duplicates %d, unmatched %d",
                          o.space.count, s.probes, s.captured, s.matched, answered, counts, s.duplicates, s.unmatched)
        }
        let rate = s.sendingSeconds > 0 ? Double(s.sent) / s.sendingSeconds : 0
        let answered = s.probes > 0 ? 100 * Double(s.matched) / Double(s.probes) : 0
        let counts = o.answerCounts().map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        var line = String(format: "sweep: %d targets, %d probes, sent %d by %@ in %.3f s (%.0f probes/s); %d probes answered (%.2f %%); targets: %@; ",
                          o.space.count, s.probes, s.sent, s.sender, s.sendingSeconds, rate, s.matched, answered, counts)
        line += String(format: "duplicates %d, unmatched %d, capture dropped %d, interface dropped %d, send errors %d, retries %d; %.3f s",
                       s.duplicates, s.unmatched, s.captureDropped, s.interfaceDropped, s.sendErrors, s.sendRetries, s.durationSeconds)
        if let e = s.firstSendError { line += "; first send error: \(e)" }
        return line
    }
}
