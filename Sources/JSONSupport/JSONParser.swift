/// Why a text is not JSON, and where: 1-based line and column (column counts characters).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int
    /// Byte offset of the problem in the input.
    public var offset: Int

    public init(message: String, line: Int, column: Int, offset: Int) {
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A strict RFC 8259 parser into `JSONValue` (objects keep their key order). It never traps:
/// nesting deeper than `maxDepth`, invalid UTF-8, lone surrogates, control characters in
/// strings and numbers outside a Double's range are errors with a line and column.
public enum JSONParser {
    /// Deep enough for any real document, shallow enough for the recursion to be safe.
    public static let defaultMaxDepth = 512

    /// Parses one JSON text (surrounding whitespace allowed, nothing else).
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try parse(bytes: Array(text.utf8), maxDepth: maxDepth)
    }

    /// Parses one JSON text from UTF-8 bytes; a leading byte-order mark is ignored.
    public static func parse(bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        var cursor = Cursor(bytes: bytes, end: bytes.count, maxDepth: maxDepth)
        cursor.skipByteOrderMark()
        return try cursor.parseDocument()
    }

    /// Parses JSON Lines: one JSON text per line; blank lines are skipped. Errors name the
    /// line in the whole input.
    public static func parseLines(bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> [JSONValue] {
        var values: [JSONValue] = []
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var cursor = Cursor(bytes: bytes, end: end, maxDepth: maxDepth)
            cursor.position = start
            cursor.skipWhitespace()
            if cursor.position < end { values.append(try cursor.parseDocument()) }
            start = end + 1
        }
        return values
    }

    /// Parses a file of results: one JSON text, or JSON Lines when the first text is
    /// followed by more. A top-level array gives its elements; anything else is one value.
    public static func parseDocuments(bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> [JSONValue] {
        do {
            let value = try parse(bytes: bytes, maxDepth: maxDepth)
            if case .array(let items) = value { return items }
            return [value]
        } catch let error where error.message.hasPrefix(Cursor.trailingContent) {
            return try parseLines(bytes: bytes, maxDepth: maxDepth)
        }
    }
}

/// The parser's state: a position in a byte buffer, read up to `end`.
private struct Cursor {
    static let trailingContent = "unexpected content after the JSON value"

    let bytes: [UInt8]
    let end: Int
    let maxDepth: Int
    var position = 0

    init(bytes: [UInt8], end: Int, maxDepth: Int) {
        self.bytes = bytes
        self.end = min(end, bytes.count)
        self.maxDepth = max(maxDepth, 1)
    }

    mutating func skipByteOrderMark() {
        if end >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position >= end else { throw error(Cursor.trailingContent) }
        return value
    }

    var current: UInt8? { position < end ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard let byte = current else { throw error("the input ends where a value was expected") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("\(describe(byte)) cannot start a JSON value")
        }
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw error("objects and arrays nest deeper than \(maxDepth) levels") }
        position += 1
        var fields: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return .object(fields) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error(expected("a string key", "}")) }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error(expected("':' after the key", nil)) }
            position += 1
            skipWhitespace()
            fields.append((key: key, value: try parseValue(depth: depth)))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(fields)
            default: throw error(expected("',' or '}' in an object", nil))
            }
        }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw error("objects and arrays nest deeper than \(maxDepth) levels") }
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(items)
            default: throw error(expected("',' or ']' in an array", nil))
            }
        }
    }

    mutating func expectLiteral(_ word: StaticString) throws(JSONParseError) {
        let start = position
        let text = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for expectedByte in text {
            guard current == expectedByte else {
                position = start
                throw error("expected '\(word)'")
            }
            position += 1
        }
    }

    /// Parses a number by the RFC's grammar, then converts: Int64 when it is an integer
    /// that fits, Double otherwise.
    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        var isInteger = true
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, isDigit(first) else { throw error("a '-' must be followed by a digit") }
        if first == UInt8(ascii: "0") {
            position += 1
            if let next = current, isDigit(next) { throw error("numbers may not have leading zeros") }
        } else {
            while let d = current, isDigit(d) { position += 1 }
        }
        if current == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard let d = current, isDigit(d) else { throw error("a '.' in a number must be followed by a digit") }
            while let d = current, isDigit(d) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard let d = current, isDigit(d) else { throw error("an exponent must have digits") }
            while let d = current, isDigit(d) { position += 1 }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger, let i = Int64(text) { return .int(i) }
        guard let d = Double(text), d.isFinite else {
            let end = position
            position = start
            throw error("the number \(text.prefix(40))\(end - start > 40 ? "…" : "") is too large")
        }
        return .double(d)
    }

    /// Parses a string literal at `position` (which holds the opening quote).
    mutating func parseString() throws(JSONParseError) -> String {
        let opening = position
        position += 1
        var out: [UInt8] = []
        var runStart = position
        while true {
            guard let byte = current else {
                position = opening
                throw error("a string is not closed before the end of the input")
            }
            switch byte {
            case UInt8(ascii: "\""):
                out.append(contentsOf: bytes[runStart..<position])
                position += 1
                guard let s = String(validating: out, as: UTF8.self) else {
                    position = opening
                    throw error("a string holds bytes that are not valid UTF-8")
                }
                return s
            case UInt8(ascii: "\\"):
                out.append(contentsOf: bytes[runStart..<position])
                try parseEscape(into: &out)
                runStart = position
            case 0..<0x20:
                throw error("control character \(describe(byte)) must be escaped inside a string")
            default:
                position += 1
            }
        }
    }

    mutating func parseEscape(into out: inout [UInt8]) throws(JSONParseError) {
        position += 1  // the backslash
        guard let byte = current else { throw error("the input ends inside an escape sequence") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try parseHex4())
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard current == UInt8(ascii: "\\"), position + 1 < end, bytes[position + 1] == UInt8(ascii: "u") else {
                    throw error("a \\u escape holds a high surrogate without its low surrogate")
                }
                position += 2
                let low = UInt32(try parseHex4())
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw error("a high surrogate is followed by \\u\(String(low, radix: 16)), not a low surrogate")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw error("a \\u escape holds a low surrogate without a high surrogate before it")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("a \\u escape is not a Unicode scalar") }
            out.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            position -= 1
            throw error("\\\(describe(byte)) is not a JSON escape")
        }
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = hexValue(byte) else {
                throw error("a \\u escape needs four hexadecimal digits")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    func expected(_ what: String, _ alternative: String?) -> String {
        let found = current.map { describe($0) } ?? "the end of the input"
        return "expected \(what)\(alternative.map { " or '\($0)'" } ?? ""), found \(found)"
    }

    func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16)
        return "byte 0x" + (hex.count < 2 ? "0" : "") + hex
    }

    /// An error at the current position, with its line and column worked out from the start.
    func error(_ message: String) -> JSONParseError {
        let offset = min(position, bytes.count)
        var line = 1, column = 1
        for byte in bytes[0..<offset] {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return JSONParseError(message: message, line: line, column: column, offset: offset)
    }
}
