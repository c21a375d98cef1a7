import JSONSupport

/// Why the agent refuses a request: an HTTP status and one sentence, sent as
/// `{"error": "..."}`.
public struct AgentRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// The HTTP status code (400, 401, 403, 404, 405, 413, 429, 500).
    public var status: Int
    /// One sentence that says what was wrong and what to do.
    public var message: String
    /// For 429: seconds until the client's bucket holds a request again.
    public var retryAfterSeconds: Int?

    public init(status: Int, message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { message }

    /// The response body.
    public var json: JSONValue { .object([("error", .string(message))]) }

    /// 400: a malformed request; the message names the field.
    public static func badRequest(_ message: String) -> AgentRefusal { AgentRefusal(status: 400, message: message) }
    /// 401: no token, or not one of the agent's.
    public static func unauthorized(_ message: String) -> AgentRefusal { AgentRefusal(status: 401, message: message) }
    /// 403: a target the agent will not probe.
    public static func forbidden(_ message: String) -> AgentRefusal { AgentRefusal(status: 403, message: message) }
    /// 404: a path the agent does not serve.
    public static func notFound(_ message: String) -> AgentRefusal { AgentRefusal(status: 404, message: message) }
    /// 429: over the rate limit.
    public static func tooManyRequests(retryAfter: Int) -> AgentRefusal {
        AgentRefusal(status: 429, message: "too many requests from this address with this token: wait \(retryAfter) s and try again",
                     retryAfterSeconds: retryAfter)
    }

    /// The standard reason phrase of `status`.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status \(status)"
        }
    }
}
