import JSONSupport
import Records
import Testing
import TextViews

/// Traces as the agent's answers arrive: decoded once into records, then tabulated.
@Suite struct TraceTableTests {
    static func trace(_ json: JSONValue) -> TraceRecord { (try? TraceRecord(json: json)) ?? TraceRecord() }

    static let forward = trace(try! JSONParser.parse(#"""
        {"target":"198.18.9.2","hops":[
          {"ttl":1,"address":"198.18.1.1","rtt_ms":0.019,"kind":"time-exceeded","responses":[{"address":"198.18.1.1","kind":"time-exceeded","rtt_ms":0.019}]},
          {"ttl":2,"address":null,"rtt_ms":null,"kind":"silent","responses":[]},
          {"ttl":3,"address":"198.18.9.2","rtt_ms":0.1,"kind":"syn-ack","responses":[{"address":"198.18.9.2","kind":"syn-ack","rtt_ms":0.1},{"address":"198.18.9.2","kind":"syn-ack","rtt_ms":0.3}]}],
         "stop_reason":"reached","probes_sent":30,"answers":29}
        """#))
    static let reverse = trace(try! JSONParser.parse(#"""
        {"hops":[{"ttl":1,"responses":[]},{"ttl":2,"responses":[{"address":"198.18.6.1","kind":"time-exceeded","rtt_ms":1.5}]},
                 {"ttl":4,"responses":[{"address":"198.18.1.2","kind":"rst","rtt_ms":2}]}]}
        """#))

    @Test func sideBySideByTTL() {
        #expect(TraceTable.sideBySide(forward: Self.forward, reverse: Self.reverse) == [
            "ttl  forward                          reverse",
            "  1  198.18.1.1  0.019 ms             *",
            "  2  *                                198.18.6.1  1.500 ms",
            "  3  198.18.9.2  0.100 ms [syn-ack]   ",
            "  4                                   198.18.1.2  2.000 ms [rst]",
        ])
        #expect(TraceTable.lines(Self.reverse, name: { "<\($0)>" }) == [" 1  *", " 2  <198.18.6.1>  1.500 ms", " 4  <198.18.1.2>  2.000 ms [rst]"])
        #expect(TraceTable.footer(Self.forward) == "reached: 30 probes, 29 answers")
        #expect(Self.forward.addresses == ["198.18.1.1", "198.18.1.1", "198.18.9.2", "198.18.9.2", "198.18.9.2"])
    }

    @Test func headerFromTheRecord() throws {
        let tcp = Self.trace(try JSONParser.parse(#"{"target":"198.18.1.2","source":"198.18.9.2","method":"tcp","port":80,"variant":"mss","probe_size":44,"hops":[]}"#))
        #expect(TraceTable.header(tcp) == "trace to 198.18.1.2 from 198.18.9.2, tcp port 80, 44-byte SYN (mss)")
        let icmp = Self.trace(try JSONParser.parse(#"{"target":"198.18.1.2","method":"icmp","probe_size":84,"hops":[]}"#))
        #expect(TraceTable.header(icmp) == "trace to 198.18.1.2 from ?, icmp echo, 84-byte packets")
        #expect(TraceTable.header(TraceRecord()) == "trace to ? from ?")
    }

    @Test func hostileTraceObjectsGiveEmptyRows() {
        let junk: [JSONValue] = [.null, .array([.int(1)]), .object([("hops", .string("x"))]),
                                 .object([("hops", .array([.int(3), .object([("ttl", .double(1e300)), ("responses", .int(1))])]))])]
        for j in junk.map(Self.trace) {
            #expect(TraceTable.sideBySide(forward: j, reverse: j).count == 1)
            #expect(TraceTable.footer(j) == "?: 0 probes, 0 answers")
        }
        let odd = Self.trace(.object([("hops", .array([.object([("responses", .array([.object([("address", .int(5)), ("rtt_ms", .double(.infinity))])]))])]))]))
        #expect(TraceTable.lines(odd) == [" ?  *"])
    }
}
