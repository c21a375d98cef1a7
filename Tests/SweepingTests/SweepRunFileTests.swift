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
