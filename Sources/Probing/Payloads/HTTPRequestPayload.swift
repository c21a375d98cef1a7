/// A minimal HTTP/1.1 request naming a host, as a browser's first request would: what a
/// keyword or Host-header censor reads. It fits in one TCP segment, so one TTL-limited
/// send carries all of it.
public struct HTTPRequestPayload: Hashable, Sendable {
    /// The Host header's value (a name, optionally with ":port").
    public var host: String
    public var path: String
    public var userAgent: String

    /// curl's User-Agent: plain, and common enough not to stand out.
    public static let defaultUserAgent = "curl/8.5.0"

    public init(host: String, path: String = "/", userAgent: String = HTTPRequestPayload.defaultUserAgent) {
        self.host = host
        self.path = path
        self.userAgent = userAgent
    }

    /// The request text; CR and LF in the fields are dropped so a field cannot add lines.
    public var text: String {
        "GET \(Self.clean(path)) HTTP/1.1\r\n"
            + "Host: \(Self.clean(host))\r\n"
            + "User-Agent: \(Self.clean(userAgent))\r\n"
            + "Accept: */*\r\n"
            + "Connection: close\r\n"
            + "\r\n"
    }

    /// The bytes on the wire.
    public var bytes: [UInt8] { Array(text.utf8) }

    private static func clean(_ s: String) -> String {
        String(s.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
    }
}
