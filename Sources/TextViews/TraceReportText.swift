import Measurement
import Packets

/// `trace --report` as `mtr --report` prints it: one line per hop with loss, queries
/// sent, and last/avg/best/worst/stdev RTT in milliseconds; `???` for a hop that never answered.
public enum TraceReportText {
    public static func lines(_ report: TraceReport, address: (IPAddress) -> String = { $0.description }) -> [String] {
        let names = report.hops.map { hop in hop.addresses.isEmpty ? "???" : hop.addresses.map(address).joined(separator: " ") }
        let width = max(names.map(\.count).max() ?? 0, 20) + 2
        let what = report.job.method == .icmp ? "icmp" : "\(report.job.method.rawValue) port \(report.port ?? 0)"
        var lines = ["HOST: \(report.job.target.route.source) to \(report.job.target.address) (\(what), \(count(report.rounds, "round")) "
                     + "\(oneDecimal(report.interval)) s apart)"]
        lines.append("".padded(7 + width) + ["Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev"].map { $0.leftPadded(7) }.joined())
        for (hop, name) in zip(report.hops, names) {
            let ttl = String(hop.ttl).leftPadded(3)
            let numbers = [oneDecimal(hop.lossPercent) + "%", String(hop.sent)]
                + [hop.rtts.last, hop.average, hop.best, hop.worst, hop.stdev].map { oneDecimal($0 ?? 0) }
            lines.append("\(ttl).|-- " + name.padded(width) + numbers.map { $0.leftPadded(7) }.joined())
        }
        if !report.reached { lines.append("the target did not answer in any round") }
        return lines
    }

    /// `0.4`, `100.0`: one decimal, as mtr prints.
    static func oneDecimal(_ value: Double) -> String {
        guard value.isFinite, value >= 0, value < 1e9 else { return "?" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
