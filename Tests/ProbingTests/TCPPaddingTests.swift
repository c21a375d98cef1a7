import Packets
import Probing
import Testing

/// `TCPProbeShape.size`: the option space grows first (zeros after the last option, up to
/// 40 option bytes, in 4-byte steps), then zero payload bytes; and the error cases.
@Suite struct TCPPaddingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var variant: SYNVariant
        var ipv6: Bool
        var size: Int
        var optionBytes: Int
        var payloadBytes: Int
        var testDescription: String { "\(variant) \(ipv6 ? "v6" : "v4") size \(size)" }
    }

    static let cases: [Case] = [
        Case(variant: .mss, ipv6: false, size: 44, optionBytes: 4, payloadBytes: 0),
        Case(variant: .mss, ipv6: false, size: 48, optionBytes: 8, payloadBytes: 0),
        Case(variant: .mss, ipv6: false, size: 60, optionBytes: 20, payloadBytes: 0),   // the DPI's trigger size
        Case(variant: .mss, ipv6: false, size: 47, optionBytes: 4, payloadBytes: 3),
        Case(variant: .mss, ipv6: false, size: 81, optionBytes: 40, payloadBytes: 1),
        Case(variant: .mss, ipv6: false, size: 100, optionBytes: 40, payloadBytes: 20),
        Case(variant: .bare, ipv6: false, size: 41, optionBytes: 0, payloadBytes: 1),
        Case(variant: .bare, ipv6: false, size: 1500, optionBytes: 40, payloadBytes: 1420),
        Case(variant: .bare, ipv6: false, size: 65535, optionBytes: 40, payloadBytes: 65535 - 80),
        Case(variant: .linux, ipv6: false, size: 60, optionBytes: 20, payloadBytes: 0),
        Case(variant: .linux, ipv6: false, size: 64, optionBytes: 24, payloadBytes: 0),
        Case(variant: .linux, ipv6: false, size: 83, optionBytes: 40, payloadBytes: 3),
        Case(variant: .macos, ipv6: false, size: 66, optionBytes: 24, payloadBytes: 2),
        Case(variant: .windows, ipv6: false, size: 80, optionBytes: 40, payloadBytes: 0),
        Case(variant: .mss, ipv6: true, size: 80, optionBytes: 20, payloadBytes: 0),
        Case(variant: .linux, ipv6: true, size: 101, optionBytes: 40, payloadBytes: 1),
    ]

    @Test(arguments: cases)
    func padsOptionsFirstThenPayload(_ c: Case) throws {
        var shape = TCPProbeShape.variant(c.variant, ipv6: c.ipv6)
        shape.size = c.size
        let probe = try ModulesFixture.builder(ipv6: c.ipv6).tcp(index: 2, shape: shape, sourcePort: 40000, destinationPort: 443,
                                                                 sequence: 1, ttl: 64, ipID: 2)
        #expect(probe.bytes.count == c.size)
        #expect(shape.packetLength(ipv6: c.ipv6) == c.size)
        ModulesFixture.expectWellFormed(probe)
        let options = ModulesFixture.tcpOptionBytes(probe)
        let natural = ModulesFixture.wire(shape.options)
        #expect(options.count == c.optionBytes)
        #expect(Array(options.prefix(natural.count)) == natural)
        #expect(options.dropFirst(natural.count).allSatisfy { $0 == 0 })
        let tcp = try #require(probe.packet.transport.tcp)
        #expect(tcp.payload.count == c.payloadBytes)
        #expect(tcp.payload.allSatisfy { $0 == 0 })
        #expect(probe.label.contains("size \(c.size)"))
    }

    @Test func shapePayloadComesBeforeThePadding() throws {
        var shape = TCPProbeShape.variant(.mss)
        shape.payload = [0x16, 0x03, 0x01]
        shape.size = 20 + 20 + 40 + 3 + 5
        let probe = try ModulesFixture.builder(ipv6: false).tcp(index: 0, shape: shape, sourcePort: 1, destinationPort: 443,
                                                                sequence: 1, ttl: 64, ipID: 2)
        #expect(probe.bytes.count == 88)
        #expect(Array(try #require(probe.packet.transport.tcp).payload) == [0x16, 0x03, 0x01, 0, 0, 0, 0, 0])
    }

    @Test func unalignedOptionsAreAlignedThenGrown() throws {
        let shape = TCPProbeShape(options: [.maximumSegmentSize(1460), .windowScale(2)], size: 52)   // 7 option bytes
        #expect(shape.naturalLength(ipv6: false) == 48)
        let probe = try ModulesFixture.builder(ipv6: false).tcp(index: 0, shape: shape, sourcePort: 1, destinationPort: 80,
                                                                sequence: 1, ttl: 64, ipID: 2)
        #expect(ModulesFixture.tcpOptionBytes(probe) == [2, 4, 5, 0xB4, 3, 3, 2, 0, 0, 0, 0, 0])
        #expect(probe.packet.transport.tcp?.payload.isEmpty == true)
        ModulesFixture.expectWellFormed(probe)
    }

    @Test func sizeBelowNaturalLengthIsRefused() throws {
        var shape = TCPProbeShape.variant(.linux)
        shape.size = 44
        #expect(throws: ProbeBuildError.sizeBelowNatural(size: 44, natural: 60)) {
            try ModulesFixture.builder(ipv6: false).tcp(index: 0, shape: shape, sourcePort: 1, destinationPort: 80,
                                                        sequence: 1, ttl: 64, ipID: 1)
        }
        #expect(throws: ProbeBuildError.sizeBelowNatural(size: 44, natural: 80)) { try shape.validate(ipv6: true) }
        #expect(ProbeBuildError.sizeBelowNatural(size: 44, natural: 60).description
            == "size 44 is smaller than the 60 bytes this probe takes without padding")
    }

    @Test func sizeAboveTheLargestPacketIsRefused() {
        var shape = TCPProbeShape.variant(.bare)
        shape.size = 65536
        #expect(throws: ProbeBuildError.sizeTooLarge(size: 65536)) { try shape.validate(ipv6: false) }
        shape.size = nil
        shape.payload = [UInt8](repeating: 1, count: 65500)
        #expect(throws: ProbeBuildError.packetTooLarge(length: 65540)) { try shape.validate(ipv6: false) }
    }

    @Test func optionsBeyondFortyBytesAreRefused() throws {
        let ts = TCPOption.timestamps(value: 1, echoReply: 0)
        let shape = TCPProbeShape(options: [ts, ts, ts, ts, .noOperation])   // 41 bytes
        #expect(throws: ProbeBuildError.optionsTooLong(bytes: 41)) {
            try ModulesFixture.builder(ipv6: false).tcp(index: 0, shape: shape, sourcePort: 1, destinationPort: 80,
                                                        sequence: 1, ttl: 64, ipID: 1)
        }
        let full = TCPProbeShape(options: [ts, ts, ts, ts])   // exactly 40: allowed
        let probe = try ModulesFixture.builder(ipv6: false).tcp(index: 0, shape: full, sourcePort: 1, destinationPort: 80,
                                                                sequence: 1, ttl: 64, ipID: 1)
        #expect(probe.bytes.count == 80)
        #expect(ProbeBuildError.optionsTooLong(bytes: 41).description
            == "the TCP options take 41 bytes, more than the 40 a TCP header can hold")
    }

    @Test func mismatchedFamiliesAreRefused() {
        #expect(throws: ProbeBuildError.addressFamilyMismatch(source: ModulesFixture.v4Source,
                                                               destination: ModulesFixture.v6Destination)) {
            try ProbeBuilder(source: ModulesFixture.v4Source, destination: ModulesFixture.v6Destination)
        }
    }
}
