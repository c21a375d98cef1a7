import Packets
import Testing
@testable import Sweeping

/// The run file beside a sweep's capture: what it writes reads back the same; anything else
/// is one sentence, never a trap.
@Suite struct SweepRunFileTests {
    @Test("a run file reads back as written, the key's leading zeros kept")
    func roundTrip() throws {
        let run = SweepRunFile(key: SipHashKey(k0: 0x0000_0000_0000_00FF, k1: 0xFEDC_BA98_7654_3210), source: IPAddress("2001:db8::1")!,
                               port: 443, variants: ["mss", "linux"], repeats: 3, targets: 4096)
        let text = run.json.serialized()
        #expect(text.contains("\"key\":\"00000000000000fffedcba9876543210\""), "\(text)")
        #expect(try SweepRunFile.read(Array(text.utf8), path: "r.json") == run)
        // A UDP sweep of one's own payload keeps its bytes; an ICMP sweep has port 0.
        var own = SweepRunFile(key: SipHashKey(k0: 1, k1: 2), source: IPAddress("198.18.0.1")!, protocol: .udp, port: 5060,
                               variants: [SweepProbe.Variant.ownPayloadName], repeats: 1, targets: 2)
        own.payload = [0x00, 0x0A, 0xFF, 0x7E]
        let ownText = own.json.serialized()
        #expect(ownText.contains("\"payload\":\"000aff7e\"") && ownText.contains("\"protocol\":\"udp\""), "\(ownText)")
        #expect(try SweepRunFile.read(Array(ownText.utf8), path: "r.json") == own)
        let icmp = SweepRunFile(key: SipHashKey(k0: 1, k1: 2), source: IPAddress("198.18.0.1")!, protocol: .icmp, port: 0,
                                variants: ["echo"], repeats: 1, targets: 2)
        #expect(try SweepRunFile.read(Array(icmp.json.serialized().utf8), path: "r.json") == icmp)
        // A file written before ICMP and UDP sweeps (no protocol) is TCP.
        let old = #"{"schema":"censorscope.sweep-run/1","key":"0123456789abcdef0123456789abcdef","source":"198.18.0.1","port":80,"variants":["mss"],"repeat":1,"targets":1}"#
        #expect(try SweepRunFile.read(Array(old.utf8), path: "r.json").sweepProtocol == .tcp)
    }

    @Test func hexPayloads() {
        #expect(SweepProbe.Variant.bytes(hex: "00aAfF10") == [0x00, 0xAA, 0xFF, 0x10])
        #expect(SweepProbe.Variant.bytes(hex: "") == [])
        for bad in ["0", "0g", "zz", "00 11", "é0"] { #expect(SweepProbe.Variant.bytes(hex: bad) == nil, "\(bad)") }
    }

    @Test("hostile run files: one sentence each", arguments: [
        ("", "is not a sweep's run file"),
        ("[1, 2]", "is not a censorscope.sweep-run/1 file"),
        (#"{"schema":"censorscope.sweep-run/1"}"#, "`key` is missing"),
        (#"{"schema":"censorscope.sweep-run/1","key":"0123456789abcdef0123456789abcdeZ"}"#, "32 hexadecimal digits"),
        (#"{"schema":"censorscope.sweep-run/1","key":"ééééééééééééééééé"}"#, "32 hexadecimal digits"),
        (#"{"schema":"censorscope.sweep-run/1","key":"0123456789abcdef0123456789abcdef","source":"300.1.1.1"}"#, "not an IP address"),
        (#"{"schema":"censorscope.sweep-run/1","key":"0123456789abcdef0123456789abcdef","source":"198.18.0.1","variants":[]}"#, "1 to 64 probe names"),
        (#"{"schema":"censorscope.sweep-run/1","key":"0123456789abcdef0123456789abcdef","source":"198.18.0.1","variants":[1]}"#, "must list names"),
        (#"{"schema":"censorscope.sweep-run/1","key":"0123456789abcdef0123456789abcdef","source":"198.18.0.1","variants":["mss"],"port":70000}"#, "`port`"),
        (#"{"schema":"censorscope.sweep-run/1","key":"0123456789abcdef0123456789abcdef","source":"198.18.0.1","variants":["mss"],"port":80,"repeat":-9223372036854775808}"#, "`repeat`"),
        (#"{"schema":"censorscope.sweep-run/1","key":"0123456789abcdef0123456789abcdef","source":"198.18.0.1","variants":["mss"],"port":80,"repeat":1,"targets":0}"#, "`targets`"),
        (#"{"schema":"censorscope.sweep-run/1","key":"0123456789abcdef0123456789abcdef","source":"198.18.0.1","protocol":"sctp","variants":["mss"]}"#, "`protocol` is not tcp, icmp or udp"),
        (#"{"schema":"censorscope.sweep-run/1","key":"0123456789abcdef0123456789abcdef","source":"198.18.0.1","protocol":"udp","variants":["payload"],"port":53,"repeat":1,"targets":1,"payload":"0g"}"#, "`payload` must be hexadecimal"),
        (#"{"schema":"censorscope.sweep-run/1","key":"0123456789abcdef0123456789abcdef","source":"198.18.0.1","protocol":"tcp","variants":["mss"],"port":53,"repeat":1,"targets":1,"payload":"00"}"#, "in a UDP sweep"),
    ])
    func hostile(_ text: String, _ fragment: String) {
        do {
            _ = try SweepRunFile.read(Array(text.utf8), path: "r.json")
            Issue.record("\(text) was read")
        } catch {
            #expect(error.description.contains(fragment), "\(error.description)")
            #expect(!error.description.contains("\n"))
        }
    }
}
