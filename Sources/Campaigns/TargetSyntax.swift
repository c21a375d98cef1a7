import Packets

/// What one line of a target list names, before names are resolved and prefixes expanded.
enum TargetHost: Hashable {
    case address(IPAddress)
    case prefix(IPPrefix)
    /// Lower case, without a trailing dot.
    case name(String)
}

/// One target line as written.
struct TargetLine {
    var host: TargetHost
    var ports: [ServicePort]?
    var input: String
    var line: Int
}

/// The syntax of one line: `ADDRESS`, `CIDR`, `NAME`, each optionally followed by
/// `:PORT[,PORT...]`; IPv6 takes a port only inside brackets (`[2001:db8::1]:443`).
/// Problems come back as one sentence; the caller adds file and line.
enum TargetSyntax {
    static let maximumTargetBytes = 1024

    static func parse(_ text: String, line: Int) -> Result<TargetLine, TargetProblem> {
        guard text.utf8.count <= maximumTargetBytes else {
            return .failure(TargetProblem("the target is \(text.utf8.count) bytes long; write one address, CIDR prefix or host name (with ports) per line, at most \(maximumTargetBytes) bytes"))
        }
        guard !text.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 }) else {
            return .failure(TargetProblem("'\(clip(text))' has spaces inside; write one target per line, like name.example:443"))
        }
        let hostText: Substring
        var portText: Substring? = nil
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure(TargetProblem("'\(clip(text))' opens '[' without closing it; write [IPv6]:port, like [2001:db8::1]:443"))
            }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else {
                    return .failure(TargetProblem("'\(clip(text))' has '\(clip(String(rest)))' after ']'; write [IPv6]:port, like [2001:db8::1]:443"))
                }
                portText = rest.dropFirst()
            }
            guard hostText.contains(":") else {
                return .failure(TargetProblem("brackets hold an IPv6 address, not '\(clip(String(hostText)))'; write IPv4 addresses and names without them"))
            }
        } else {
            let colons = text.utf8.reduce(0) { $1 == UInt8(ascii: ":") ? $0 + 1 : $0 }
            if colons == 1, let colon = text.firstIndex(of: ":") {
                hostText = text[..<colon]
                portText = text[text.index(after: colon)...]
            } else {
                hostText = text[...]
            }
        }
        let host: TargetHost
        switch parseHost(String(hostText)) {
        case .success(let h): host = h
        case .failure(let problem): return .failure(problem)
        }
        var ports: [ServicePort]? = nil
        if let portText {
            switch parsePorts(portText, in: text) {
            case .success(let p): ports = p
            case .failure(let problem): return .failure(problem)
            }
        }
        return .success(TargetLine(host: host, ports: ports, input: text, line: line))
    }

    /// `443`, `443,80` or `3478/udp`; repeated ports are kept once.
    static func parsePorts(_ text: Substring, in target: String) -> Result<[ServicePort], TargetProblem> {
        var ports: [ServicePort] = []
        for token in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let port = ServicePort(String(token)) else {
                return .failure(TargetProblem("bad port '\(clip(String(token)))' in '\(clip(target))'; a port is a number from 1 to 65535, optionally followed by /udp, like 443 or 3478/udp"))
            }
            if !ports.contains(port) { ports.append(port) }
        }
        return .success(ports)
    }

    static func parseHost(_ text: String) -> Result<TargetHost, TargetProblem> {
        if text.contains("/") {
            guard let prefix = IPPrefix(text) else {
                return .failure(TargetProblem("malformed CIDR '\(clip(text))'; write an address, '/' and a length up to 32 for IPv4 or 128 for IPv6, like 198.18.20.0/24"))
            }
            let network = networkAddress(prefix)
            guard network == prefix.address else {
                return .failure(TargetProblem("CIDR '\(clip(text))' has bits set past its length; the prefix is \(network)/\(prefix.length)"))
            }
            return .success(.prefix(prefix))
        }
        if let address = IPAddress(text) { return .success(.address(address)) }
        if let name = hostName(text) { return .success(.name(name)) }
        let looksNumeric = !text.isEmpty && text.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") || c == UInt8(ascii: ":")
                || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
        } && (text.contains(":") || text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") })
        if looksNumeric {
            return .failure(TargetProblem("malformed address '\(clip(text))'; write an IPv4 address like 198.18.9.2 or an IPv6 address like 2001:db8::1"))
        }
        return .failure(TargetProblem("'\(clip(text))' is not an address, CIDR prefix or host name; host names are letters, digits and '-' in dot-separated labels, like irc.example.org"))
    }

    /// An RFC 1123 host name, normalised to lower case without the trailing dot; nil if it is not one.
    /// The last label may not be all digits, so a mistyped IPv4 address is never taken for a name.
    static func hostName(_ text: String) -> String? {
        let trimmed = text.hasSuffix(".") ? text.dropLast() : text[...]
        guard !trimmed.isEmpty, trimmed.utf8.count <= 253 else { return nil }
        let labels = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            let bytes = label.utf8
            guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-"),
                  bytes.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else { return nil }
        }
        guard let last = labels.last, !last.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return trimmed.lowercased()
    }

    static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    /// The prefix's address with the bits past its length cleared.
    static func networkAddress(_ prefix: IPPrefix) -> IPAddress {
        switch prefix.address {
        case .v4(let a):
            let mask: UInt32 = prefix.length == 0 ? 0 : ~(UInt32.max >> UInt32(prefix.length))
            return .v4(IPv4Address(a.value & mask))
        case .v6(let a):
            func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> UInt64(bits)) }
            return .v6(IPv6Address(high: a.high & mask(prefix.length), low: a.low & mask(prefix.length - 64)))
        }
    }

    /// How many host bits the prefix leaves: its size is 2 to that power.
    static func hostBits(_ prefix: IPPrefix) -> Int {
        switch prefix.address {
        case .v4: return 32 - prefix.length
        case .v6: return 128 - prefix.length
        }
    }

    /// Every address in a prefix whose size the caller has already checked (at most 2^62).
    static func expand(_ prefix: IPPrefix) -> [IPAddress] {
        let bits = hostBits(prefix)
        guard bits <= 62 else { return [] }
        let count = UInt64(1) << UInt64(bits)
        switch networkAddress(prefix) {
        case .v4(let base):
            return (0..<count).map { .v4(IPv4Address(base.value | UInt32(truncatingIfNeeded: $0))) }
        case .v6(let base):
            return (0..<count).map { .v6(IPv6Address(high: base.high, low: base.low | $0)) }
        }
    }

    static func clip(_ text: String) -> String {
        text.utf8.count <= 80 ? text : String(text.prefix(80)) + "…"
    }
}

/// Why a target line was refused: one sentence.
struct TargetProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
