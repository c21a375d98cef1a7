import Analysis
import ArgumentParser
import Records
import SystemSupport

/// The exit statuses every command uses (DESIGN.md, README "Exit status").
enum ExitStatus {
    /// Measured, and not blocked (or a command that does not measure succeeded).
    static let measured: Int32 = 0
    /// Something went wrong: a file, the network, a permission; one `error:` line says what.
    static let error: Int32 = 1
    /// Measured, and blocked.
    static let blocked: Int32 = 2
    /// Nothing decided: no answer, host down, a capture that allows no conclusion.
    static let inconclusive: Int32 = 3
    /// The command line is wrong.
    static let usage: Int32 = 64
}

/// What a measuring command found, which its exit status tells scripts.
enum Finding: Int32 {
    case measured = 0, blocked = 2, inconclusive = 3

    init(_ verdict: Verdict) {
        if verdict.isBlocking { self = .blocked } else { self = verdict == .reachable ? .measured : .inconclusive }
    }

    init(_ outcome: SweepComparison.Outcome) {
        switch outcome {
        case .censored, .endpointBlocking: self = .blocked
        case .notCensored: self = .measured
        case .inconclusive: self = .inconclusive
        }
    }

    /// Probes: blocked when an answer was forged; measured when the target itself answered
    /// (a port unreachable from it included); inconclusive when nothing did, or only a
    /// router's unreachable came back.
    init(probes: [ProbeResultRecord]) {
        func targetAnswered(_ p: ProbeResultRecord) -> Bool {
            switch p.result {
            case nil, "timeout"?: return false
            case "icmp"?: return p.icmp?.kind == "port-unreachable" && p.icmp?.from == p.target
            default: return true
            }
        }
        if probes.contains(where: { $0.injected == true }) {
            self = .blocked
        } else {
            self = probes.contains(where: targetAnswered) ? .measured : .inconclusive
        }
    }

    /// A trace judges no blocking: measured when it reached the target, else inconclusive.
    init(trace: TraceRecord) { self = trace.reached == true ? .measured : .inconclusive }
}

/// `runReportingUserErrors` for a command whose exit status says what it found.
func runReportingFinding(_ body: (inout StandardOutput) throws -> Finding) throws {
    var finding = Finding.measured
    try runReportingUserErrors { out in finding = try body(&out) }
    if finding != .measured { throw ExitCode(finding.rawValue) }
}
