import Packets
import Probing

/// Test sweep against control sweep: where each stops being answered by routers, what
/// answers it there, and whether the difference is a censor on the path, the endpoint,
/// or nothing.
public enum SweepAnalysis {
    /// The first TTL whose answer is neither time exceeded nor silence; where nothing ever
    /// answers so, the TTL after the last time exceeded, provided at least two probed TTLs
    /// beyond it stayed silent. Nil when the sweep never got that far (cut short) or
    /// nothing answered at all.
    public static func terminatingTTL(_ sweep: PayloadSweep) -> Int? {
        let ttls = sweep.ttls.filter { sweep.answer(at: $0) != nil }
        if let first = ttls.first(where: { sweep.answer(at: $0)?.outcome.isDeciding == true }) { return first }
        guard let lastExceeded = ttls.last(where: { sweep.answer(at: $0)?.outcome == .timeExceeded }) else { return nil }
        let silentAfter = ttls.filter { $0 > lastExceeded }
        return silentAfter.count >= 2 ? silentAfter.first : nil
    }

    /// The mechanism an answer shows: "rst", "fin" (a FIN, with or without a page),
    /// "blockpage", "ack", "unreachable", or "drop" for silence.
    public static func mechanism(_ o: PayloadObservation?) -> String {
        guard let o else { return "drop" }
        switch o.outcome {
        case .rst: return "rst"
        case .fin: return "fin"
        case .data: return o.fingerprint?.flags?.contains(.fin) == true ? "fin" : "blockpage"
        case .ack: return "ack"
        case .unreachable: return "unreachable"
        case .timeExceeded, .timeout, .notConnected: return "drop"
        }
    }

    /// Whether the test's injected answers carry a TTL copied from the probe: an injector
    /// that copies the probe's remaining TTL into its packet makes them arrive with no more
    /// TTL than the probe had, at a fixed distance below it (probe TTL minus twice the
    /// injector's distance), so they rise with the probe's TTL. A host's own stack starts
    /// from 64, 128 or 255 and arrives with more. Looks at answers from the terminating TTL on.
    public static func injectorCopiesTTL(_ test: PayloadSweep, from ttl: Int) -> Bool {
        var arrival: [Int: Int] = [:]
        for p in test.probes where p.ttl >= ttl && [.rst, .fin, .data].contains(p.observation.outcome) {
            guard let t = p.observation.fingerprint?.ttl else { continue }
            arrival[p.ttl] = min(arrival[p.ttl] ?? Int.max, Int(t))
        }
        let gaps = arrival.map { $0.key - $0.value }
        guard let low = gaps.min(), let high = gaps.max() else { return false }
        return low >= 0 && high - low <= 2
    }

    /// What kind of answer an observation is, for telling test and control apart: the
    /// outcome, and for data the HTTP status code or the TLS record's description.
    public static func answerKind(_ o: PayloadObservation) -> String {
        guard o.outcome == .data, let line = o.firstBytes else { return o.outcome.rawValue }
        if line.hasPrefix("HTTP/") {
            return "data HTTP " + (line.split(separator: " ").dropFirst().first.map(String.init) ?? "?")
        }
        return line.hasPrefix("TLS ") ? "data " + line : "data other"
    }

    /// Analyses a sweep without a control: where it ends and how; the outcome is inconclusive.
    public static func alone(_ sweep: PayloadSweep) -> SweepComparison {
        let end = terminatingTTL(sweep)
        var reasons = ["There is no control sweep to compare with, so no verdict on censorship is possible."]
        var mechanism: String?
        if let end {
            let a = sweep.answer(at: end)
            mechanism = a?.outcome.isDeciding == true ? Self.mechanism(a) : "drop"
            reasons.append(describe(sweep, "sweep", at: end))
        } else {
            reasons.append(cutShort(sweep, "sweep"))
        }
        return SweepComparison(outcome: .inconclusive, mechanism: mechanism,
                               terminatingTTL: .init(test: end, control: nil), confidence: .low, reasons: reasons)
    }

    // MARK: - Sentences

    static func describe(_ sweep: PayloadSweep, _ name: String, at ttl: Int) -> String {
        guard let a = sweep.answer(at: ttl) else { return "The \(name) sent nothing at TTL \(ttl)." }
        if !a.outcome.isDeciding {
            return "The \(name) goes silent from TTL \(ttl): no router or host answers its payload there or beyond."
        }
        var s = "The \(name) ends at TTL \(ttl) with \(answerPhrase(a))"
        if let from = a.from { s += " from \(from)" + (from == sweep.target ? " (the target's address)" : "") }
        if let arrival = a.fingerprint?.ttl { s += ", arriving with TTL \(arrival)" }
        return s + "."
    }

    static func answerPhrase(_ a: PayloadObservation) -> String {
        switch a.outcome {
        case .rst: return "a reset"
        case .fin: return "a FIN"
        case .data:
            let fin = a.fingerprint?.flags?.contains(.fin) == true ? " with FIN" : ""
            let line = a.firstBytes.map { " beginning \"\(String($0.prefix(60)))\"" } ?? ""
            return "\(a.responseBytes) bytes of data\(fin)\(line)"
        case .ack: return "a bare acknowledgement"
        case .unreachable: return "an ICMP destination unreachable"
        case .timeExceeded: return "time exceeded"
        case .timeout: return "silence"
        case .notConnected: return "no connection"
        }
    }

    static func cutShort(_ sweep: PayloadSweep, _ name: String) -> String {
        guard let last = sweep.ttls.last(where: { sweep.answer(at: $0) != nil }) else {
            return "The \(name) sent no payload at any TTL (no handshake succeeded)."
        }
        if !sweep.sentProbes.contains(where: { $0.observation.outcome == .timeExceeded || $0.observation.outcome.isDeciding }) {
            return "Nothing answered any of the \(name)'s payloads, up to TTL \(last)."
        }
        return "The \(name) stops at TTL \(last) while routers still answered it: it was cut short before it reached the server or a censor."
    }
}
