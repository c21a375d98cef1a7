import Packets
import Yams
import YAMLReading

extension CensorPolicy {
    /// Parses a policy from YAML text, within the shared reader's limits. `firstLine` is
    /// the line of `yaml`'s first line in `file`, for text cut out of a bigger file, so
    /// that errors name the right line.
    public static func parse(yaml: String, file: String, firstLine: Int = 1) throws(CensorPolicyError) -> CensorPolicy {
        let reader = YAMLReader.policy(file: file, lineOffset: firstLine - 1)
        do throws(SourceError) {
            guard let root = try reader.compose(yaml) else { throw reader.fail(line: firstLine, "the policy is empty") }
            return try PolicyParser(reader: reader).policy(root)
        } catch {
            throw CensorPolicyError(error, firstLine: firstLine)
        }
    }

    /// Parses a policy from a node composed by Yams (the `censor:` node of a lab scenario,
    /// composed within the scenario's limits); lines are the node's own.
    public static func parse(node: Node, file: String) throws(CensorPolicyError) -> CensorPolicy {
        do throws(SourceError) {
            return try PolicyParser(reader: YAMLReader.policy(file: file, lineOffset: 0)).policy(node)
        } catch {
            throw CensorPolicyError(error, firstLine: 1)
        }
    }
}

/// Node tree → policy, one function per level of the schema.
struct PolicyParser {
    let reader: YAMLReader

    func policy(_ root: Node) throws(SourceError) -> CensorPolicy {
        let top = try reader.mapping(root, "the policy", allowed: ["clients", "rules"])
        guard let clientsNode = top["clients"] else {
            throw reader.fail(root, "missing 'clients': list the client-side prefixes, like [198.18.1.0/24]")
        }
        let clients = try reader.list(clientsNode, "clients") { (n) throws(SourceError) in try reader.prefix(n, "clients") }
        var rules: [CensorRule] = []
        if let rulesNode = top["rules"] {
            guard case .sequence(let seq) = rulesNode else {
                throw reader.fail(rulesNode, "rules must be a list (each rule starts with '- ')")
            }
            for (i, r) in seq.enumerated() {
                let parsed = try rule(r, index: i)
                if rules.contains(where: { $0.name == parsed.name }) {
                    throw reader.fail(r, "two rules are named '\(parsed.name)'; names must be unique (they appear in the log)")
                }
                rules.append(parsed)
            }
        }
        return CensorPolicy(clients: clients, rules: rules)
    }

    func rule(_ node: Node, index: Int) throws(SourceError) -> CensorRule {
        let keys = ["name", "match", "action", "inject", "rate_kbit", "burst_bytes", "max_delay_ms", "disturb", "residual_seconds"]
        let m = try reader.mapping(node, "rule \(index + 1)", allowed: keys)
        let name = try m["name"].map { (n) throws(SourceError) in try reader.string(n, "name") } ?? "rule-\(index + 1)"
        guard let actionNode = m["action"] else {
            throw reader.fail(node, "rule '\(name)' has no action (accept, drop, inject, inject-and-accept, throttle or disturb)")
        }
        let actionText = try reader.string(actionNode, "action")
        guard let action = CensorAction(rawValue: actionText) else {
            throw reader.fail(actionNode, "unknown action '\(actionText)' (use accept, drop, inject, inject-and-accept, throttle or disturb)")
        }
        let match = try m["match"].map { (n) throws(SourceError) in try self.match(n) } ?? RuleMatch()
        var r = CensorRule(name: name, match: match, action: action, line: reader.line(of: node))

        if let n = m["inject"] {
            guard action.forges else { throw reader.fail(n, "'inject' is only used with action inject or inject-and-accept") }
            r.inject = try reader.list(n, "inject") { (i) throws(SourceError) in try inject(i) }
        } else if action.forges {
            r.inject = [InjectSpec()]
        }
        if action.forges, !match.requiresTCP {
            throw reader.fail(actionNode, "action \(actionText) forges TCP segments: add 'protocol: tcp' to the match")
        }

        let throttleKeys = ["rate_kbit", "burst_bytes", "max_delay_ms"]
        if action == .throttle {
            guard let rate = m["rate_kbit"] else { throw reader.fail(actionNode, "action throttle needs rate_kbit (like rate_kbit: 150)") }
            var t = ThrottleSpec(rateKbit: try reader.int(rate, "rate_kbit", 1...10_000_000))
            if let b = m["burst_bytes"] { t.burstBytes = try reader.int(b, "burst_bytes", 0...100_000_000) }
            if let d = m["max_delay_ms"] { t.maxDelayMilliseconds = try reader.int(d, "max_delay_ms", 1...60_000) }
            r.throttle = t
        } else if let k = throttleKeys.first(where: { m[$0] != nil }), let n = m[k] {
            throw reader.fail(n, "'\(k)' is only used with action throttle")
        }
        if action == .disturb {
            guard let n = m["disturb"] else {
                throw reader.fail(actionNode, "action disturb needs disturb (like disturb: {duplicate: 0.3, delay_ms: [0, 20]})")
            }
            r.disturb = try disturb(n)
        } else if let n = m["disturb"] {
            throw reader.fail(n, "'disturb' is only used with action disturb")
        }
        if let n = m["residual_seconds"] {
            r.residualSeconds = try reader.number(n, "residual_seconds", 0...86_400)
            if r.residualSeconds > 0, action == .accept || action == .throttle || action == .disturb {
                throw reader.fail(n, "residual_seconds keeps blocking after a trigger: use it with drop or inject")
            }
        }
        return r
    }

    func match(_ node: Node) throws(SourceError) -> RuleMatch {
        let keys = ["direction", "protocol", "src_prefix", "dst_prefix", "src_port", "dst_port", "syn",
                    "syn_size_min", "syn_size_max", "syn_options", "http_host", "tls_sni", "stun",
                    "payload_contains", "payload_hex", "established"]
        let m = try reader.mapping(node, "match", allowed: keys)
        var r = RuleMatch()
        if let n = m["direction"] {
            let s = try reader.string(n, "direction")
            guard let d = DirectionMatch(rawValue: s) else {
                throw reader.fail(n, "unknown direction '\(s)' (use client-to-server, server-to-client or both)")
            }
            r.direction = d
        }
        if let n = m["protocol"] {
            let s = try reader.string(n, "protocol")
            guard let p = TransportProtocol(rawValue: s.lowercased()) else { throw reader.fail(n, "unknown protocol '\(s)' (use tcp, udp or icmp)") }
            r.proto = p
        }
        r.sourcePrefixes = try m["src_prefix"].map { (n) throws(SourceError) in
            try reader.list(n, "src_prefix") { (i) throws(SourceError) in try reader.prefix(i, "src_prefix") } }
        r.destinationPrefixes = try m["dst_prefix"].map { (n) throws(SourceError) in
            try reader.list(n, "dst_prefix") { (i) throws(SourceError) in try reader.prefix(i, "dst_prefix") } }
        r.sourcePorts = try m["src_port"].map { (n) throws(SourceError) in
            try reader.list(n, "src_port") { (i) throws(SourceError) in try reader.portRange(i, "src_port") } }
        r.destinationPorts = try m["dst_port"].map { (n) throws(SourceError) in
            try reader.list(n, "dst_port") { (i) throws(SourceError) in try reader.portRange(i, "dst_port") } }
        if let n = m["syn"] { r.syn = try reader.bool(n, "syn") }
        if let n = m["syn_size_min"] { r.synSizeMin = try reader.int(n, "syn_size_min", 0...65_535) }
        if let n = m["syn_size_max"] { r.synSizeMax = try reader.int(n, "syn_size_max", 0...65_535) }
        if let lo = r.synSizeMin, let hi = r.synSizeMax, lo > hi, let n = m["syn_size_max"] {
            throw reader.fail(n, "syn_size_max (\(hi)) is below syn_size_min (\(lo))")
        }
        if let n = m["syn_options"] { r.synOptions = try synOptions(n) }
        if r.syn == false, r.synSizeMin != nil || r.synSizeMax != nil || r.synOptions != nil, let n = m["syn"] {
            throw reader.fail(n, "syn: false contradicts syn_size/syn_options, which look at SYNs only")
        }
        if let n = m["http_host"] { r.httpHost = try hostPatterns(n, "http_host") }
        if let n = m["tls_sni"] { r.tlsSNI = try hostPatterns(n, "tls_sni") }
        if let n = m["stun"] { r.stun = try reader.bool(n, "stun") }
        if let n = m["payload_contains"] {
            if m["payload_hex"] != nil { throw reader.fail(n, "give payload_contains or payload_hex, not both") }
            r.payloadContains = Array(try reader.string(n, "payload_contains").utf8)
        }
        if let n = m["payload_hex"] { r.payloadContains = try reader.hex(n, "payload_hex") }
        if let n = m["established"] { r.established = try reader.bool(n, "established") }

        if let p = r.proto, p != .tcp, r.requiresTCP {
            throw reader.fail(node, "this match has TCP conditions (syn, sizes, options, http_host, tls_sni, established) but protocol is \(p.rawValue)")
        }
        if r.proto == .icmp, let n = m["src_port"] ?? m["dst_port"] {
            throw reader.fail(n, "ICMP has no ports")
        }
        return r
    }

    private func synOptions(_ node: Node) throws(SourceError) -> [String] {
        let known = ["eol", "nop", "mss", "wscale", "sackOK", "sack", "TS", "md5", "uto", "tcp-ao", "mptcp", "tfo"]
        guard case .sequence(let s) = node else { throw reader.fail(node, "syn_options must be a list like [mss, sackOK, TS, nop, wscale]") }
        var out: [String] = []
        for n in s {
            let name = try reader.string(n, "syn_options")
            guard known.contains(name) || name.hasPrefix("opt-") else {
                throw reader.fail(n, "unknown TCP option '\(name)' (known: \(known.joined(separator: ", ")), or opt-N)")
            }
            out.append(name)
        }
        return out
    }

    private func hostPatterns(_ node: Node, _ what: String) throws(SourceError) -> [HostPattern] {
        try reader.list(node, what) { (n) throws(SourceError) in
            if case .mapping = n {
                let m = try reader.mapping(n, what, allowed: ["domain", "contains", "exact"])
                guard m.order.count == 1, let k = m.order.first, let v = m[k] else { throw reader.fail(n, "\(what): give one of domain, contains or exact") }
                let text = HostPattern.normalize(try reader.string(v, "\(what).\(k)"))
                switch k {
                case "contains": return .contains(text)
                case "exact": return .exact(text)
                default: return .domain(text)
                }
            }
            return .domain(HostPattern.normalize(try reader.string(n, what)))
        }
    }

    func inject(_ node: Node) throws(SourceError) -> InjectSpec {
        let keys = ["to", "flags", "ttl", "ip_id", "window", "copies", "df", "payload", "payload_hex"]
        let m = try reader.mapping(node, "inject", allowed: keys)
        var spec = InjectSpec()
        if let n = m["to"] {
            let s = try reader.string(n, "to")
            guard let t = InjectTarget(rawValue: s) else { throw reader.fail(n, "inject.to must be client, server or both, not '\(s)'") }
            spec.to = t
        }
        if let n = m["flags"] { spec.flags = try flags(n) }
        if let n = m["ttl"] { spec.ttl = try ttl(n) }
        if let n = m["ip_id"] { spec.ipID = try ipID(n) }
        if let n = m["window"] {
            if try reader.scalar(n, "window") == "copy" { spec.window = .copy } else {
                spec.window = .fixed(UInt16(try reader.int(n, "window", 0...65_535)))
            }
        }
        if let n = m["copies"] { spec.copies = try reader.int(n, "copies", 1...100) }
        if let n = m["payload"] {
            if m["payload_hex"] != nil { throw reader.fail(n, "give payload or payload_hex, not both") }
            spec.payload = Array(try reader.string(n, "payload").utf8)
        }
        if let n = m["payload_hex"] { spec.payload = try reader.hex(n, "payload_hex") }
        if spec.payload.count > 1400 { throw reader.fail(m["payload"] ?? m["payload_hex"]!, "inject payload is over 1400 bytes; forged packets are single segments") }
        let wantsZero = spec.ipID == .zero
        if let n = m["df"] {
            spec.dontFragment = try reader.bool(n, "df")
            if wantsZero, !spec.dontFragment {
                throw reader.fail(n, "ip_id: zero needs df: true (Linux replaces an IP ID of 0 with a random one when DF is clear)")
            }
        } else if wantsZero {
            spec.dontFragment = true
        }
        return spec
    }

    private func flags(_ node: Node) throws(SourceError) -> TCPFlags {
        let s = try reader.string(node, "flags")
        var f: TCPFlags = []
        for c in s.uppercased() {
            switch c {
            case "S": f.insert(.syn)
            case "F": f.insert(.fin)
            case "R": f.insert(.rst)
            case "P": f.insert(.psh)
            case "A": f.insert(.ack)
            case "U": f.insert(.urg)
            case "E": f.insert(.ece)
            case "C": f.insert(.cwr)
            default: throw reader.fail(node, "flags: unknown letter '\(c)' in '\(s)' (use letters S F R P A U E C, like RA or FA)")
            }
        }
        return f
    }

    private func ttl(_ node: Node) throws(SourceError) -> TTLSpec {
        if case .mapping = node {
            let m = try reader.mapping(node, "ttl", allowed: ["copy_minus"])
            guard let n = m["copy_minus"] else { throw reader.fail(node, "ttl: give a number or {copy_minus: N}") }
            return .copyMinus(UInt8(try reader.int(n, "ttl.copy_minus", 0...255)))
        }
        return .fixed(UInt8(try reader.int(node, "ttl", 0...255)))
    }

    private func ipID(_ node: Node) throws(SourceError) -> IPIDSpec {
        switch try reader.scalar(node, "ip_id") {
        case "zero": return .zero
        case "copy": return .copy
        case "increment": return .increment
        default:
            let v = try reader.int(node, "ip_id", 0...65_535)
            return v == 0 ? .zero : .fixed(UInt16(v))
        }
    }
}

extension PolicyParser {
    /// `disturb: {duplicate: P, copies: N, delay_ms: [MIN, MAX] or MS, seed: S}`.
    func disturb(_ node: Node) throws(SourceError) -> DisturbSpec {
        let m = try reader.mapping(node, "disturb", allowed: ["duplicate", "copies", "delay_ms", "seed"])
        var spec = DisturbSpec()
        if let n = m["duplicate"] { spec.duplicate = try reader.number(n, "disturb.duplicate", 0...1) }
        if let n = m["copies"] { spec.copies = try reader.int(n, "disturb.copies", 1...DisturbSpec.maxCopies) }
        if let n = m["delay_ms"] { spec.delayMilliseconds = try delayRange(n) }
        if let n = m["seed"] { spec.seed = UInt64(try reader.int(n, "disturb.seed", 0...Int.max)) }
        if spec.duplicate == 0, spec.delayMilliseconds.upperBound == 0 {
            throw reader.fail(node, "disturb does nothing: give duplicate above 0 or delay_ms above 0 (like delay_ms: [0, 20])")
        }
        return spec
    }

    /// `[MIN, MAX]` or a single value (a fixed hold), milliseconds within 0…2000.
    private func delayRange(_ node: Node) throws(SourceError) -> ClosedRange<Double> {
        let limit = 0...DisturbSpec.maxDelayMilliseconds
        let bounds = reader.items(node)
        guard bounds.count == 1 || bounds.count == 2 else {
            throw reader.fail(node, "disturb.delay_ms must be [MIN, MAX] in milliseconds (like [0, 20]) or one number")
        }
        var values: [Double] = []
        for b in bounds { values.append(try reader.number(b, "disturb.delay_ms", limit)) }
        guard let lo = values.first, let hi = values.last else { throw reader.fail(node, "disturb.delay_ms is empty") }
        guard lo <= hi else { throw reader.fail(node, "disturb.delay_ms: the minimum (\(lo)) is above the maximum (\(hi))") }
        return lo...hi
    }
}
