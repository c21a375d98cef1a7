import Packets
import Probing
import Testing

/// The SYN variants against the founding story's packets (seeds/003) and the stacks'
/// signatures, and the TCP module's answer recognition.
@Suite struct SYNVariantTests {
    static let sizes: [SYNVariant: Int] = [.bare: 40, .mss: 44, .linux: 60, .windows: 52, .macos: 64]

    /// Option bytes each variant must carry, for an MSS of `mss` and the variants' TS value.
    static func expectedOptionBytes(_ v: SYNVariant, mss: UInt16) -> [UInt8] {
        let m: [UInt8] = [2, 4, UInt8(mss >> 8), UInt8(mss & 0xFF)]
        let t = TCPProbeShape.timestampValue
        let ts: [UInt8] = [8, 10, UInt8(t >> 24), UInt8((t >> 16) & 0xFF), UInt8((t >> 8) & 0xFF), UInt8(t & 0xFF), 0, 0, 0, 0]
        switch v {
        case .bare: return []
        case .mss: return m
        case .linux: return m + [4, 2] + ts + [1, 3, 3, 7]
        case .windows: return m + [1, 3, 3, 8, 1, 1, 4, 2]
        case .macos: return m + [1, 3, 3, 6, 1, 1] + ts + [4, 2, 0, 0]
        }
    }

    @Test(arguments: SYNVariant.allCases, [false, true])
    func variantSizeAndOptions(_ variant: SYNVariant, ipv6: Bool) throws {
        let builder = try ModulesFixture.builder(ipv6: ipv6)
        let shape = TCPProbeShape.variant(variant, ipv6: ipv6)
        let probe = try builder.tcp(index: 3, shape: shape, sourcePort: 41722, destinationPort: 80,
                                    sequence: 1_092_877_667, ttl: 64, ipID: 59563)
        let size = try #require(Self.sizes[variant]) + (ipv6 ? 20 : 0)
        #expect(probe.bytes.count == size)
        #expect(shape.packetLength(ipv6: ipv6) == size)
        #expect(shape.naturalLength(ipv6: ipv6) == size)
        #expect(ModulesFixture.tcpOptionBytes(probe) == Self.expectedOptionBytes(variant, mss: ipv6 ? 1440 : 1460))
        ModulesFixture.expectWellFormed(probe)
        let tcp = try #require(probe.packet.transport.tcp)
        #expect(tcp.flags == .syn)
        #expect(tcp.window == (variant == .macos ? 65535 : 64240))
        #expect(tcp.sequenceNumber == 1_092_877_667 && tcp.acknowledgmentNumber == 0)
        #expect(probe.module == "syn")
        #expect(probe.label == "syn \(variant.rawValue) ttl 64 #3")
        #expect(shape.matchingVariant == variant)
    }

    @Test func optionNamesAsTheStacksSendThem() {
        func names(_ v: SYNVariant) -> [String] { TCPProbeShape.variant(v).options.map(\.name) }
        #expect(names(.bare) == [])
        #expect(names(.mss) == ["mss"])
        #expect(names(.linux) == ["mss", "sackOK", "TS", "nop", "wscale"])
        #expect(names(.windows) == ["mss", "nop", "wscale", "nop", "nop", "sackOK"])
        #expect(names(.macos) == ["mss", "nop", "wscale", "nop", "nop", "TS", "sackOK", "eol", "eol"])
        #expect(TCPProbeShape.variant(.linux).optionLength == 20)
        #expect(TCPProbeShape.variant(.windows).optionLength == 12)
        #expect(TCPProbeShape.variant(.macos).optionLength == 24)
    }

    /// `traceroute -T -O syn`'s 44-byte SYN from the story, which passed the DPI: the mss
    /// variant with that SYN's window, DF and identifiers is the same packet, byte for byte.
    @Test func mssVariantIsTheStorysTracerouteSYN() throws {
        let story = try Hex.decode("""
            0x0000:  4500 002c f1ed 0000 1306 9dd0 c0a8 0002  E..,............
            0x0010:  9f59 b80a e2c9 0050 e569 3ed5 0000 0000  .Y.....P.i>.....
            0x0020:  6002 16d0 61ef 0000 0204 05b4            `...a.......
            """)
        var shape = TCPProbeShape.variant(.mss)
        shape.window = 5840
        shape.dontFragment = false
        let builder = try ProbeBuilder(source: IPAddress("192.168.0.2")!, destination: IPAddress("159.89.184.10")!)
        let probe = try builder.tcp(index: 0, shape: shape, sourcePort: 58057, destinationPort: 80,
                                    sequence: 3_848_879_829, ttl: 19, ipID: 61933)
        #expect(probe.bytes == story)
        #expect(shape.matchingVariant == nil)   // its window is traceroute's, not a variant's
    }

    /// The story's 60-byte SYNs: the browser's (tcpdump line, wscale 7) and traceroute's
    /// (hex dump, wscale 2). The linux variant has the browser's option list, and with
    /// traceroute's window scale and TS value it is traceroute's packet byte for byte.
    @Test func linuxVariantIsTheStorysBrowserSYN() throws {
        let browser = "mss 1460,sackOK,TS val 3908771289 ecr 0,nop,wscale 7"
        let linux = TCPProbeShape.variant(.linux).withTimestamp(3_908_771_289)
        #expect(Self.tcpdumpText(linux.options) == browser)

        let story = try Hex.decode("""
            0x0000:  4500 003c d676 0000 1306 b937 c0a8 0002  E..<.v.....7....
            0x0010:  9f59 b80a a4d1 0050 a609 d8f5 0000 0000  .Y.....P........
            0x0020:  a002 16d0 e900 0000 0204 05b4 0402 080a  ................
            0x0030:  6285 a97f 0000 0000 0103 0302            b...........
            """)
        var shape = TCPProbeShape.variant(.linux).withTimestamp(1_652_926_847)
        shape.options = shape.options.map { if case .windowScale = $0 { return .windowScale(2) }; return $0 }
        shape.window = 5840
        shape.dontFragment = false
        let builder = try ProbeBuilder(source: IPAddress("192.168.0.2")!, destination: IPAddress("159.89.184.10")!)
        let probe = try builder.tcp(index: 0, shape: shape, sourcePort: 42193, destinationPort: 80,
                                    sequence: 2_785_663_221, ttl: 19, ipID: 54902)
        #expect(probe.bytes == story)
    }

    static func tcpdumpText(_ options: [TCPOption]) -> String {
        options.map { option -> String in
            switch option {
            case .maximumSegmentSize(let v): return "mss \(v)"
            case .timestamps(let v, let e): return "TS val \(v) ecr \(e)"
            case .windowScale(let s): return "wscale \(s)"
            default: return option.name
            }
        }.joined(separator: ",")
    }

    @Test func ipv4CarriesIPIDAndDFIPv6HasNoFragmentHeader() throws {
        let shape = TCPProbeShape.variant(.linux)
        let v4 = try ModulesFixture.builder(ipv6: false).tcp(index: 0, shape: shape, sourcePort: 1, destinationPort: 2,
                                                             sequence: 3, ttl: 7, ipID: 0xBEEF)
        guard case .v4(let h4) = v4.packet.header else { Issue.record("not IPv4"); return }
        #expect(h4.identification == 0xBEEF && h4.dontFragment && h4.ttl == 7)
        let v6 = try ModulesFixture.builder(ipv6: true).tcp(index: 0, shape: shape, sourcePort: 1, destinationPort: 2,
                                                            sequence: 3, ttl: 7, ipID: 0xBEEF)
        guard case .v6(let h6) = v6.packet.header else { Issue.record("not IPv6"); return }
        #expect(h6.extensionHeaders.isEmpty && h6.hopLimit == 7 && h6.nextHeader == 6)
    }

    @Test func nonSYNFlagsMakeATCPProbe() throws {
        var shape = TCPProbeShape.variant(.bare)
        shape.flags = .ack
        let probe = try ModulesFixture.builder(ipv6: false).tcp(index: 1, shape: shape, sourcePort: 1000, destinationPort: 80,
                                                                sequence: 9, ttl: 9, ipID: 1)
        #expect(probe.module == "tcp")
        #expect(probe.label == "tcp A ttl 9 #1")
        #expect(probe.packet.transport.tcp?.flags == .ack)
        let labelled = try ModulesFixture.builder(ipv6: false).tcp(index: 1, shape: shape, sourcePort: 1000, destinationPort: 80,
                                                                   sequence: 9, ttl: 9, ipID: 1, label: "mine")
        #expect(labelled.label == "mine")
    }

    // MARK: - Recognising answers

    func synAck(to probe: Probe, ack delta: UInt32, flags: TCPFlags = [.syn, .ack], sport: UInt16 = 80) throws -> IPPacket {
        let sent = try #require(probe.packet.transport.tcp)
        return try ModulesFixture.reply(.tcp(TCPSegment(sourcePort: sport, destinationPort: sent.sourcePort,
                                                        sequenceNumber: 77, acknowledgmentNumber: sent.sequenceNumber &+ delta,
                                                        flags: flags, window: 29200)), to: probe)
    }

    @Test func tcpRecognisesAcknowledgmentsOfTheProbe() throws {
        let probe = try ModulesFixture.builder(ipv6: false).tcp(index: 0, shape: .variant(.linux), sourcePort: 41722,
                                                                destinationPort: 80, sequence: 0xFFFF_FFFF, ttl: 64, ipID: 1)
        #expect(TCPKind.recognises(try synAck(to: probe, ack: 1), for: probe))          // wraps to 0
        #expect(TCPKind.recognises(try synAck(to: probe, ack: 1, flags: [.rst, .ack]), for: probe))
        #expect(TCPKind.recognises(try synAck(to: probe, ack: 0, flags: .rst), for: probe))   // bare RST: flow only
        #expect(!TCPKind.recognises(try synAck(to: probe, ack: 2), for: probe))
        #expect(!TCPKind.recognises(try synAck(to: probe, ack: 0), for: probe))
        #expect(!TCPKind.recognises(try synAck(to: probe, ack: 1, sport: 81), for: probe))
        #expect(!TCPKind.recognises(try synAck(to: probe, ack: 0, flags: .syn), for: probe))
        #expect(ProbeKinds.recognises(module: "syn", answer: try synAck(to: probe, ack: 1), probe: probe))
    }

    @Test func tcpAcknowledgmentCountsPayload() throws {
        var shape = TCPProbeShape.variant(.mss)
        shape.payload = Array("GET / HTTP/1.1\r\n".utf8)
        shape.flags = [.psh, .ack]
        let probe = try ModulesFixture.builder(ipv6: true).tcp(index: 0, shape: shape, sourcePort: 5000, destinationPort: 80,
                                                               sequence: 100, ttl: 64, ipID: 0)
        #expect(TCPKind.recognises(try synAck(to: probe, ack: 16, flags: .ack), for: probe))
        #expect(!TCPKind.recognises(try synAck(to: probe, ack: 1, flags: .ack), for: probe))
    }
}
