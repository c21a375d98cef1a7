import Measurement
import Packets
import Probing

/// The `probe` commands' text: per probe a line for what was sent, then one per answer.
public enum ProbeText {
    /// `probe syn`: every SYN and its answers with the injection verdict, then the
    /// reference echo reply. `timeout` is the wait in seconds, as given.
    public static func lines(_ outcome: SYNProbeJob.Outcome, job: SYNProbeJob, timeout: Double) -> [String] {
        var lines: [String] = []
        let target = job.setup.target.address
        for r in outcome.results {
            let sport = r.probe.packet.transport.tcp?.sourcePort ?? 0
            lines.append("SYN \(job.variant) (\(r.probe.bytes.count) bytes) \(r.probe.source):\(sport) > \(target):\(job.port) ttl \(job.ttl)")
            if r.answers.isEmpty { lines.append(noAnswer(timeout)) }
            for (answer, assessment) in zip(r.answers, r.assessments) {
                lines.append(answerLine(answer, suffix: assessment.injected ? "  INJECTED: " + assessment.reasons.joined(separator: "; ") : ""))
            }
        }
        if let reference = outcome.reference { lines.append("reference: echo reply from \(reference.source): \(describe(reference))") }
        return lines
    }

    /// `probe icmp|udp|KIND`: one probe and its answers, with what the kind adds to each.
    public static func lines(_ result: DatagramProbeJob.Result, job: DatagramProbeJob, timeout: Double) -> [String] {
        var lines = ["\(result.probe.label): \(result.probe.bytes.count) bytes to \(job.setup.target.address)\(job.port.map { ":\($0)" } ?? "")"]
        if result.answers.isEmpty { lines.append(noAnswer(timeout)) }
        for (answer, detail) in zip(result.answers, result.details) {
            lines.append(answerLine(answer, suffix: detail.map { "; " + $0 } ?? ""))
        }
        return lines
    }

    static func noAnswer(_ timeout: Double) -> String { "  no answer within \(timeout) s (timeout)" }

    /// `  rst from 198.18.9.2 in 0.512 ms: ttl 58, …` and what `suffix` adds.
    static func answerLine(_ answer: Answer, suffix: String) -> String {
        "  \(answer.kind.rawValue) from \(answer.fingerprint.source) in \(milliseconds(answer.rttMilliseconds)) ms: "
            + describe(answer.fingerprint) + (answer.duplicates > 0 ? " (+\(answer.duplicates) duplicates)" : "") + suffix
    }

    /// A one-line human summary of an answer's fingerprint.
    public static func describe(_ f: Fingerprint) -> String {
        var parts = ["ttl \(f.ttl)"]
        if let id = f.ipID { parts.append("ip id \(id)") }
        parts.append(f.dontFragment ? "DF" : "no DF")
        if f.tos != 0 { parts.append("tos 0x" + String(f.tos, radix: 16)) }
        if let flags = f.flags { parts.append("flags \(flags.letters)") }
        if let w = f.window { parts.append("win \(w)") }
        if let o = f.options, !o.isEmpty { parts.append("options [" + o.joined(separator: ",") + "]") }
        if let t = f.icmpType { parts.append("icmp \(t)/\(f.icmpCode ?? 0)") }
        return parts.joined(separator: ", ")
    }
}
