import JSONSupport
import Records
import Testing

/// Every decoder over hostile JSON: random values, wrong types, deep nesting. Nothing traps;
/// what decodes encodes again.
@Suite struct HostileInputTests {
    /// Deterministic pseudo-random values (SplitMix64), so a failure can be replayed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

        static let keys = ["schema", "target", "verdict", "port", "path", "test_path", "hops", "responses", "address", "asn",
                           "as_name", "hostname", "ttl", "fingerprint", "response", "probe", "kind", "answers", "forward",
                           "reverse", "payload_sweep", "test", "control", "ttls", "probes", "location", "injector", "trigger",
                           "vantage", "sources", "routers", "censor", "aligned", "as_names", "payload", "listener", "direction",
                           "transport", "script", "flags", "icmp_type", "quoted_ttl", "injected", "mpls", "frames", "x"]

        mutating func value(depth: Int) -> JSONValue {
            switch below(depth > 4 ? 7 : 9) {
            case 0: return .null
            case 1: return .bool(below(2) == 0)
            case 2: return .int([0, -1, 1, Int64.max, Int64.min, 65536, 4_294_967_296][below(7)])
            case 3: return .double([0.5, -1e300, 1e300, 9.5e15, Double.nan, Double.infinity, 2][below(7)])
            case 4: return .string(["", "AS64500", "ASX", "198.18.0.1", "tls", "http", "raw", "\u{0}", "<script>"][below(9)])
            case 5: return .string(String(repeating: "x", count: below(64)))
            case 6: return .array([])
            case 7: return .array((0..<below(5)).map { _ in value(depth: depth + 1) })
            default: return .object((0..<below(8)).map { _ in (key: Self.keys[below(Self.keys.count)], value: value(depth: depth + 1)) })
            }
        }
    }

    /// Each decoder: it either refuses with an error or gives a record that encodes.
    static func decodeAll(_ value: JSONValue) {
        func check<R: JSONRecord>(_ type: R.Type) {
            if let r = try? R(json: value) { _ = r.json.serialized() }
        }
        check(InvestigationRecord.self)
        check(TraceRecord.self)
        check(TracePairRecord.self)
        check(ProbeResultRecord.self)
        check(PayloadTraceRecord.self)
        check(RouteComparisonRecord.self)
        check(SweepRecord.self)
        check(ReverseRecord.self)
    }

    @Test func randomValuesNeverTrap() {
        var g = Generator(state: 0xC0FFEE)
        for _ in 0..<3000 {
            var v = g.value(depth: 0)
            // Often a plausible top level: an object with the keys decoders require.
            if g.below(2) == 0, case .object(var fields) = v {
                fields += [("target", .string("198.18.9.3")), ("verdict", .string("drop")), ("hops", g.value(depth: 1)),
                           ("ttls", .array([g.value(depth: 2)]))]
                v = .object(fields)
            }
            Self.decodeAll(v)
        }
    }

    @Test func wrongTypesReadAsAbsent() throws {
        let text = #"""
            {"target": "198.18.9.3", "verdict": "drop", "port": "80", "blocked": "yes", "trigger": [1],
             "syn_variants": [1, {"size": 1e300, "response": "none", "rtt_ms": "fast"}], "location": {"ttl": 3.5},
             "path": {"ttl": 1}, "test_path": [{"ttl": -5, "asn": "AS99999999999"}, 7], "evidence": [{"packets": [1]}],
             "vantage": {"asn": "ASX"}, "software": ["x"], "payload_sweep": "no", "reverse": 5, "direction": []}
            """#
        let r = try InvestigationRecord(bytes: Array(text.utf8))
        #expect(r.port == nil && r.blocked == nil && r.trigger == nil && r.location?.ttl == nil)
        #expect(r.synVariants.count == 1 && r.synVariants[0].size == nil && r.synVariants[0].response == nil)
        #expect(r.path == nil && r.testPath?.count == 1 && r.testPath?[0].asn == nil)
        #expect(r.evidence.isEmpty && r.vantage?.asn == nil && r.softwareName == nil)
        #expect(r.payloadSweep == .notRun && r.reverse == nil && r.direction == nil)
        // What was read encodes, and reads back the same.
        #expect(try InvestigationRecord(json: r.json) == r)
    }

    @Test func deepNestingIsRefusedOrKeptOpaque() {
        var deep = "1"
        for _ in 0..<600 { deep = "[" + deep + "]" }
        for wrapper in ["\(deep)", #"{"target":"a","verdict":"b","x":"# + deep + "}", #"{"hops":"# + deep + "}"] {
            #expect(throws: RecordError.self) { try InvestigationRecord(bytes: Array(wrapper.utf8)) }
            #expect(throws: RecordError.self) { try TraceRecord(bytes: Array(wrapper.utf8)) }
        }
        var nested = "{}"
        for _ in 0..<200 { nested = #"{"reverse":"# + nested + #","forward":"# + nested.prefix(2) + "}" }
        Self.decodeAll((try? JSONParser.parse(nested)) ?? .null)
    }

    @Test func requiredKeys() {
        #expect(throws: RecordError.self) { try InvestigationRecord(json: .object([("target", "x")])) }
        #expect(throws: RecordError.self) { try InvestigationRecord(json: .object([("target", ""), ("verdict", "drop")])) }
        #expect(throws: RecordError.self) { try TraceRecord(json: .object([("hops", "none")])) }
        #expect(throws: RecordError.self) { try TracePairRecord(json: .object([("forward", .object([("hops", [])]))])) }
        #expect(throws: RecordError.self) { try ProbeResultRecord(json: .array([])) }
        #expect(throws: RecordError.self) { try PayloadTraceRecord(json: .object([("target", "x")])) }
        #expect(throws: RecordError.self) { try RouteComparisonRecord(json: .string("x")) }
        #expect(throws: RecordError.self) { try SweepRecord(json: .null) }
        #expect(throws: RecordError.self) { try ReverseRecord(json: .int(1)) }
        #expect(throws: RecordError.self) { try InvestigationRecord(bytes: Array("not json".utf8)) }
    }
}
