import Packets

/// Where an agent is: `--agent https://HOST[:PORT][/]`.
public struct AgentURL: Hashable, Sendable, CustomStringConvertible {
    /// A name or an address (IPv6 without brackets).
    public var host: String
    public var port: Int
    /// The host as an address, when it is one.
    public var address: IPAddress? { IPAddress(host) }

    /// Parses the URL; only https, no user, no path beyond `/`, port 443 by default.
    public init(parsing text: String) throws(AgentClientError) {
        let t = text.trimmingSpaces
        guard t.lowercased().hasPrefix("https://") else {
            throw AgentClientError("--agent must be an https:// URL such as https://203.0.113.5:8443 (the agent speaks only HTTPS)")
        }
        var rest = Substring(t.dropFirst(8))
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else {
                throw AgentClientError("--agent must name the agent only (https://HOST:PORT), without a path")
            }
            rest = rest[..<slash]
        }
        guard !rest.contains("@"), !rest.contains("?"), !rest.contains("#") else {
            throw AgentClientError("--agent must be https://HOST:PORT, without user, query or fragment")
        }
        let (host, port) = try Self.hostAndPort(rest, defaultPort: 443, what: "--agent")
        self.host = host
        self.port = port
    }

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT` with brackets around IPv6, lower-case: the key of `known_agents`.
    public var endpoint: String {
        (host.contains(":") ? "[\(host)]" : host.lowercased()) + ":\(port)"
    }

    public var description: String { "https://" + endpoint }

    /// Splits `host[:port]` / `[v6][:port]`.
    static func hostAndPort(_ text: Substring, defaultPort: Int?, what: String) throws(AgentClientError) -> (String, Int) {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw AgentClientError("\(what): an IPv6 address must be closed with ']'") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw AgentClientError("\(what): expected ':PORT' after ']'") }
                portText = after.dropFirst()
            }
            guard IPv6Address(String(host)) != nil else { throw AgentClientError("\(what): '\(RequestFields.printable(String(host)))' is not an IPv6 address") }
        } else {
            let colons = text.filter { $0 == ":" }.count
            guard colons <= 1 else { throw AgentClientError("\(what): put an IPv6 address in brackets, e.g. [2001:db8::1]:8443") }
            if let colon = text.firstIndex(of: ":") {
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
            } else {
                host = text
            }
            let valid = !host.isEmpty && host.utf8.count <= 253
                && host.utf8.allSatisfy { b in (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2D || b == 0x2E }
            guard valid else { throw AgentClientError("\(what): '\(RequestFields.printable(String(host)))' is not a host name or address") }
        }
        let port: Int
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw AgentClientError("\(what): the port must be a number between 1 and 65535")
            }
            port = p
        } else if let defaultPort {
            port = defaultPort
        } else {
            throw AgentClientError("\(what) must be ADDRESS:PORT, e.g. 203.0.113.5:8443 or [2001:db8::1]:8443")
        }
        return (String(host), port)
    }
}

/// `agent serve --listen ADDRESS:PORT`.
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: Int

    public init(parsing text: String) throws(AgentClientError) {
        let (host, port) = try AgentURL.hostAndPort(Substring(text.trimmingSpaces), defaultPort: nil, what: "--listen")
        guard let address = IPAddress(host) else {
            throw AgentClientError("--listen must be an IP address and port, e.g. 0.0.0.0:8443 or [::]:8443, not '\(RequestFields.printable(text))'")
        }
        self.address = address
        self.port = port
    }

    /// `ADDRESS:PORT`, IPv6 in brackets.
    public var description: String {
        if case .v6 = address { return "[\(address)]:\(port)" }
        return "\(address):\(port)"
    }
}
