import Agent
import JSONSupport
import Packets
import Testing

@Suite struct AgentRequestTests {
    func trace(_ text: String) -> Result<AgentTraceRequest, AgentRefusal> {
        Result { () throws(AgentRefusal) in try AgentTraceRequest(body: Array(text.utf8)) }
    }

    func reverse(_ text: String) -> Result<AgentReverseRequest, AgentRefusal> {
        Result { () throws(AgentRefusal) in try AgentReverseRequest(body: Array(text.utf8)) }
    }

    func refusal<T>(_ r: Result<T, AgentRefusal>) -> AgentRefusal? {
        if case .failure(let e) = r { return e }
        return nil
    }

    @Test func aTraceRequestRoundTrips() throws {
        let r = try AgentTraceRequest(body: Array(#"{"method": "tcp", "port": 80, "variant": "linux", "max_ttl": 12}"#.utf8))
        #expect(r == AgentTraceRequest(method: "tcp", port: 80, variant: "linux", maxTTL: 12))
        let again = try AgentTraceRequest(body: Array(r.json.serialized().utf8))
        #expect(again == r)
        #expect(r.json.serialized() == #"{"method":"tcp","port":80,"variant":"linux","max_ttl":12}"#)
        let icmp = try AgentTraceRequest(body: Array(#"{"method":"icmp","target":"198.18.1.2","port":null}"#.utf8))
        #expect(icmp.target == IPAddress("198.18.1.2") && icmp.port == nil)
    }

    @Test(arguments: [
        (#"{"port": 80}"#, "'method' is missing"),
        (#"{"method": "sctp"}"#, "'method' must be"),
        (#"{"method": "tcp", "port": 0}"#, "'port' must be between 1 and 65535, not 0"),
        (#"{"method": "tcp", "port": 65536}"#, "'port' must be between 1 and 65535"),
        (#"{"method": "tcp", "port": "80"}"#, "'port' must be a whole number"),
        (#"{"method": "tcp", "port": 80.5}"#, "'port' must be a whole number"),
        (#"{"method": "tcp", "port": 1e400}"#, "not valid JSON"),
        (#"{"method": "tcp", "port": -9223372036854775808}"#, "'port' must be between"),
        (#"{"method": "icmp", "port": 80}"#, "'port' does not apply to method icmp"),
        (#"{"method": "udp", "variant": "linux"}"#, "'variant' applies only to method tcp"),
        (#"{"method": "tcp", "variant": "solaris"}"#, "'variant' must be one of"),
        (#"{"method": "tcp", "max_ttl": 65}"#, "'max_ttl' must be between 1 and 64"),
        (#"{"method": "tcp", "target": "example.com"}"#, "'target' must be an IPv4 or IPv6 address"),
        (#"{"method": "tcp", "target": 5}"#, "'target' must be a string"),
        (#"{"method": "tcp", "colour": "red"}"#, "unknown field 'colour'"),
        (#"{"method": "tcp", "method": "udp"}"#, "'method' is given twice"),
        (#"["method", "tcp"]"#, "must be a JSON object"),
        (#""#, "has no body"),
        ("  \n", "has no body"),
        (#"{"method": "tcp""#, "not valid JSON"),
        (#"{"method": [[[[[["tcp"]]]]]]}"#, "not valid JSON"),
    ])
    func malformedTraceRequestsAreRefusedNamingTheField(body: String, expected: String) {
        let e = refusal(trace(body))
        #expect(e?.status == 400)
        #expect(e?.message.contains(expected) == true, "\(body): \(e?.message ?? "accepted")")
    }

    @Test func hostileBytesAreRefusedWithoutTrapping() {
        let inputs: [[UInt8]] = [
            [0xFF, 0xFE, 0x00], [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D],   // invalid UTF-8
            Array(repeating: UInt8(ascii: "["), count: 100_000),
            Array(#"{"\u0000\u001b[31m": 1}"#.utf8),
            Array(#"{"method":"tcp","port":99999999999999999999999}"#.utf8),
            Array(#"{"method":"\ud800"}"#.utf8),
        ]
        for bytes in inputs {
            let r = Result { () throws(AgentRefusal) in try AgentTraceRequest(body: bytes) }
            #expect(refusal(r)?.status == 400)
        }
        // A key with control characters is quoted printably.
        let e = refusal(trace(#"{"\u001b[2Jx": 1}"#))
        #expect(e?.message.contains("\u{1b}") == false)
    }

    @Test func aReverseRequestRoundTrips() throws {
        let r = try AgentReverseRequest(body: Array(#"{"sport": 80, "dport": 80, "payload": {"http_host": "blocked.example"}, "ttl": 64}"#.utf8))
        #expect(r.sourcePort == 80 && r.destinationPort == 80 && r.payload == .httpHost("blocked.example") && r.ttl == 64)
        #expect(try AgentReverseRequest(body: Array(r.json.serialized().utf8)) == r)
        let hex = try AgentReverseRequest(body: Array(#"{"sport": 443, "dport": 8443, "payload": {"hex": "474554"}}"#.utf8))
        #expect(hex.payload == .bytes([0x47, 0x45, 0x54]))
        #expect(hex.json.serialized().contains(#""hex":"474554""#))
        let sni = try AgentReverseRequest(body: Array(#"{"sport": 443, "dport": 443, "payload": {"tls_sni": "t.me"}}"#.utf8))
        #expect(sni.payload == .tlsSNI("t.me"))
    }

    @Test(arguments: [
        (#"{"dport": 80, "payload": {"http_host": "a"}}"#, "'sport' is missing"),
        (#"{"sport": 80, "payload": {"http_host": "a"}}"#, "'dport' is missing"),
        (#"{"sport": 80, "dport": 80}"#, "'payload' is missing"),
        (#"{"sport": 80, "dport": 80, "payload": "GET /"}"#, "'payload' must be a JSON object"),
        (#"{"sport": 80, "dport": 80, "payload": {}}"#, "exactly one of http_host, tls_sni and hex"),
        (#"{"sport": 80, "dport": 80, "payload": {"http_host": "a", "hex": "00"}}"#, "exactly one of"),
        (#"{"sport": 80, "dport": 80, "payload": {"http_host": "a\r\nX-Evil: 1"}}"#, "'payload.http_host' may hold only"),
        (#"{"sport": 80, "dport": 80, "payload": {"tls_sni": "a:443"}}"#, "'payload.tls_sni' may hold only"),
        (#"{"sport": 80, "dport": 80, "payload": {"tls_sni": ""}}"#, "1 to 253 bytes"),
        (#"{"sport": 80, "dport": 80, "payload": {"hex": "abc"}}"#, "'payload.hex' must be an even number"),
        (#"{"sport": 80, "dport": 80, "payload": {"hex": "zz"}}"#, "'payload.hex' must be"),
        (#"{"sport": 80, "dport": 80, "payload": {"hex": 5}}"#, "'payload.hex' must be a string"),
        (#"{"sport": 80, "dport": 80, "payload": {"body": "x"}}"#, "unknown field 'body' in field 'payload'"),
        (#"{"sport": 80, "dport": 80, "payload": {"http_host": "a"}, "ttl": 0}"#, "'ttl' must be between 1 and 255"),
        (#"{"sport": 80, "dport": 80, "payload": {"http_host": "a"}, "target": "10.0.0.300"}"#, "'target' must be an IPv4"),
    ])
    func malformedReverseRequestsAreRefusedNamingTheField(body: String, expected: String) {
        let e = refusal(reverse(body))
        #expect(e?.status == 400)
        #expect(e?.message.contains(expected) == true, "\(body): \(e?.message ?? "accepted")")
    }

    @Test func aRawPayloadIsAtMostOneSegment() {
        let ok = String(repeating: "ab", count: ReversePayload.maximumBytes)
        #expect(refusal(reverse(#"{"sport": 1, "dport": 2, "payload": {"hex": "\#(ok)"}}"#)) == nil)
        let big = String(repeating: "ab", count: ReversePayload.maximumBytes + 1)
        #expect(refusal(reverse(#"{"sport": 1, "dport": 2, "payload": {"hex": "\#(big)"}}"#))?.message.contains("at most 1400") == true)
        let huge = String(repeating: "ab", count: 100_000)
        #expect(refusal(reverse(#"{"sport": 1, "dport": 2, "payload": {"hex": "\#(huge)"}}"#))?.status == 400)
    }

    @Test func refusalsAreOneSentenceJSON() {
        let e = AgentRefusal.tooManyRequests(retryAfter: 3)
        #expect(e.status == 429 && e.retryAfterSeconds == 3)
        #expect(e.json.serialized() == #"{"error":"too many requests from this address with this token: wait 3 s and try again"}"#)
        #expect(AgentRefusal.reasonPhrase(403) == "Forbidden")
    }
}
