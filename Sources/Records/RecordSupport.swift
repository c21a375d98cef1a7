import JSONSupport

/// Why a JSON value is not a record of some type, as one sentence.
public struct RecordError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A typed result with a versioned schema: encoded to JSON in one place, decoded from JSON
/// only at the boundaries (files, stores and HTTP bodies a user or peer hands in).
public protocol JSONRecord: Sendable {
    /// "censorscope.NAME/VERSION" (Docs/data-formats.md, "Records").
    static var schema: String { get }
    /// The record as its documented JSON object, keys in the documented order.
    var json: JSONValue { get }
    /// Lenient: a field of the wrong type reads as absent; never traps on hostile input.
    init(json: JSONValue) throws(RecordError)
}

extension JSONRecord {
    /// Decodes one JSON text (the bytes of a file or body); a parse error is a `RecordError`.
    public init(bytes: [UInt8]) throws(RecordError) {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes: bytes) } catch {
            throw RecordError("not JSON (\(error.description))")
        }
        try self.init(json: value)
    }
}

/// Milliseconds as every output prints them: rounded to microseconds.
public func roundedMilliseconds(_ value: Double?) -> Double? {
    value.map { ($0 * 1000).rounded() / 1000 }
}

// Lenient readers over untrusted JSON: a field of the wrong type reads as absent, so a
// hostile or older result degrades rather than stops whatever reads it.
extension JSONValue {
    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// An integer, also from a Double with no fraction that fits.
    var intValue: Int? {
        switch self {
        case .int(let i): return Int(exactly: i)
        case .double(let d): return d.isFinite && d == d.rounded() && abs(d) < 9.0e15 ? Int(d) : nil
        default: return nil
        }
    }

    var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d.isFinite ? d : nil
        default: return nil
        }
    }

    var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var objectFields: [(key: String, value: JSONValue)]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    var isObject: Bool { objectFields != nil }

    /// The field as an object, or nil when absent, null or not an object.
    func object(_ key: String) -> JSONValue? {
        guard let value = self[key], value.isObject else { return nil }
        return value
    }

    func has(_ key: String) -> Bool { objectFields?.contains { $0.key == key } ?? false }
    func string(_ key: String) -> String? { self[key]?.stringValue }
    func int(_ key: String) -> Int? { self[key]?.intValue }
    func double(_ key: String) -> Double? { self[key]?.doubleValue }
    func bool(_ key: String) -> Bool? { self[key]?.boolValue }
    /// The elements of an array field that are objects; others are skipped.
    func objects(_ key: String) -> [JSONValue] { (self[key]?.arrayValue ?? []).filter(\.isObject) }
    /// The elements of an array field that are strings; others are skipped.
    func strings(_ key: String) -> [String] { (self[key]?.arrayValue ?? []).compactMap(\.stringValue) }
    /// The elements of an array field that are integers; others are skipped.
    func ints(_ key: String) -> [Int] { (self[key]?.arrayValue ?? []).compactMap(\.intValue) }
    /// An array field of objects decoded by `decode`, or nil when the field is not an array.
    func list<T>(_ key: String, _ decode: (JSONValue) -> T) -> [T]? {
        self[key]?.arrayValue.map { $0.filter(\.isObject).map(decode) }
    }

    /// The key after `key` in an object, if any: tells enriched hops (asn right after address) apart.
    func key(after key: String) -> String? {
        guard let fields = objectFields, let i = fields.firstIndex(where: { $0.key == key }), i + 1 < fields.count else { return nil }
        return fields[i + 1].key
    }
}

extension JSONValue {
    static func integer(_ value: Int?) -> JSONValue { value.map { .int(Int64($0)) } ?? .null }
    static func real(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
    static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
    static func ints(_ values: [Int]) -> JSONValue { .array(values.map { .int(Int64($0)) }) }
}
