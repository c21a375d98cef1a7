import Analysis
import Packets

/// The human view: both paths side by side (the reverse one read backwards, so a row holds
/// hops at the same place on the way from the client), the AS paths and the verdict.
public enum RoutesText {
    /// Everything `routes compare` prints without --json, `hasDatabase` when AS numbers were looked up.
    public static func lines(_ pair: RoutePair, hasDatabase: Bool) -> [String] {
        let c = pair.comparison
        let forwardSource = "\(pair.forward.source ?? "?"), \(pair.forwardName)"
        let reverseSource = "\(pair.reverse.source ?? "?"), \(pair.reverseName)"
        var out: [String] = []
        let client = c.client?.description ?? "?", server = c.server?.description ?? "?"
        out.append("forward: \(client) → \(server) (\(forwardSource))")
        out.append("reverse: \(server) → \(client) (\(reverseSource))")
        let censor = c.censor
        func cell(_ hop: RouteComparison.Hop?, censorTTL: Int?) -> String {
            guard let hop else { return "" }
            var text = hop.silent ? "*" : hop.addresses.isEmpty ? "(name only)" : hop.addresses.map(\.description).joined(separator: ", ")
            if hasDatabase, !hop.silent { text += " " + bracket(hop.asn, hop.asName) }
            if let censorTTL, censorTTL == hop.ttl { text += " <- censor" }
            return text
        }
        func hop(_ hops: [RouteComparison.Hop], _ ttl: Int?) -> RouteComparison.Hop? {
            ttl.flatMap { t in hops.first { $0.ttl == t } }
        }
        func endTTL(_ hops: [RouteComparison.Hop], _ address: IPAddress?) -> String {
            guard let address, let h = hops.first(where: { $0.address == address }) else { return "" }
            return String(h.ttl)
        }
        // An end's AS, from the hop where the other direction reached it.
        func endText(_ address: IPAddress?, _ role: String, _ hops: [RouteComparison.Hop]) -> String {
            var text = "\(address?.description ?? "?") (\(role))"
            if hasDatabase, let address, let h = hops.first(where: { $0.address == address }) { text += " " + bracket(h.asn, h.asName) }
            return text
        }
        let clientText = endText(c.client, "client", c.reverse), serverText = endText(c.server, "server", c.forward)
        var rows: [(String, String, String, String, String)] = []
        rows.append(("", clientText, "", endTTL(c.reverse, c.client), clientText))
        for row in c.aligned {
            let marker = row.match == .address ? "=" : row.match == .link ? "~" : ""
            rows.append((row.forwardTTL.map(String.init) ?? "", cell(hop(c.forward, row.forwardTTL), censorTTL: censor?.forwardTTL),
                         marker, row.reverseTTL.map(String.init) ?? "", cell(hop(c.reverse, row.reverseTTL), censorTTL: censor?.reverseTTL)))
        }
        rows.append((endTTL(c.forward, c.server), serverText, "", "", serverText))
        let width = min(max(rows.map { $0.1.count }.max() ?? 0, 24), 60)
        out.append(" ttl  " + "forward (client → server)".padded(width) + "     ttl  reverse (server → client, read backwards)")
        for r in rows {
            let forwardCell = r.1.count > width ? String(r.1.prefix(width - 1)) + "…" : r.1
            let line = r.0.leftPadded(4) + "  " + forwardCell.padded(width) + "  " + r.2.padded(1) + "  " + r.3.leftPadded(3) + "  " + r.4
            out.append(String(line.reversed().drop(while: { $0 == " " }).reversed()))
        }
        out.append("(= same address both ways, ~ same router through another interface: a point-to-point link seen at mirrored positions)")
        if hasDatabase {
            out.append("forward AS path: " + asPath(c.forwardASPath, c.asNames))
            out.append("reverse AS path: " + asPath(c.reverseASPath, c.asNames))
            if !c.forwardOnlyASes.isEmpty || !c.reverseOnlyASes.isEmpty {
                out.append("ASes only forward: " + asList(c.forwardOnlyASes) + "; only reverse: " + asList(c.reverseOnlyASes))
            }
        } else {
            out.append("AS paths: not looked up (give --asn-db FILE)")
        }
        out.append(c.summary)
        if !c.sharedHops.isEmpty { out.append("same address both ways: " + c.sharedHops.map(\.description).joined(separator: ", ")) }
        for s in c.sharedSubnets {
            var parts: [String] = []
            if !s.forward.isEmpty { parts.append("forward " + s.forward.map(\.description).joined(separator: ", ")) }
            if !s.reverse.isEmpty { parts.append("reverse " + s.reverse.map(\.description).joined(separator: ", ")) }
            if !s.ends.isEmpty { parts.append("end " + s.ends.map(\.description).joined(separator: ", ")) }
            out.append("link crossed both ways: \(s.subnet) (" + parts.joined(separator: "; ") + ")")
        }
        if !c.forwardOnlyHops.isEmpty { out.append("only forward: " + c.forwardOnlyHops.map(\.description).joined(separator: ", ")) }
        if !c.reverseOnlyHops.isEmpty { out.append("only reverse: " + c.reverseOnlyHops.map(\.description).joined(separator: ", ")) }
        if let censor { out.append(censorLine(censor)) }
        for note in pair.notes { out.append("note: " + note) }
        return out
    }

    /// Where the censor sits in each direction, in one line.
    static func censorLine(_ p: RouteComparison.CensorPlacement) -> String {
        func side(_ name: String, _ ttl: Int?, _ address: IPAddress?, _ match: RouteMatch?) -> String {
            guard let ttl else { return "not shown on the \(name) path (no hop with its address or tied to it)" }
            if match == .link, let address {
                return "\(name) hop \(ttl) (\(address): the censor through another interface)"
            }
            return "\(name) hop \(ttl)"
        }
        return "censor \(p.address): " + side("forward", p.forwardTTL, p.forwardAddress, p.forwardMatch) + "; "
            + side("reverse", p.reverseTTL, p.reverseAddress, p.reverseMatch)
    }

    static func bracket(_ asn: UInt32?, _ name: String?) -> String {
        guard let asn else { return "[*]" }
        guard let name, !name.isEmpty else { return "[AS\(asn)]" }
        return "[AS\(asn) \(name)]"
    }

    static func asPath(_ path: [UInt32], _ names: [UInt32: String]) -> String {
        guard !path.isEmpty else { return "unknown (no address on it is in the database)" }
        return path.map { asn in names[asn].map { "AS\(asn) \($0)" } ?? "AS\(asn)" }.joined(separator: " → ")
    }

    static func asList(_ list: [UInt32]) -> String { list.isEmpty ? "none" : list.map { "AS\($0)" }.joined(separator: ", ") }

}
