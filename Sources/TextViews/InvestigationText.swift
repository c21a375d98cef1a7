import Analysis
import Campaigns
import Measurement
import Packets
import Probing

/// The one-screen human view of an investigation.
public enum InvestigationText {
    /// `investigating 198.18.9.2 port 80 from 198.18.1.2 (veth0)`: printed before the run.
    public static func start(_ target: ProbeTarget, port: ServicePort) -> String {
        "investigating \(target.address) port \(port) from \(target.route.source) (\(target.route.interface))"
    }

    /// The verdict, trigger, location, SYN shapes, path and evidence; `hopText` renders a
    /// hop address (enrichment).
    public static func lines(_ r: Investigation, context: Investigation.ReportContext,
                             hopText: (IPAddress) -> String = { $0.description }) -> [String] {
        var out: [String] = []
        out.append("")
        out.append("VERDICT: \(r.verdict.rawValue)\(r.verdict.isBlocking ? " (blocked)" : "")")
        out.append(r.summary)
        out.append("")
        if r.trigger.kind != "none" {
            out.append("trigger: \(r.trigger.kind): \(r.trigger.detail)")
            if !r.trigger.blocked.isEmpty { out.append("  blocked: " + r.trigger.blocked.joined(separator: ", ")) }
            if !r.trigger.passed.isEmpty { out.append("  passed:  " + r.trigger.passed.joined(separator: ", ")) }
            for d in r.trigger.dimensions { out.append("  " + d) }
        }
        if let l = r.location {
            out.append("location: TTL \(l.ttl)" + (l.address.map { ", \($0)" } ?? ", no control answer at that TTL")
                + (l.before.map { ", after \($0)" } ?? "") + ", " + (l.onPath ? "on-path" : "in-path") + ", confidence \(l.confidence.rawValue)")
            out.append("  " + l.reason)
        }
        if let i = r.injector {
            out.append("injector: ttl \(i.ttl), ip id \(i.ipID.map(String.init) ?? "varies"), \(i.dontFragment ? "DF" : "no DF"), flags \(i.flags ?? "?"), window \(i.window.map(String.init) ?? "?"), \(i.copies) cop\(i.copies == 1 ? "y" : "ies")" + (i.ttlCopiesProbe ? ", copies the probe's TTL" : ""))
        }
        if let ttl = r.genuine.ttl { out.append("genuine: ttl \(ttl) (\(r.genuine.source))") }
        out += exchangeLines(r)
        out.append("")
        out.append("SYN shapes (port \(r.port)):")
        for s in r.results where s.trial.port == r.port {
            let name = s.trial.shape.name.padding(toLength: 20, withPad: " ", startingAt: 0)
            let f = s.response?.fingerprint
            out.append("  \(name) \(String(s.trial.size).leftPadded(3))  \(s.answerWord.padding(toLength: 8, withPad: " ", startingAt: 0))"
                + (f.map { " ttl \($0.ttl)" + ($0.ipID.map { " id \($0)" } ?? "") } ?? "")
                + (s.forged.isEmpty ? "" : "  FORGED") + (s.blocked ? "  blocked" : ""))
        }
        let others = r.results.filter { $0.trial.port != r.port }
        if let p = others.first?.trial.port {
            out.append("  on port \(p): " + others.map { "\($0.trial.shape.name) \($0.answerWord)\($0.forged.isEmpty ? "" : " FORGED")" }.joined(separator: ", "))
        }
        if let path = r.path {
            out.append("")
            out.append("path (\(path.name)):")
            for hop in path.trace.hops {
                let here = r.location?.ttl == hop.ttl ? "   <- the device acts here" : ""
                let addr = (hop.address ?? hop.responses.first?.address).map(hopText) ?? "*"
                out.append("  \(String(hop.ttl).leftPadded(2))  \(addr)\(here)")
            }
        }
        out.append("")
        out.append("evidence: \(context.evidenceFile ?? "none")")
        for e in r.evidence {
            let frames = context.frames(e)
            out.append("  - " + e.claim + (frames.isEmpty ? "" : " [frame" + (frames.count > 1 ? "s " : " ") + frames.map(String.init).joined(separator: ", ") + "]"))
        }
        out.append("took \(milliseconds(context.runtimeSeconds * 1000)) ms")
        return out
    }
}

extension InvestigationText {
    /// Residual blocking, the intercepted page, the transfers: one line each, when measured.
    static func exchangeLines(_ r: Investigation) -> [String] {
        var out: [String] = []
        if let x = r.residual {
            out.append("residual: \(x.how) for at least \(x.secondsObserved) s after the test at TTL \(x.triggerTTL), scope \(x.scope.rawValue)")
        }
        if let p = r.interception?.page {
            let o = p.observation
            out.append("page (Host \(p.host)): " + (o.firstLine.map { "\"\($0)\"" } ?? o.outcome.rawValue) + ", \(o.bytes) bytes"
                + (o.firstData.map { ", ttl \($0.ttl)" } ?? ""))
        }
        if let t = r.throttle {
            let rates = [("test", Optional(t.test)), ("control", t.control)].compactMap { name, o in
                o.flatMap { o in o.bytesPerSecond.map { "\(name) \(o.bytes) bytes at \(Throttling.rate($0))" } }
            }
            out.append("transfer \(t.object): " + (rates.isEmpty ? "nothing measured" : rates.joined(separator: ", "))
                + (t.ratio.map { ", ratio \($0)" } ?? "") + (t.judged ? "" : " (not judged)"))
        }
        return out
    }
}
