import JSONSupport

// Lenient readers over untrusted JSON: a field of the wrong type reads as absent, so a
// hostile or older result degrades a report rather than stopping it.
extension JSONValue {
    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// An integer, also from a Double with no fraction that fits in an Int.
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

    var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// The field as an object, or nil when absent, null or not an object.
    func object(_ key: String) -> JSONValue? {
        guard let value = self[key], value.isObject else { return nil }
        return value
    }

    func string(_ key: String) -> String? { self[key]?.stringValue }
    func int(_ key: String) -> Int? { self[key]?.intValue }
    func double(_ key: String) -> Double? { self[key]?.doubleValue }
    func bool(_ key: String) -> Bool? { self[key]?.boolValue }
    /// The elements of an array field that are objects; others are skipped.
    func objects(_ key: String) -> [JSONValue] { (self[key]?.arrayValue ?? []).filter(\.isObject) }
    /// The elements of an array field that are strings; others are skipped.
    func strings(_ key: String) -> [String] { (self[key]?.arrayValue ?? []).compactMap(\.stringValue) }
}

/// A number for people: integers without a fraction, others with up to `digits` decimals.
func formatNumber(_ value: Double, digits: Int = 2) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    var scale = 1.0
    for _ in 0..<max(0, min(digits, 9)) { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int64(rounded)) : String(rounded)
}
