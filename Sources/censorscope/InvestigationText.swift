import Analysis
import Packets
import Probing

/// The one-screen human view of an investigation.
enum InvestigationText {
    static func write(_ r: Investigation, context: Investigation.ReportContext, into out: inout StandardOutput,
                      hopText: (IPAddress) -> String = { $0.description }) {
        out.line("")
        out.line("VERDICT: \(r.verdict.rawValue)\(r.verdict.isBlocking ? " (blocked)" : "")")
        out.line(r.summary)
        out.line("")
        if r.trigger.kind != "none" {
            out.line("trigger: \(r.trigger.kind): \(r.trigger.detail)")
            if !r.trigger.blocked.isEmpty { out.line("  blocked: " + r.trigger.blocked.joined(separator: ", ")) }
            if !r.trigger.passed.isEmpty { out.line("  passed:  " + r.trigger.passed.joined(separator: ", ")) }
            for d in r.trigger.dimensions { out.line("  " + d) }
        }
        if let l = r.location {
            out.line("location: TTL \(l.ttl)" + (l.address.map { ", \($0)" } ?? ", no control answer at that TTL")
                + (l.before.map { ", after \($0)" } ?? "") + ", " + (l.onPath ? "on-path" : "in-path") + ", confidence \(l.confidence.rawValue)")
            out.line("  " + l.reason)
        }
        if let i = r.injector {
            out.line("injector: ttl \(i.ttl), ip id \(i.ipID.map(String.init) ?? "varies"), \(i.dontFragment ? "DF" : "no DF"), flags \(i.flags ?? "?"), window \(i.window.map(String.init) ?? "?"), \(i.copies) cop\(i.copies == 1 ? "y" : "ies")" + (i.ttlCopiesProbe ? ", copies the probe's TTL" : ""))
        }
        if let ttl = r.genuine.ttl { out.line("genuine: ttl \(ttl) (\(r.genuine.source))") }
        out.line("")
        out.line("SYN shapes (port \(r.port)):")
        for s in r.results where s.trial.port == r.port {
            let name = s.trial.shape.name.padding(toLength: 20, withPad: " ", startingAt: 0)
            let f = s.response?.fingerprint
            out.line("  \(name) \(String(s.trial.size).leftPadded(3))  \(s.outcome.resultWord.padding(toLength: 8, withPad: " ", startingAt: 0))"
                + (f.map { " ttl \($0.ttl)" + ($0.ipID.map { " id \($0)" } ?? "") } ?? "")
                + (s.forged.isEmpty ? "" : "  FORGED") + (s.blocked ? "  blocked" : ""))
        }
        let others = r.results.filter { $0.trial.port != r.port }
        if let p = others.first?.trial.port {
            out.line("  on port \(p): " + others.map { "\($0.trial.shape.name) \($0.outcome.resultWord)\($0.forged.isEmpty ? "" : " FORGED")" }.joined(separator: ", "))
        }
        if let path = r.path {
            out.line("")
            out.line("path (\(path.name)):")
            for hop in path.trace.hops {
                let here = r.location?.ttl == hop.ttl ? "   <- the device acts here" : ""
                let addr = (hop.address ?? hop.responses.first?.address).map(hopText) ?? "*"
                out.line("  \(String(hop.ttl).leftPadded(2))  \(addr)\(here)")
            }
        }
        out.line("")
        out.line("evidence: \(context.evidenceFile ?? "none")")
        for e in r.evidence {
            let frames = context.frames(e)
            out.line("  - " + e.claim + (frames.isEmpty ? "" : " [frame" + (frames.count > 1 ? "s " : " ") + frames.map(String.init).joined(separator: ", ") + "]"))
        }
        out.line("took \(milliseconds(context.runtimeSeconds * 1000)) ms")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
