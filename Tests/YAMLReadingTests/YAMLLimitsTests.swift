import Testing
import Yams
import YAMLReading

/// The depth check reads libyaml's own events, so nothing that libyaml treats as structure
/// can pass for text: each of these documents hides 50,000 nested brackets behind a quote
/// that is not one (Yams' composer overflows an 8 MiB stack at about 6,400 levels).
@Suite struct YAMLLimitsTests {
    static let limits = YAMLLimits(maximumBytes: 1 << 20, maximumNodes: 100_000)
    static let deep = String(repeating: "[", count: 50_000)

    static let disguised: [(label: String, text: String, line: Int)] = [
        ("a double quote after a space in a plain scalar", "name: x \"y\nb: \(deep)\ndescription: w\"\n", 2),
        ("a single quote in a plain scalar", "name: it's\nb: \(deep)\ndescription: '\n", 2),
        ("a quote opening a continuation line of a plain scalar", "a: x\n  \"y\nb: \(deep)\nc: \"\n", 3),
        ("a quote in a literal block scalar", "a: |\n  x \"\nb: \(deep)\nc: \"\n", 3),
        ("a quote in a folded block scalar", "a: >\n  x '\nb: \(deep)\nc: '\n", 3),
        ("a quote in a comment", "a: 1 # \"\nb: \(deep)\nc: \"\n", 2),
        ("a quote in a flow plain scalar", "a: [b, c \"d]\nb: \(deep)\nc: \"\n", 2),
        ("a hash inside a quoted scalar", "a: \"x # y\"\nb: \(deep)\n", 2),
        ("deep flow mappings", "a: " + String(repeating: "{a: ", count: 50_000) + "\n", 1),
        ("deep block nesting", (0..<300).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n"), 258),
        ("compact block sequences", String(repeating: "- ", count: 200) + "x\n", 1),
    ]

    @Test("nesting cannot hide behind what only looks like a quote or a comment", arguments: disguised.indices)
    func disguisedNesting(_ i: Int) {
        let (label, text, line) = Self.disguised[i]
        #expect(Self.limits.tooDeep(text) == line, "\(label)")
        let reader = YAMLReader(file: "x.yaml", limits: Self.limits, wording: { "\($0)" })
        #expect(throws: SourceError.self, "\(label)") { _ = try reader.compose(text) }
    }

    @Test("brackets in quoted, block and plain scalars and in comments do not count")
    func textIsNotNesting() throws {
        let many = String(repeating: "[", count: 100), braces = String(repeating: "{", count: 100)
        for text in ["a: \"\(many)\"\n", "a: '\(braces)'\n", "# \(many)\na: 1\n", "a: |\n  \(many)\n  \(braces)\nb: 2\n",
                     "a: x \(many)\n", "a: \"multi\n  line \(many)\"\n"] {
            #expect(Self.limits.tooDeep(text) == nil, "\(text.prefix(20))")
            let reader = YAMLReader(file: "x.yaml", limits: Self.limits, wording: { "\($0)" })
            #expect(try reader.compose(text) != nil)
        }
    }

    @Test("the limits are exact: 64 flow levels and 256 columns pass, one more does not")
    func edges() {
        let flow = { (n: Int) in "a: " + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "\n" }
        #expect(Self.limits.tooDeep(flow(64)) == nil)
        #expect(Self.limits.tooDeep(flow(65)) == 1)
        let indented = { (n: Int) in "a:\n" + String(repeating: " ", count: n) + "b: 1\n" }
        #expect(Self.limits.tooDeep(indented(256)) == nil)
        #expect(Self.limits.tooDeep(indented(257)) == 2)
        // Block levels and flow levels together, each just inside its limit.
        let both = (1..<256).map { String(repeating: " ", count: $0) + "a:" }.joined(separator: "\n") + " " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "\n"
        #expect(Self.limits.tooDeep(both) == nil)
    }

    @Test("a syntax error ends the check; the composer reports it at its line")
    func syntaxErrors() {
        #expect(Self.limits.tooDeep("a: [1, 2\nb: ]]\n") == nil)
        let reader = YAMLReader(file: "x.yaml", limits: Self.limits, wording: { problem in
            if case .syntax(let p, _) = problem { return "syntax: \(p)" }
            return "other"
        })
        #expect(throws: SourceError.self) { _ = try reader.compose("a: [1, 2\nb: ]]\n") }
        do {
            _ = try reader.compose("a: 1\nb: [\n")
        } catch {
            #expect(error.file == "x.yaml" && error.line != nil && error.message.hasPrefix("syntax: "), "\(error)")
        }
    }

    @Test("size, NUL bytes and alias bombs are refused before or right after composing")
    func otherLimits() throws {
        let small = YAMLLimits(maximumBytes: 128, maximumNodes: 50)
        let reader = YAMLReader(file: "f.yaml", limits: small, wording: { problem in
            switch problem {
            case .tooLarge: return "large"
            case .nulByte: return "nul"
            case .tooManyValues: return "values"
            default: return "other"
            }
        }, lineOffset: 10)
        #expect(throws: SourceError(file: "f.yaml", line: nil, message: "large")) { _ = try reader.compose(String(repeating: "a", count: 129)) }
        #expect(throws: SourceError(file: "f.yaml", line: 13, message: "nul")) { _ = try reader.compose("a: 1\nb: 2\nc: \u{0}\n") }
        let bomb = "a: &a [x, x, x, x, x, x, x]\nb: [*a, *a, *a, *a, *a, *a, *a, *a]\n"
        #expect(throws: SourceError.self) { _ = try reader.compose(bomb) }
        #expect(try reader.compose("") == nil)
    }

    @Test("typed getters: one error per kind of problem, at the node's line")
    func getters() throws {
        let reader = YAMLReader(file: "g.yaml", limits: Self.limits, wording: { problem in
            switch problem {
            case .unknownKey(let key, _, _, _): return "unknown \(key)"
            case .duplicateKey(let key, _, _): return "twice \(key)"
            case .missingKey(let key, _, _, let hint): return "missing \(key) \(hint)"
            case .notInteger: return "not an integer"
            case .integerOutOfRange(_, let value, _, _): return "out of range \(value)"
            case .notBool: return "not a bool"
            case .notScalar: return "not a scalar"
            default: return "other"
            }
        })
        let root = try #require(try reader.compose("a: 1\nb: [x]\nc: yes\nd: +7\ne: 99\nf: 1.5\n"))
        let f = try reader.mapping(root, "top", allowed: ["a", "b", "c", "d", "e", "f", "g"])
        #expect(f.order == ["a", "b", "c", "d", "e", "f"] && f.line == 1)
        #expect(try reader.int(try f.required("a"), "a", 0...10) == 1)
        #expect(try reader.bool(try f.required("c"), "c"))
        #expect(try reader.int(try f.required("d"), "d", 0...10) == 7)
        #expect(throws: SourceError(file: "g.yaml", line: 5, message: "out of range 99")) { _ = try reader.int(try f.required("e"), "e", 0...10) }
        #expect(throws: SourceError(file: "g.yaml", line: 6, message: "not an integer")) { _ = try reader.int(try f.required("f"), "f", 0...10) }
        #expect(throws: SourceError(file: "g.yaml", line: 2, message: "not a scalar")) { _ = try reader.scalar(try f.required("b"), "b") }
        #expect(throws: SourceError(file: "g.yaml", line: 2, message: "not a bool")) { _ = try reader.bool(try f.required("b"), "b") }
        #expect(throws: SourceError(file: "g.yaml", line: 1, message: "missing g say it")) { _ = try f.required("g", "say it") }
        #expect(throws: SourceError(file: "g.yaml", line: 2, message: "unknown b")) { _ = try reader.mapping(root, "top", allowed: ["a"]) }
        let twice = try #require(try reader.compose("a: 1\nb: 2\na: 3\n"))
        #expect(throws: SourceError(file: "g.yaml", line: 3, message: "twice a")) { _ = try reader.mapping(twice, "top", allowed: ["a", "b"]) }
        #expect(YAMLReader.words(["a", "b", "c"], last: "or") == "a, b or c")
        #expect(YAMLReader.clip(String(repeating: "x", count: 70)).count == 61)
    }
}
