import Packets

/// One bearer token the agent accepts, optionally scoped to one more address it may probe.
public struct AgentToken: Hashable, Sendable {
    /// Position in the file (0-based), which keys the rate limiter instead of the secret.
    public var index: Int
    /// The line it was read from (1-based), for messages.
    public var line: Int
    public var secret: [UInt8]
    /// An address requests with this token may name as their target besides the requester's own.
    public var scope: IPAddress?

    public init(index: Int, line: Int, secret: [UInt8], scope: IPAddress?) {
        self.index = index
        self.line = line
        self.secret = secret
        self.scope = scope
    }
}

/// A token file could not be used; one sentence naming the file and line.
public struct TokenFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The agent's token file: one token per line, optionally followed by `scope ADDRESS`;
/// `#` starts a comment; blank lines are skipped. Tokens are at least 16 printable ASCII
/// characters without spaces or `#`.
public struct TokenFile: Hashable, Sendable {
    public var tokens: [AgentToken]

    public static let minimumLength = 16
    public static let maximumLength = 512

    public init(tokens: [AgentToken]) { self.tokens = tokens }

    /// Parses the file's text; `name` names it in errors.
    public init(text: String, name: String) throws(TokenFileError) {
        var tokens: [AgentToken] = []
        for (offset, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }).enumerated() {
            let number = offset + 1
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = words.first else { continue }
            let secret = Array(first.utf8)
            guard secret.count >= Self.minimumLength else {
                throw TokenFileError("\(name) line \(number): a token must be at least \(Self.minimumLength) characters long (this one has \(secret.count)); make one with `openssl rand -hex 32`.")
            }
            guard secret.count <= Self.maximumLength, secret.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw TokenFileError("\(name) line \(number): a token must be at most \(Self.maximumLength) printable ASCII characters without spaces.")
            }
            var scope: IPAddress?
            if words.count > 1 {
                guard words[1] == "scope" else {
                    throw TokenFileError("\(name) line \(number): expected 'scope ADDRESS' after the token, found '\(RequestFields.printable(String(words[1])))'.")
                }
                guard words.count == 3, let address = IPAddress(String(words[2])) else {
                    throw TokenFileError("\(name) line \(number): 'scope' must be followed by one IPv4 or IPv6 address.")
                }
                scope = AgentScope.normalised(address)
            }
            if let earlier = tokens.first(where: { $0.secret == secret }) {
                throw TokenFileError("\(name) line \(number): the same token is already on line \(earlier.line).")
            }
            tokens.append(AgentToken(index: tokens.count, line: number, secret: secret, scope: scope))
        }
        guard !tokens.isEmpty else {
            throw TokenFileError("\(name) holds no token: put one per line (make one with `openssl rand -hex 32`).")
        }
        self.tokens = tokens
    }

    /// Why a file with permission bits `mode` must not be used, or nil when only its owner can read it.
    public static func permissionProblem(mode: UInt32, path: String) -> String? {
        guard mode & 0o077 != 0 else { return nil }
        return "\(path) can be read by other users (mode \(String(mode & 0o777, radix: 8))): restrict it with `chmod 600 \(path)`."
    }

    /// The token equal to `presented`, comparing against every token in constant time per
    /// token, so timing tells nothing about which bytes matched.
    public func match(_ presented: [UInt8]) -> AgentToken? {
        var found: AgentToken?
        for token in tokens where Self.constantTimeEqual(token.secret, presented) { found = token }
        return found
    }

    /// Equality whose running time depends only on the lengths, not on where the bytes differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }

    /// Authenticates an `Authorization` header value: the token, or a 401 refusal.
    public func authenticate(authorization: String?) -> Result<AgentToken, AgentRefusal> {
        guard let header = authorization?.trimmingSpaces, !header.isEmpty else {
            return .failure(.unauthorized("the request carries no token: send the header 'Authorization: Bearer TOKEN'"))
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .failure(.unauthorized("the Authorization header must be 'Bearer TOKEN'"))
        }
        guard let token = match(Array(parts[1].trimmingSpaces.utf8)) else {
            return .failure(.unauthorized("the token is not one this agent accepts: check --token against the agent's token file"))
        }
        return .success(token)
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
