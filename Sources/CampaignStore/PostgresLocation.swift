import Foundation

/// Where a PostgreSQL campaign store is, from `--db`: `postgres://USER[:PASSWORD]@HOST[:PORT]/NAME`
/// or, as libpq writes a Unix socket, `postgres://USER@/NAME?host=/socket/dir`; `sslmode`,
/// `sslrootcert`, `host` and `port` may be given as query parameters. Pure.
public struct PostgresLocation: Sendable, Hashable {
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        /// The socket file (`DIR/.s.PGSQL.PORT`).
        case socket(path: String, directory: String, port: Int)
    }

    /// libpq's sslmode values; `prefer` (libpq's default) tries TLS without checking the certificate.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var endpoint: Endpoint
    public var user: String
    /// From the URL only; the environment and the passfile are read by `resolvedPassword`.
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// A CA file for verify-ca / verify-full (default: the system's trust roots).
    public var rootCertificate: String?

    /// True for what `--db` gives as a PostgreSQL URL rather than a SQLite file path.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses a URL; `environment` supplies PGUSER, PGHOST, PGPORT as libpq reads them.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(CampaignStoreError) {
        func bad(_ why: String) -> CampaignStoreError {
            CampaignStoreError("--db \(PostgresLocation.redacted(text)) is not a PostgreSQL URL: \(why); write postgres://USER@HOST:PORT/NAME "
                + "or postgres://USER@/NAME?host=/socket/dir.")
        }
        guard text.utf8.count <= 4096 else { throw bad("it is longer than 4096 bytes") }
        guard let schemeEnd = text.range(of: "://"), PostgresLocation.isURL(text) else { throw bad("it does not start with postgres://") }
        var rest = String(text[schemeEnd.upperBound...])
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = String(rest[..<q])
        }
        var authority = rest
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = String(rest[..<slash])
            path = String(rest[rest.index(after: slash)...])
        }
        var userPart: String?
        var hostPart = authority
        if let at = authority.lastIndex(of: "@") {
            userPart = String(authority[..<at])
            hostPart = String(authority[authority.index(after: at)...])
        }
        var user: String?
        var password: String?
        if let userPart {
            let pieces = userPart.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let u = pieces[0].removingPercentEncoding else { throw bad("the user name is not valid percent-encoding") }
            user = u.isEmpty ? nil : u
            if pieces.count == 2 {
                guard let p = pieces[1].removingPercentEncoding else { throw bad("the password is not valid percent-encoding") }
                password = p
            }
        }
        var host: String?
        var port: Int?
        if !hostPart.isEmpty {
            var portText: Substring?
            if hostPart.hasPrefix("[") {
                guard let close = hostPart.firstIndex(of: "]") else { throw bad("an IPv6 host has no closing ]") }
                host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
                let after = hostPart[hostPart.index(after: close)...]
                if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw bad("text after the IPv6 host") }
            } else if let colon = hostPart.lastIndex(of: ":") {
                host = String(hostPart[..<colon])
                portText = hostPart[hostPart.index(after: colon)...]
            } else {
                host = hostPart.removingPercentEncoding ?? hostPart
            }
            if let portText {
                guard let p = Int(portText), (1...65535).contains(p) else { throw bad("port \(portText) is not 1 to 65535") }
                port = p
            }
        }
        guard let database = path.removingPercentEncoding else { throw bad("the database name is not valid percent-encoding") }
        guard !database.contains("/") else { throw bad("the database name contains /") }
        var tls = TLSMode.prefer
        var rootCertificate: String?
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, let value = kv[1].removingPercentEncoding else { throw bad("parameter \(pair) is not NAME=VALUE") }
            switch kv[0] {
            case "host": host = value
            case "port":
                guard let p = Int(value), (1...65535).contains(p) else { throw bad("port \(value) is not 1 to 65535") }
                port = p
            case "user": user = value
            case "password": password = value
            case "dbname": path = value
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw bad("sslmode \(value) is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = mode
            case "sslrootcert": rootCertificate = value
            case "application_name", "connect_timeout": break
            default: throw bad("parameter \(kv[0]) is not one this tool reads (host, port, user, password, dbname, sslmode, sslrootcert)")
            }
        }
        let finalUser = user ?? environment["PGUSER"] ?? PostgresLocation.currentUser()
        let finalHost = host ?? environment["PGHOST"] ?? "/var/run/postgresql"
        var finalPort = port ?? 5432
        if port == nil, let text = environment["PGPORT"] {
            guard let p = Int(text), (1...65535).contains(p) else { throw bad("PGPORT \(text) is not 1 to 65535") }
            finalPort = p
        }
        self.user = finalUser
        self.password = password
        self.database = path.isEmpty ? finalUser : (database.isEmpty ? path : database)
        self.tls = tls
        self.rootCertificate = rootCertificate
        if finalHost.hasPrefix("/") {
            endpoint = .socket(path: finalHost + "/.s.PGSQL.\(finalPort)", directory: finalHost, port: finalPort)
            if tls == .require || tls == .verifyCA || tls == .verifyFull {
                throw bad("sslmode=\(tls.rawValue) asks for TLS, which a Unix socket does not use")
            }
        } else {
            endpoint = .tcp(host: finalHost, port: finalPort)
        }
    }

    /// The URL as shown to people: never the password.
    public var display: String {
        switch endpoint {
        case .tcp(let host, let port):
            let h = host.contains(":") ? "[\(host)]" : host
            return "postgres://\(user)@\(h):\(port)/\(database)"
        case .socket(_, let directory, let port):
            return "postgres://\(user)@/\(database)?host=\(directory)" + (port == 5432 ? "" : "&port=\(port)")
        }
    }

    /// The password: the URL's, else PGPASSWORD, else the first matching line of the passfile
    /// (PGPASSFILE or ~/.pgpass; as libpq, one readable by group or others is ignored).
    public func resolvedPassword(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let password { return password }
        if let p = environment["PGPASSWORD"] { return p }
        let file = environment["PGPASSFILE"] ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.pgpass"
        var info = stat()
        guard stat(file, &info) == 0, info.st_mode & 0o077 == 0, info.st_size <= 1 << 20,
              let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        let (host, port): (String, Int)
        switch endpoint {
        case .tcp(let h, let p): (host, port) = (h, p)
        // libpq matches a socket connection with `localhost` (or the socket directory).
        case .socket(_, let directory, let p): (host, port) = (directory, p)
        }
        return PostgresLocation.passfileMatch(text, host: host, socket: { if case .socket = endpoint { true } else { false } }(),
                                              port: port, database: database, user: user)
    }

    /// The password of the first line `host:port:database:user:password` that matches (`*`
    /// matches anything, `\:` and `\\` escape), or nil.
    static func passfileMatch(_ text: String, host: String, socket: Bool, port: Int, database: String, user: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = [""]
            var escaped = false
            for c in line {
                if escaped { fields[fields.count - 1].append(c); escaped = false } else if c == "\\" { escaped = true } else if c == ":" && fields.count < 5 {
                    fields.append("")
                } else { fields[fields.count - 1].append(c) }
            }
            guard fields.count == 5 else { continue }
            let hostMatches = fields[0] == "*" || fields[0] == host || (socket && fields[0] == "localhost")
            if hostMatches, fields[1] == "*" || fields[1] == String(port), fields[2] == "*" || fields[2] == database,
               fields[3] == "*" || fields[3] == user {
                return fields[4]
            }
        }
        return nil
    }

    /// A URL with any password replaced, for sentences about a URL that did not parse.
    static func redacted(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    static func currentUser() -> String {
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return "postgres"
    }
}
