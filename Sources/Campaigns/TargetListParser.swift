import Packets

extension TargetList {
    /// The default cap on the addresses a list may expand to (`--max-targets`).
    public static let defaultMaximumAddresses = 65536

    /// Parses a target file (Docs/campaigns.md): one address, CIDR prefix or host name per line,
    /// each optionally with `:PORT[,PORT...]`; `#` starts a comment. Names are resolved with
    /// `resolve`, once per distinct name. Prefix sizes are checked against `maxAddresses`
    /// before anything is expanded. Hostile input never traps.
    public static func parse(_ text: String, source: String, maxAddresses: Int = defaultMaximumAddresses,
                             resolve: (String) throws -> [IPAddress]) throws(CampaignError) -> TargetList {
        let lines = try targetLines(text, source: source)
        guard !lines.isEmpty else {
            throw CampaignError(file: source, line: nil, message: "the file has no targets, only comments and blank lines; write one address, CIDR prefix or host name per line")
        }
        // Before any DNS: the addresses and prefixes alone may already be too many.
        try checkSize(lines.map { size(of: $0.host, resolved: [:]) }, lines: lines, limit: maxAddresses, source: source)
        let resolved = try resolveNames(lines, source: source, resolve: resolve)
        let byName = Dictionary(resolved.map { ($0.name, $0.addresses) }, uniquingKeysWith: { first, _ in first })
        try checkSize(lines.map { size(of: $0.host, resolved: byName) }, lines: lines, limit: maxAddresses, source: source)

        var seen = Set<TargetKey>()
        var targets: [CampaignTarget] = []
        for line in lines {
            let name: String?
            let addresses: [IPAddress]
            switch line.host {
            case .address(let a): (name, addresses) = (nil, [a])
            case .prefix(let p): (name, addresses) = (nil, TargetSyntax.expand(p))
            case .name(let n): (name, addresses) = (n, byName[n] ?? [])
            }
            for address in addresses where seen.insert(TargetKey(address: address, name: name, ports: line.ports)).inserted {
                targets.append(CampaignTarget(address: address, name: name, ports: line.ports, input: line.input, line: line.line))
            }
        }
        return TargetList(targets: targets, resolved: resolved)
    }

    /// The same from raw file bytes: refuses bytes that are not UTF-8, naming the line.
    public static func parse(bytes: [UInt8], source: String, maxAddresses: Int = defaultMaximumAddresses,
                             resolve: (String) throws -> [IPAddress]) throws(CampaignError) -> TargetList {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            var line = 1
            for chunk in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                if String(validating: chunk, as: UTF8.self) == nil { break }
                line += 1
            }
            throw CampaignError(file: source, line: line, message: "the line is not UTF-8 text; a target list is plain text, one target per line")
        }
        return try parse(text, source: source, maxAddresses: maxAddresses, resolve: resolve)
    }

    /// The target lines, comments and blank lines dropped, each checked for syntax.
    static func targetLines(_ text: String, source: String) throws(CampaignError) -> [TargetLine] {
        var out: [TargetLine] = []
        var number = 0
        for raw in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            // Scalars, not Characters: "\r\n" is one Character and would hide the line's end.
            let scalars = String(decoding: raw, as: UTF8.self).unicodeScalars
            if scalars.contains("\u{0}") {
                throw CampaignError(file: source, line: number, message: "the line contains a NUL byte; a target list is plain text, one target per line")
            }
            if scalars.contains("\u{FFFD}") {
                throw CampaignError(file: source, line: number, message: "the line contains U+FFFD, the mark of bytes that were not UTF-8; a target list is plain UTF-8 text")
            }
            let content = scalars.prefix { $0 != "#" }
            guard let first = content.firstIndex(where: { !isSpace($0) }),
                  let last = content.lastIndex(where: { !isSpace($0) }) else { continue }
            switch TargetSyntax.parse(String(content[first...last]), line: number) {
            case .success(let line): out.append(line)
            case .failure(let problem): throw CampaignError(file: source, line: number, message: problem.message)
            }
        }
        return out
    }

    private static func isSpace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\r" || s == "\u{0B}" || s == "\u{0C}" || s == "\u{FEFF}"
    }

    /// Each distinct name resolved once, in the order the list first names it.
    static func resolveNames(_ lines: [TargetLine], source: String, resolve: (String) throws -> [IPAddress]) throws(CampaignError) -> [ResolvedName] {
        var out: [ResolvedName] = []
        for line in lines {
            guard case .name(let name) = line.host, !out.contains(where: { $0.name == name }) else { continue }
            let answer: [IPAddress]
            do {
                answer = try resolve(name)
            } catch {
                throw CampaignError(file: source, line: line.line, message: "cannot resolve '\(name)': \(error)")
            }
            var addresses: [IPAddress] = []
            for a in answer where !addresses.contains(a) { addresses.append(a) }
            guard !addresses.isEmpty else {
                throw CampaignError(file: source, line: line.line, message: "'\(name)' resolves to no addresses; check the name or write its addresses instead")
            }
            out.append(ResolvedName(name: name, addresses: addresses, line: line.line))
        }
        return out
    }

    /// How many addresses a line stands for: the base-2 logarithm when it is too large to count.
    enum Size { case count(Int), power(Int) }

    static func size(of host: TargetHost, resolved: [String: [IPAddress]]) -> Size {
        switch host {
        case .address: return .count(1)
        case .prefix(let p):
            let bits = TargetSyntax.hostBits(p)
            return bits <= 62 ? .count(1 << bits) : .power(bits)
        case .name(let n): return .count(resolved[n]?.count ?? 0)
        }
    }

    /// Refuses a list whose lines add up to more than `limit` addresses (duplicates counted),
    /// naming the line where the running total first passes it.
    static func checkSize(_ sizes: [Size], lines: [TargetLine], limit: Int, source: String) throws(CampaignError) {
        var total = 0
        var saturated = false
        var largestPower = 0
        var firstOver: Int? = nil
        for (size, line) in zip(sizes, lines) {
            switch size {
            case .count(let n):
                let (sum, overflow) = total.addingReportingOverflow(n)
                if overflow { saturated = true; largestPower = max(largestPower, 62) } else { total = sum }
            case .power(let bits):
                saturated = true
                largestPower = max(largestPower, bits)
            }
            if firstOver == nil, saturated || total > limit { firstOver = line.line }
        }
        guard let firstOver else { return }
        // Past 2^62 no cap helps: say so instead of suggesting a bigger one.
        let message = saturated
            ? "the list expands to at least 2^\(largestPower) addresses, more than the limit of \(limit); list single addresses or smaller prefixes"
            : "the list expands to \(total) addresses, more than the limit of \(limit); raise it with --max-targets"
        throw CampaignError(file: source, line: firstOver, message: message)
    }
}

/// What makes two targets the same: address, name and ports.
private struct TargetKey: Hashable {
    var address: IPAddress
    var name: String?
    var ports: [ServicePort]?
}
