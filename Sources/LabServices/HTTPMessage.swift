// HTTP/1.x request heads and the lab's responses. Pure: no sockets here.

public struct HTTPRequestHead: Sendable, Equatable {
    public var method: String
    public var target: String
    public var version: String
    public var headers: [HTTPHeader]

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// The path without query or fragment; absolute-form targets lose scheme and authority.
    public var path: String {
        var t = Substring(target)
        if let scheme = t.firstRange(of: "://") {
            t = t[scheme.upperBound...]
            t = t.firstIndex(of: "/").map { t[$0...] } ?? "/"
        }
        if let q = t.firstIndex(where: { $0 == "?" || $0 == "#" }) { t = t[..<q] }
        return String(t)
    }
}

public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String
}

public enum HTTPParseError: Error, Equatable, Sendable {
    case malformedRequestLine
    case malformedHeader
    case tooManyHeaders
}

public enum HTTPRequestParser {
    public static let maxHeadLength = 16 * 1024
    public static let maxHeaders = 100

    /// The length of the head including its blank line, once `buffer` holds all of it.
    /// Bare LF line ends are accepted, as most servers do.
    public static func headLength(_ buffer: [UInt8]) -> Int? {
        var i = 0
        while i < buffer.count {
            if buffer[i] == 0x0A {
                if i + 1 < buffer.count, buffer[i + 1] == 0x0A { return i + 2 }
                if i + 2 < buffer.count, buffer[i + 1] == 0x0D, buffer[i + 2] == 0x0A { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    /// Parses a complete head (as delimited by `headLength`). Leading blank lines are skipped.
    public static func parse(_ head: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPRequestHead {
        var lines = head.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == 0x0D ? line.dropLast() : line
        }
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        guard let requestLine = lines.first else { throw .malformedRequestLine }
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, let method = token(parts[0]), !parts[1].isEmpty,
              parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
              parts[2].starts(with: Array("HTTP/".utf8)), parts[2].count <= 16 else {
            throw .malformedRequestLine
        }
        var headers: [HTTPHeader] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard headers.count < maxHeaders else { throw .tooManyHeaders }
            guard let colon = line.firstIndex(of: 0x3A), let name = token(line[..<colon]) else {
                throw .malformedHeader   // also rejects obsolete line folding (leading space)
            }
            let value = line[(colon + 1)...].drop { $0 == 0x20 || $0 == 0x09 }
            let trimmed = value.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
            guard trimmed.allSatisfy({ $0 >= 0x20 || $0 == 0x09 }), !trimmed.contains(0x7F) else {
                throw .malformedHeader
            }
            headers.append(HTTPHeader(name: name, value: String(decoding: trimmed, as: UTF8.self)))
        }
        return HTTPRequestHead(method: method, target: String(decoding: parts[1], as: UTF8.self),
                               version: String(decoding: parts[2], as: UTF8.self), headers: headers)
    }

    /// An RFC 9110 token, or nil.
    private static func token(_ bytes: ArraySlice<UInt8>) -> String? {
        let extra = Array("!#$%&'*+-.^_`|~".utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({
            ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || extra.contains($0)
        }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What the lab's web server answers, before it is written to a socket.
public struct HTTPReply: Sendable {
    public var status: Int
    public var reason: String
    public var contentType: String
    /// The body, or for `/bytes/N` only its length (generated while sending).
    public var body: [UInt8]
    public var generatedLength: Int?

    public var contentLength: Int { generatedLength ?? body.count }

    public func head(node: String) -> [UInt8] {
        var s = "HTTP/1.1 \(status) \(reason)\r\n"
        s += "Server: censorscope-lab\r\n"
        s += "X-Lab-Node: \(HTTPReply.headerSafe(node))\r\n"
        s += "Content-Type: \(contentType)\r\n"
        s += "Content-Length: \(contentLength)\r\n"
        s += "Cache-Control: no-store\r\n"
        s += "Connection: close\r\n\r\n"
        return Array(s.utf8)
    }

    /// Keeps a value printable ASCII so it cannot break the response head.
    static func headerSafe(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { (0x20..<0x7F).contains($0.value) ? $0 : "?" }))
    }
}

/// Routes a request: `/bytes/N` gives N bytes (N ≤ `maxBytes`), anything else a page that
/// names the node and echoes the Host header.
public enum HTTPRouter {
    public static let maxBytes = 10 * 1024 * 1024

    public struct Context: Sendable {
        public var node: String
        public var scheme: String        // "http" or "https"
        public var sni: String?
        public var client: String?

        public init(node: String, scheme: String, sni: String? = nil, client: String? = nil) {
            self.node = node
            self.scheme = scheme
            self.sni = sni
            self.client = client
        }
    }

    public static func reply(to request: HTTPRequestHead, _ context: Context) -> HTTPReply {
        let path = request.path
        if path.hasPrefix("/bytes/") {
            let digits = path.dropFirst("/bytes/".count)
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let n = Int(digits), n <= maxBytes else {
                return error(400, "Bad Request", "/bytes/N takes a whole number of bytes up to \(maxBytes).", context)
            }
            return HTTPReply(status: 200, reason: "OK", contentType: "application/octet-stream",
                             body: [], generatedLength: n)
        }
        var rows = [
            ("Host", request.header("Host") ?? "(none)"),
            ("Request", "\(request.method) \(request.target) \(request.version)"),
            ("Scheme", context.scheme),
        ]
        if context.scheme == "https" { rows.append(("SNI", context.sni ?? "(none)")) }
        if let client = context.client { rows.append(("Client", client)) }
        let table = rows.map { "<tr><th>\($0.0)</th><td><code>\(escape($0.1))</code></td></tr>" }.joined(separator: "\n")
        let page = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>CensorScope lab: \(escape(context.node))</title></head>
            <body><h1>CensorScope lab server \(escape(context.node))</h1>
            <table>
            \(table)
            </table>
            </body></html>

            """
        return HTTPReply(status: 200, reason: "OK", contentType: "text/html; charset=utf-8",
                         body: Array(page.utf8), generatedLength: nil)
    }

    public static func error(_ status: Int, _ reason: String, _ message: String, _ context: Context) -> HTTPReply {
        let page = """
            <!doctype html>
            <html><head><title>\(status) \(reason)</title></head>
            <body><h1>\(status) \(reason)</h1><p>\(escape(message))</p><p>CensorScope lab server \(escape(context.node))</p></body></html>

            """
        return HTTPReply(status: status, reason: reason, contentType: "text/html; charset=utf-8",
                         body: Array(page.utf8), generatedLength: nil)
    }

    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
