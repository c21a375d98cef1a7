import Capture
import Censor
import ChildProcess
import Foundation
import Packets
import Probing
import Testing

@Suite struct PayloadBytesTests {
    @Test func httpRequestBytes() {
        let request = HTTPRequestPayload(host: "blocked.example")
        #expect(String(decoding: request.bytes, as: UTF8.self) == """
            GET / HTTP/1.1\r
            Host: blocked.example\r
            User-Agent: curl/8.5.0\r
            Accept: */*\r
            Connection: close\r
            \r

            """)
        #expect(StreamContent.inspect(request.bytes) == .http(host: "blocked.example", end: 39))
    }

    @Test func httpFieldsCannotAddLines() {
        let request = HTTPRequestPayload(host: "a.example\r\nX-Evil: 1", path: "/x\n")
        let text = String(decoding: request.bytes, as: UTF8.self)
        #expect(!text.contains("\r\nX-Evil"))
        #expect(text.hasPrefix("GET /x HTTP/1.1\r\nHost: a.exampleX-Evil: 1\r\n"))
    }

    @Test(arguments: ["blocked.example", "example.com", "a", String(repeating: "x", count: 253)])
    func clientHelloSNIReadByTheCensor(_ name: String) throws {
        let hello = try #require(TLSClientHello(serverName: name, seed: 7))
        let bytes = hello.bytes
        #expect(StreamContent.inspect(bytes) == .tls(sni: name, end: bytes.count))
        // Split at every byte of the record header and the extensions' start, as a censor
        // reassembling segments sees it, and still read.
        #expect(StreamContent.inspect(Array(bytes.prefix(4))) == .needMore)
        #expect(StreamContent.inspect(Array(bytes.dropLast())) == .needMore)
    }

    @Test func clientHelloStructure() throws {
        let hello = try #require(TLSClientHello(serverName: "blocked.example", seed: 1))
        let b = hello.bytes
        #expect(Array(b.prefix(3)) == [0x16, 0x03, 0x01])
        #expect(Int(b[3]) << 8 | Int(b[4]) == b.count - 5)
        #expect(b[5] == 1)                                                  // ClientHello
        #expect(Int(b[6]) << 16 | Int(b[7]) << 8 | Int(b[8]) == b.count - 9)
        #expect(Array(b[9...10]) == [0x03, 0x03])
        #expect(b[43] == 32)                                                // session id length
        // Extensions in order, each length inside the block.
        var i = 44 + 32
        let suites = Int(b[i]) << 8 | Int(b[i + 1])
        #expect(suites == TLSClientHello.cipherSuites.count * 2)
        i += 2 + suites
        #expect(Array(b[i...(i + 1)]) == [0x01, 0x00])
        i += 2
        let end = i + 2 + (Int(b[i]) << 8 | Int(b[i + 1]))
        #expect(end == b.count)
        i += 2
        var types: [UInt16] = []
        while i + 4 <= end {
            types.append(UInt16(b[i]) << 8 | UInt16(b[i + 1]))
            i += 4 + (Int(b[i + 2]) << 8 | Int(b[i + 3]))
        }
        #expect(i == end)
        #expect(types == [0x0000, 0x0017, 0xFF01, 0x000A, 0x000B, 0x0023, 0x0010, 0x0005, 0x000D, 0x0033, 0x002D, 0x002B])
    }

    @Test func clientHelloSeedVariesOnlyRandomFields() throws {
        let a = try #require(TLSClientHello(serverName: "x.example", seed: 1)).bytes
        let b = try #require(TLSClientHello(serverName: "x.example", seed: 2)).bytes
        #expect(a.count == b.count)
        #expect(a != b)
        #expect(a == (try #require(TLSClientHello(serverName: "x.example", seed: 1))).bytes)
        let differing = Set(zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset))
        // random, session id, and the x25519 key (followed by psk_key_exchange_modes, 6
        // bytes, and supported_versions, 9 bytes).
        let random = 11..<43, session = 44..<76, key = (a.count - 47)..<(a.count - 15)
        #expect(Array(a[(a.count - 51)..<(a.count - 47)]) == [0x00, 0x1D, 0x00, 0x20])
        #expect(differing.allSatisfy { random.contains($0) || session.contains($0) || key.contains($0) })
        #expect([random, session, key].allSatisfy { r in r.contains { differing.contains($0) } })
    }

    @Test func clientHelloRefusesNamesItCannotCarry() {
        #expect(TLSClientHello(serverName: "") == nil)
        #expect(TLSClientHello(serverName: String(repeating: "x", count: 254)) == nil)
        #expect(TLSClientHello(serverName: "a.example", alpn: [""]) == nil)
        #expect(TLSClientHello(serverName: nil) != nil)
        let noSNI = TLSClientHello(serverName: nil)!.bytes
        #expect(StreamContent.inspect(noSNI) == .tls(sni: nil, end: noSNI.count))
    }

    /// Wireshark's dissector reads the hello as a browser's: SNI, ALPN, versions, x25519.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"), "needs tshark"))
    func tsharkDecodesTheClientHello() throws {
        let hello = try #require(TLSClientHello(serverName: "blocked.example", seed: 3)).bytes
        let tcp = TCPSegment(sourcePort: 40000, destinationPort: 443, sequenceNumber: 1000, acknowledgmentNumber: 2000,
                             flags: [.psh, .ack], window: 502, payload: hello[...])
        let packet = IPPacket(IPv4Header(flags: .dontFragment, proto: 6, source: IPv4Address(198, 18, 1, 2),
                                         destination: IPv4Address(198, 18, 9, 2)), .tcp(tcp))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cs-hello-\(getpid()).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapWriter(path: path, linkType: .raw)
        try writer.write(data: packet.serialized(), timestamp: CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: 0))
        try writer.close()
        let fields = ["tls.handshake.type", "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
                      "tls.handshake.extensions.supported_version", "tls.handshake.extensions_key_share_group",
                      "tls.handshake.extensions_key_share_key_exchange_length", "_ws.malformed", "_ws.expert.severity"]
        let r = Subprocess.run(["tshark", "-r", path, "-T", "fields", "-E", "separator=|"] + fields.flatMap { ["-e", $0] })
        #expect(r.status == 0, "tshark: \(r.stderr)")
        let values = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        try #require(values.count == fields.count, "tshark printed: \(r.stdout)")
        #expect(values[0] == "1")
        #expect(values[1] == "blocked.example")
        #expect(values[2] == "h2,http/1.1")
        #expect(values[3] == "0x0304,0x0303")
        #expect(values[4] == "29")        // x25519
        #expect(values[5] == "32")
        #expect(values[6].isEmpty, "tshark found the hello malformed")
        #expect(values[7].isEmpty, "tshark expert info: \(values[7])")
    }
}
