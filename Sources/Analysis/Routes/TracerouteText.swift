import Packets

/// The classic `traceroute` text: a `traceroute to NAME (ADDR), 30 hops max, …` header,
/// then ` 1  name (addr)  0.345 ms  0.311 ms *` lines (Linux), or responders after the
/// first on continuation lines (BSD, macOS). `-n` output, `* * *`, several responders per
/// line, `!H`-style marks, `-A` `[AS…]` and `-e` `<MPLS…>` annotations are understood;
/// the annotations are ignored (AS numbers come from `--asn-db`).
enum TracerouteText {
    /// Parses the `index`th traceroute (0-based) of a text holding one or several.
    static func parse(_ text: String, name: String, index: Int?) throws(RouteImportError) -> RoutePath {
        var blocks: [Block] = []
        var current = Block()
        var ignored = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine[...]
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty { continue }
            if let header = Header(trimmed) {
                if current.hasContent { blocks.append(current) }
                current = Block(header: header)
                continue
            }
            let tokens = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if let first = tokens.first, first.allSatisfy(\.isASCIIDigit), first.count <= 3, let ttl = Int(first) {
                if !current.readHop(ttl: ttl, tokens: tokens.dropFirst()) { ignored += 1 }
            } else if trimmed.count < line.count, current.lastTTL != nil, tokens.first?.allSatisfy(\.isASCIIDigit) == false,
                      current.readContinuation(tokens: tokens[...]) {
                continue
            } else {
                ignored += 1
            }
        }
        if current.hasContent { blocks.append(current) }
        let traced = blocks.filter { !$0.collector.isEmpty }
        guard !traced.isEmpty else {
            if blocks.contains(where: { $0.header != nil }) {
                throw RouteImportError("\(name) holds a traceroute header but no hop lines, so there is no path.")
            }
            throw RouteImportError("\(name) is neither JSON nor traceroute text: it has no 'traceroute to' header and no numbered hop lines.")
        }
        let chosen = index ?? 0
        guard chosen < traced.count else {
            throw RouteImportError("\(name) holds \(traced.count) traceroute\(traced.count == 1 ? "" : "s"), so --index \(chosen) is out of range (0 to \(traced.count - 1)).")
        }
        let block = traced[chosen]
        var notes: [String] = []
        if traced.count > 1, index == nil {
            notes.append("\(name) holds \(traced.count) traceroutes; the first is used (choose another with --index).")
        }
        if ignored > 0, block.header == nil {
            notes.append("\(ignored) line\(ignored == 1 ? "" : "s") of \(name) did not read as traceroute hops and \(ignored == 1 ? "was" : "were") skipped.")
        }
        notes += RouteJSONFormats.skippedNote(block.collector, name: name)
        return RoutePath(source: RouteFormat.traceroute.rawValue, origin: block.header?.origin,
                         destination: block.header?.destination, hops: block.collector.hops(), notes: notes)
    }

    /// The address in an mtr/traceroute host field: `198.18.1.1`, or `name (198.18.1.1)`.
    static func address(inHost host: String) -> IPAddress? {
        let trimmed = host.stripping(" \t")
        guard trimmed.utf8.count <= 300 else { return nil }
        if let address = IPAddress(trimmed) { return address }
        guard trimmed.hasSuffix(")"), let open = trimmed.lastIndex(of: "(") else { return nil }
        return IPAddress(String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]))
    }

    /// `traceroute to NAME (ADDR)[ from SRC], N hops max, M byte packets`.
    struct Header {
        var destination: IPAddress?
        var origin: IPAddress?

        init?(_ line: Substring) {
            guard line.hasPrefix("traceroute to ") || line.hasPrefix("traceroute6 to ") else { return nil }
            let tokens = line.split(separator: " ")
            guard tokens.count >= 3 else { return nil }
            let target = tokens[2].stripping(",")
            if tokens.count > 3, tokens[3].hasPrefix("("), let inner = IPAddress(String(tokens[3].stripping("(),"))) {
                destination = inner
            } else {
                destination = IPAddress(target)
            }
            if let from = tokens.firstIndex(of: "from"), from + 1 < tokens.count {
                origin = IPAddress(tokens[from + 1].stripping(","))
            }
        }
    }

    /// One traceroute's header and hops.
    struct Block {
        var header: Header?
        var collector = HopCollector()
        var lastTTL: Int?

        var hasContent: Bool { header != nil || !collector.isEmpty }

        /// Reads the tokens after the hop number; false when none reads as traceroute's.
        mutating func readHop(ttl: Int, tokens: ArraySlice<Substring>) -> Bool {
            var reader = LineReader(ttl: ttl)
            reader.read(tokens)
            guard reader.recognised else { return false }
            reader.finish(into: &collector)
            lastTTL = ttl
            return true
        }

        /// A BSD continuation line: more responders for the last hop.
        mutating func readContinuation(tokens: ArraySlice<Substring>) -> Bool {
            guard let ttl = lastTTL else { return false }
            var reader = LineReader(ttl: ttl)
            reader.read(tokens)
            guard reader.recognised else { return false }
            reader.finish(into: &collector)
            return true
        }
    }

    /// The responders, times and losses on one line.
    struct LineReader {
        let ttl: Int
        /// One entry per probe outcome, in order: a responder's time, or a loss.
        var outcomes: [(address: IPAddress?, rtt: Double?, answered: Bool)] = []
        var responder: IPAddress?
        var hasResponder = false
        var responderTimed = false
        var inAnnotation = false
        /// Whether anything on the line is traceroute's: an address, a time or a `*`.
        var recognised = false

        init(ttl: Int) { self.ttl = ttl }

        mutating func read(_ tokens: ArraySlice<Substring>) {
            // A bare number is a time only when "ms" follows it.
            var pendingTime: Double?
            for token in tokens {
                if inAnnotation {
                    if token.hasSuffix("]") { inAnnotation = false }
                    continue
                }
                if token == "ms" {
                    if let rtt = pendingTime { time(rtt) }
                    pendingTime = nil
                    continue
                }
                pendingTime = nil
                if token == "*" {
                    outcomes.append((nil, nil, false))
                    recognised = true
                } else if token.hasPrefix("!") || token.hasPrefix("<") {
                    continue
                } else if token.hasPrefix("[") {
                    inAnnotation = !token.hasSuffix("]")
                } else if token.hasPrefix("("), token.hasSuffix(")"), let inner = IPAddress(String(token.dropFirst().dropLast())) {
                    responder = inner
                    recognised = true
                } else if let address = token.utf8.count <= 64 ? IPAddress(String(token)) : nil {
                    startResponder(address)
                    recognised = true
                } else if token.hasSuffix("ms"), let rtt = Self.milliseconds(token.dropLast(2)) {
                    time(rtt)
                } else if let rtt = Self.milliseconds(token) {
                    pendingTime = rtt
                } else {
                    startResponder(nil)   // a name; its address follows in parentheses
                }
            }
            closeResponder()
        }

        /// A probe's time, for the responder named last.
        mutating func time(_ rtt: Double) {
            guard hasResponder else { return }
            outcomes.append((responder, rtt, true))
            responderTimed = true
            recognised = true
        }

        mutating func startResponder(_ address: IPAddress?) {
            closeResponder()
            responder = address
            hasResponder = true
            responderTimed = false
        }

        /// A responder printed without a time still answered.
        mutating func closeResponder() {
            if hasResponder, !responderTimed { outcomes.append((responder, nil, true)) }
            responderTimed = true
        }

        func finish(into collector: inout HopCollector) {
            for o in outcomes { collector.add(ttl: ttl, address: o.address, rtt: o.rtt, answered: o.answered) }
        }

        /// `0.345`: a non-negative number of milliseconds.
        static func milliseconds(_ number: Substring) -> Double? {
            guard !number.isEmpty, number.count <= 16, number.allSatisfy({ $0.isASCIIDigit || $0 == "." }),
                  let value = Double(number), value.isFinite else { return nil }
            return value
        }
    }
}

fileprivate extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

fileprivate extension StringProtocol {
    /// The text without leading and trailing characters from `set`.
    func stripping(_ set: String) -> String {
        String(drop(while: { set.contains($0) }).reversed().drop(while: { set.contains($0) }).reversed())
    }
}
