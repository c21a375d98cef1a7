import Foundation
import JSONSupport
import Testing

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValueKeepingKeyOrder() throws {
        let text = #"""
            {"z": 1, "a": [true, false, null], "m": {"x": -0.5, "y": 1.25e2, "big": 9223372036854775807},
             "s": "tab\there \"q\" \\ \/ \u00e9 \ud83d\ude00 ü", "neg": -12, "e": 1E-2}
            """#
        let value = try JSONParser.parse(text)
        guard case .object(let fields) = value else { Issue.record("not an object"); return }
        #expect(fields.map(\.key) == ["z", "a", "m", "s", "neg", "e"])
        #expect(value["z"] == .int(1))
        #expect(value["a"] == [true, false, nil])
        #expect(value["m"]?["x"] == .double(-0.5))
        #expect(value["m"]?["y"] == .double(125))
        #expect(value["m"]?["big"] == .int(Int64.max))
        #expect(value["s"] == .string("tab\there \"q\" \\ / é 😀 ü"))
        #expect(value["neg"] == .int(-12))
        #expect(value["e"] == .double(0.01))
    }

    @Test func integersBeyondInt64BecomeDoubles() throws {
        #expect(try JSONParser.parse("18446744073709551616") == .double(18446744073709551616))
        #expect(try JSONParser.parse(" [ ] ") == .array([]))
        #expect(try JSONParser.parse("\u{FEFF}{}") == .object([]))
    }

    @Test(arguments: [
        ("", 1, 1, "ends where a value"),
        ("{\"a\": 1,}", 1, 9, "expected a string key"),
        ("[1, 2", 1, 6, "',' or ']'"),
        ("{\"a\" 1}", 1, 6, "':'"),
        ("01", 1, 2, "leading zeros"),
        ("1.", 1, 3, "'.' in a number"),
        ("-", 1, 2, "'-' must be followed"),
        ("1e", 1, 3, "exponent"),
        ("tru", 1, 1, "expected 'true'"),
        ("\"abc", 1, 1, "not closed"),
        ("\"a\u{01}b\"", 1, 3, "control character"),
        ("\"\\x\"", 1, 3, "not a JSON escape"),
        ("\"\\ud800\"", 1, 8, "without its low surrogate"),
        ("\"\\udc00\"", 1, 8, "low surrogate without"),
        ("\"\\u12g4\"", 1, 6, "four hexadecimal"),
        ("{}\n{} x", 2, 1, "after the JSON value"),
        ("[1]\n\n  ]", 3, 3, "after the JSON value"),
        ("1e999", 1, 1, "too large"),
        ("'a'", 1, 1, "cannot start a JSON value"),
        ("NaN", 1, 1, "cannot start"),
        ("{\"é\": x}", 1, 7, "cannot start"),
    ] as [(String, Int, Int, String)])
    func rejectsWithLineAndColumn(input: String, line: Int, column: Int, fragment: String) {
        do {
            let value = try JSONParser.parse(input)
            Issue.record("parsed \(input.debugDescription) as \(value)")
        } catch {
            #expect(error.line == line, "\(input.debugDescription): \(error)")
            #expect(error.column == column, "\(input.debugDescription): \(error)")
            #expect(error.message.contains(fragment), "\(input.debugDescription): \(error)")
        }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes: [0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22]) }
    }

    @Test func depthLimitIsAnErrorNotACrash() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        #expect(throws: Never.self) { try JSONParser.parse(ok, maxDepth: 20) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(ok, maxDepth: 19) }
    }

    @Test func jsonLinesArraysAndSingleObjects() throws {
        let lines = "{\"a\":1}\n\n{\"a\":2}\r\n  {\"a\":3}\n"
        #expect(try JSONParser.parseLines(bytes: Array(lines.utf8)).count == 3)
        #expect(try JSONParser.parseDocuments(bytes: Array(lines.utf8)).map { $0["a"] } == [.int(1), .int(2), .int(3)])
        #expect(try JSONParser.parseDocuments(bytes: Array("[{\"a\":1},{\"a\":2}]".utf8)).count == 2)
        #expect(try JSONParser.parseDocuments(bytes: Array("{\n \"a\": [1,\n 2]\n}\n".utf8)).count == 1)
        do {
            _ = try JSONParser.parseDocuments(bytes: Array("{\"a\":1}\n{\"a\":2}\n{\"a\":}\n".utf8))
            Issue.record("a broken third line parsed")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 6)
        }
    }

    @Test func randomValuesRoundTripThroughTheSerialiser() throws {
        var rng = SplitMix(seed: 42)
        for _ in 0..<500 {
            let value = randomValue(&rng, depth: 0)
            #expect(try JSONParser.parse(value.serialized()) == value)
            #expect(try JSONParser.parse(value.prettySerialized()) == value)
        }
    }

    @Test func agreesWithFoundationOnValidity() throws {
        var rng = SplitMix(seed: 7)
        let alphabet = Array("{}[],:\"\\ 0123456789.eE-+truefalsnul\nx\u{e9}".utf8)
        for _ in 0..<3000 {
            let bytes = (0..<Int(rng.next() % 12)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let ours = (try? JSONParser.parse(bytes: bytes)) != nil
            let theirs = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
            #expect(ours == theirs, "\(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
    }

    @Test func fuzzedAndTruncatedInputsNeverTrap() throws {
        var rng = SplitMix(seed: 2026)
        let fixture = try String(contentsOf: Fixtures.url("rst-injection-syn-size.json"), encoding: .utf8)
        let valid = Array(fixture.utf8)
        #expect(throws: Never.self) { try JSONParser.parse(bytes: valid) }
        // Every strict prefix of an object (less trailing whitespace) is invalid.
        let trimmed = Array(fixture.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        for cut in stride(from: 0, to: trimmed.count, by: 7) {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes: Array(trimmed[..<cut])) }
        }
        for _ in 0..<2000 {
            var bytes = valid
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let i = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.remove(at: i)
                default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
                }
            }
            _ = try? JSONParser.parseDocuments(bytes: bytes)
        }
        for _ in 0..<2000 {
            let bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? JSONParser.parseDocuments(bytes: bytes)
        }
    }

    func randomValue(_ rng: inout SplitMix, depth: Int) -> JSONValue {
        switch rng.next() % (depth > 3 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(rng.next() % 2 == 0)
        case 2: return .int(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
        case 3:
            let d = Double(Int64(bitPattern: rng.next()) % 1_000_000) / 1000 + 0.5
            return .double(d)
        case 4:
            let scalars = (0..<Int(rng.next() % 8)).compactMap { _ -> Character? in
                let pool: [UInt32] = [0x22, 0x5C, 0x0A, 0x01, 0x41, 0xE9, 0x1F600, 0x7F, 0x2028]
                return Unicode.Scalar(pool[Int(rng.next() % UInt64(pool.count))]).map(Character.init)
            }
            return .string(String(scalars))
        case 5: return .array((0..<Int(rng.next() % 4)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            return .object((0..<Int(rng.next() % 4)).map { i in (key: "k\(i)\(rng.next() % 3)", value: randomValue(&rng, depth: depth + 1)) })
        }
    }
}

/// A small deterministic generator, so a failing fuzz case can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
