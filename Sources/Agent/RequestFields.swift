import JSONSupport
import Packets

/// Strict reading of a request object's fields: each accessor refuses a wrong type or
/// range with a sentence naming the field, and `init` refuses unknown and repeated keys.
struct RequestFields {
    private let fields: [String: JSONValue]
    let what: String
    /// Put before field names in messages ("payload." for the nested object).
    let prefix: String

    /// `value` must be an object whose keys are all in `allowed` and none repeated.
    init(_ value: JSONValue, what: String, allowed: [String], prefix: String = "") throws(AgentRefusal) {
        guard case .object(let pairs) = value else {
            throw .badRequest("\(what) must be a JSON object")
        }
        var seen: [String: JSONValue] = [:]
        for (key, value) in pairs {
            guard allowed.contains(key) else {
                throw .badRequest("unknown field '\(Self.printable(key))' in \(what): it takes \(Self.list(allowed))")
            }
            guard seen[key] == nil else { throw .badRequest("field '\(prefix)\(key)' is given twice in \(what)") }
            seen[key] = value
        }
        fields = seen
        self.what = what
        self.prefix = prefix
    }

    /// Parses a request body: valid UTF-8 JSON, at most 4 levels deep.
    static func parse(_ body: [UInt8]) throws(AgentRefusal) -> JSONValue {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw .badRequest("the request has no body: send a JSON object")
        }
        do { return try JSONParser.parse(bytes: body, maxDepth: 4) } catch {
            throw .badRequest("the request body is not valid JSON (\(error.description))")
        }
    }

    func has(_ key: String) -> Bool { fields[key] != nil && fields[key] != .null }

    func value(_ key: String) -> JSONValue? {
        guard let v = fields[key], v != .null else { return nil }
        return v
    }

    func string(_ key: String) throws(AgentRefusal) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw .badRequest("field '\(prefix)\(key)' must be a string") }
        return s
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(AgentRefusal) -> Int? {
        guard let v = value(key) else { return nil }
        let n: Int64
        switch v {
        case .int(let i): n = i
        case .double(let d) where d.isFinite && d == d.rounded() && abs(d) < 1e15: n = Int64(d)
        default: throw .badRequest("field '\(prefix)\(key)' must be a whole number between \(range.lowerBound) and \(range.upperBound)")
        }
        guard n >= Int64(range.lowerBound), n <= Int64(range.upperBound) else {
            throw .badRequest("field '\(prefix)\(key)' must be between \(range.lowerBound) and \(range.upperBound), not \(n)")
        }
        return Int(n)
    }

    func address(_ key: String) throws(AgentRefusal) -> IPAddress? {
        guard let s = try string(key) else { return nil }
        guard s.utf8.count <= 64, let a = IPAddress(s) else {
            throw .badRequest("field '\(prefix)\(key)' must be an IPv4 or IPv6 address, not '\(Self.printable(s))'")
        }
        return a
    }

    /// `text` cut to 40 characters with control characters shown as `?`, for error messages.
    static func printable(_ text: String) -> String {
        let clipped = text.unicodeScalars.prefix(40).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }
        return String(clipped) + (text.unicodeScalars.count > 40 ? "…" : "")
    }

    static func list(_ names: [String]) -> String {
        guard let last = names.last else { return "no fields" }
        return names.count == 1 ? last : names.dropLast().joined(separator: ", ") + " and " + last
    }
}
