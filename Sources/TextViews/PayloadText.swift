import Measurement
import Probing
import ProbeSession

/// `probe payload` as text: a header, one line per TTL as it is done, why it stopped.
public enum PayloadText {
    /// `payload trace to 198.18.9.2 port 80: test http host blocked.example, control http host example.com`
    public static func header(_ job: PayloadProbeJob) -> String {
        "payload trace to \(job.target) port \(job.port): test \(describe(job.test)), control \(describe(job.control))"
    }

    public static func describe(_ p: PayloadTrace.Payload) -> String {
        switch p {
        case .http(let h): return "http host \(h)"
        case .tls(let s): return "tls sni \(s)"
        case .raw(let b): return "raw \(b.count) bytes"
        }
    }

    /// `  5  test: rst from 198.18.9.2 (ttl 58, ip id 1)   control: time-exceeded from 198.18.3.2`
    public static func line(_ step: PayloadStep) -> String {
        let test = "test: " + summary(step.test)
        return String(step.ttl).leftPadded(3) + "  " + test.padded(max(test.count + 3, 48)) + "control: " + summary(step.control)
    }

    /// Why the trace ended before its last TTL, when it did.
    public static func stopped(_ last: PayloadStep?) -> String? {
        guard let last else { return nil }
        return last.control.outcome == .notConnected
            ? "stopped at TTL \(last.ttl): neither connection could be made (the handshake does not depend on the TTL)"
            : "stopped at TTL \(last.ttl): the control reached the server and the test got its answer"
    }

    /// One observation: outcome, sender, the answer's TTL and IP ID, its first line.
    public static func summary(_ o: PayloadObservation) -> String {
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
}
