// The packets of the founding story (seeds/003): the hex dumps tcpdump printed during
// the 2018 investigation must decode to exactly what tcpdump said they were.
import Testing
import Packets

@Suite("Seed vectors (seeds/003 tcpdump dumps)")
struct SeedVectorTests {
    static let user = IPv4Address(192, 168, 0, 2)
    static let server = IPv4Address(159, 89, 184, 10)

    // Plain hex, as the brief quotes them.
    static let syn44 = "4500 002c f1ed 0000 1306 9dd0 c0a8 0002 9f59 b80a e2c9 0050 e569 3ed5 0000 0000 6002 16d0 61ef 0000 0204 05b4"
    static let synAck = "4500 002c 0000 4000 3306 2fbe 9f59 b80a c0a8 0002 0050 e2c9 97a3 5f23 e569 3ed6 6012 7210 0feb 0000 0204 05a0 0000"
    static let kernelRST = "4500 0028 f1f8 4000 4006 30c9 c0a8 0002 9f59 b80a e2c9 0050 e569 3ed6 0000 0000 5004 0000 9078 0000"
    static let syn60 = "4500 003c d676 0000 1306 b937 c0a8 0002 9f59 b80a a4d1 0050 a609 d8f5 0000 0000 a002 16d0 e900 0000 0204 05b4 0402 080a 6285 a97f 0000 0000 0103 0302"
    static let forgedRST = "4500 0028 0001 0000 0806 9ac1 9f59 b80a c0a8 0002 0050 a4d1 0000 0000 a609 d8f5 5004 16d0 5ce1 0000 0000 0000 0000"

    // The same packets exactly as tcpdump -X printed them in the seed file.
    static let syn44X = #"""
      0x0000:  4500 002c f1ed 0000 1306 9dd0 c0a8 0002  E..,............
      0x0010:  9f59 b80a e2c9 0050 e569 3ed5 0000 0000  .Y.....P.i>.....
      0x0020:  6002 16d0 61ef 0000 0204 05b4            `...a.......
    """#
    static let synAckX = #"""
      0x0000:  4500 002c 0000 4000 3306 2fbe 9f59 b80a  E..,..@.3./..Y..
      0x0010:  c0a8 0002 0050 e2c9 97a3 5f23 e569 3ed6  .....P...._#.i>.
      0x0020:  6012 7210 0feb 0000 0204 05a0 0000       `.r...........
    """#
    static let kernelRSTX = #"""
      0x0000:  4500 0028 f1f8 4000 4006 30c9 c0a8 0002  E..(..@.@.0.....
      0x0010:  9f59 b80a e2c9 0050 e569 3ed6 0000 0000  .Y.....P.i>.....
      0x0020:  5004 0000 9078 0000                      P....x..
    """#
    static let syn60X = #"""
      0x0000:  4500 003c d676 0000 1306 b937 c0a8 0002  E..<.v.....7....
      0x0010:  9f59 b80a a4d1 0050 a609 d8f5 0000 0000  .Y.....P........
      0x0020:  a002 16d0 e900 0000 0204 05b4 0402 080a  ................
      0x0030:  6285 a97f 0000 0000 0103 0302            b...........
    """#
    static let forgedRSTX = #"""
      0x0000:  4500 0028 0001 0000 0806 9ac1 9f59 b80a  E..(.........Y..
      0x0010:  c0a8 0002 0050 a4d1 0000 0000 a609 d8f5  .....P..........
      0x0020:  5004 16d0 5ce1 0000 0000 0000 0000       P...\.........
    """#

    static let all: [(name: String, plain: String, dump: String, ipLength: Int)] = [
        ("44-byte SYN", syn44, syn44X, 44),
        ("SYN-ACK", synAck, synAckX, 44),
        ("kernel RST", kernelRST, kernelRSTX, 40),
        ("60-byte SYN", syn60, syn60X, 60),
        ("forged RST", forgedRST, forgedRSTX, 40),
    ]

    struct Decoded {
        var bytes: [UInt8]
        var packet: IPPacket
        var ip: IPv4Header
        var tcp: TCPSegment
    }

    func decode(_ hex: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Decoded {
        let bytes = try Hex.decode(hex)
        let packet = try IPPacket.parse(bytes)
        guard case .v4(let ip) = packet.header else {
            Issue.record("not IPv4", sourceLocation: sourceLocation)
            throw PacketError.invalid(layer: "test", reason: "not IPv4")
        }
        let tcp = try #require(packet.transport.tcp, sourceLocation: sourceLocation)
        return Decoded(bytes: bytes, packet: packet, ip: ip, tcp: tcp)
    }

    @Test func syn44Bytes() throws {
        let d = try decode(Self.syn44)
        #expect(d.bytes.count == 44)
        #expect(d.ip.ttl == 19)
        #expect(d.ip.identification == 61933)
        #expect(d.ip.flags == [])
        #expect(!d.ip.dontFragment)
        #expect(d.ip.fragmentOffset == 0)
        #expect(d.ip.tos == 0)
        #expect(d.ip.totalLength == 44)
        #expect(d.ip.proto == 6)
        #expect(d.ip.options.isEmpty)
        #expect(d.ip.checksum == 0x9dd0)
        #expect(d.ip.source == Self.user)
        #expect(d.ip.destination == Self.server)
        #expect(d.packet.source.description == "192.168.0.2")
        #expect(d.packet.destination.description == "159.89.184.10")
        #expect(d.tcp.sourcePort == 58057)
        #expect(d.tcp.destinationPort == 80)
        #expect(d.tcp.sequenceNumber == 3848879829)
        #expect(d.tcp.acknowledgmentNumber == 0)
        #expect(d.tcp.flags == [.syn])
        #expect(d.tcp.flags.letters == "S")
        #expect(d.tcp.flags.tcpdumpNotation == "S")
        #expect(d.tcp.reservedBits == 0)
        #expect(d.tcp.window == 5840)
        #expect(d.tcp.checksum == 0x61ef)
        #expect(d.tcp.urgentPointer == 0)
        #expect(d.tcp.options == [.maximumSegmentSize(1460)])
        #expect(d.tcp.options.map(\.name) == ["mss"])
        #expect(d.tcp.headerLength == 24)
        #expect(d.tcp.payload.isEmpty)
        #expect(!d.packet.isTruncated)
        #expect(d.packet.headerChecksumIsValid == true)
        #expect(d.packet.transportChecksumIsValid == true)
    }

    @Test func synAckWithEthernetPadding() throws {
        let d = try decode(Self.synAck)
        #expect(d.bytes.count == 46)              // two bytes of Ethernet padding
        #expect(d.ip.totalLength == 44)
        #expect(d.ip.ttl == 51)
        #expect(d.ip.identification == 0)
        #expect(d.ip.flags == [.dontFragment])
        #expect(d.ip.dontFragment)
        #expect(d.ip.checksum == 0x2fbe)
        #expect(d.ip.source == Self.server)
        #expect(d.ip.destination == Self.user)
        #expect(d.tcp.sourcePort == 80)
        #expect(d.tcp.destinationPort == 58057)
        #expect(d.tcp.sequenceNumber == 2544066339)
        #expect(d.tcp.acknowledgmentNumber == 3848879830)
        #expect(d.tcp.flags == [.syn, .ack])
        #expect(d.tcp.flags.letters == "SA")
        #expect(d.tcp.flags.tcpdumpNotation == "S.")
        #expect(d.tcp.window == 29200)
        #expect(d.tcp.checksum == 0x0feb)
        #expect(d.tcp.options == [.maximumSegmentSize(1440)])
        #expect(d.tcp.payload.isEmpty)              // the padding is not payload
        #expect(!d.packet.isTruncated)
        #expect(d.packet.headerChecksumIsValid == true)
        #expect(d.packet.transportChecksumIsValid == true)
    }

    @Test func kernelRST() throws {
        let d = try decode(Self.kernelRST)
        #expect(d.bytes.count == 40)
        #expect(d.ip.totalLength == 40)
        #expect(d.ip.ttl == 64)
        #expect(d.ip.identification == 61944)
        #expect(d.ip.flags == [.dontFragment])
        #expect(d.ip.checksum == 0x30c9)
        #expect(d.ip.source == Self.user)
        #expect(d.ip.destination == Self.server)
        #expect(d.tcp.sourcePort == 58057)
        #expect(d.tcp.destinationPort == 80)
        #expect(d.tcp.sequenceNumber == 3848879830)
        #expect(d.tcp.acknowledgmentNumber == 0)
        #expect(d.tcp.flags == [.rst])
        #expect(d.tcp.flags.letters == "R")
        #expect(d.tcp.window == 0)
        #expect(d.tcp.checksum == 0x9078)
        #expect(d.tcp.options.isEmpty)
        #expect(d.tcp.headerLength == 20)
        #expect(d.tcp.payload.isEmpty)
        #expect(d.packet.headerChecksumIsValid == true)
        #expect(d.packet.transportChecksumIsValid == true)
    }

    @Test func syn60() throws {
        let d = try decode(Self.syn60)
        #expect(d.bytes.count == 60)
        #expect(d.ip.totalLength == 60)
        #expect(d.ip.ttl == 19)
        #expect(d.ip.identification == 54902)
        #expect(d.ip.flags == [])
        #expect(d.ip.checksum == 0xb937)
        #expect(d.ip.source == Self.user)
        #expect(d.ip.destination == Self.server)
        #expect(d.tcp.sourcePort == 42193)
        #expect(d.tcp.destinationPort == 80)
        #expect(d.tcp.sequenceNumber == 2785663221)
        #expect(d.tcp.acknowledgmentNumber == 0)
        #expect(d.tcp.flags == [.syn])
        #expect(d.tcp.window == 5840)
        #expect(d.tcp.checksum == 0xe900)
        #expect(d.tcp.options == [
            .maximumSegmentSize(1460),
            .sackPermitted,
            .timestamps(value: 1652926847, echoReply: 0),
            .noOperation,
            .windowScale(2),
        ])
        #expect(d.tcp.options.map(\.name) == ["mss", "sackOK", "TS", "nop", "wscale"])
        #expect(d.tcp.headerLength == 40)
        #expect(d.tcp.payload.isEmpty)
        #expect(d.packet.headerChecksumIsValid == true)
        #expect(d.packet.transportChecksumIsValid == true)
    }

    @Test func forgedRST() throws {
        let d = try decode(Self.forgedRST)
        #expect(d.bytes.count == 46)              // six bytes of Ethernet padding
        #expect(d.ip.totalLength == 40)
        #expect(d.ip.ttl == 8)
        #expect(d.ip.identification == 1)
        #expect(d.ip.flags == [])
        #expect(!d.ip.dontFragment)
        #expect(d.ip.checksum == 0x9ac1)
        #expect(d.ip.source == Self.server)
        #expect(d.ip.destination == Self.user)
        #expect(d.tcp.sourcePort == 80)
        #expect(d.tcp.destinationPort == 42193)
        #expect(d.tcp.sequenceNumber == 0)
        // The injector copied the SYN's sequence number into the ack field without setting ACK.
        #expect(d.tcp.acknowledgmentNumber == 2785663221)
        #expect(d.tcp.flags == [.rst])
        #expect(!d.tcp.flags.contains(.ack))
        #expect(d.tcp.flags.letters == "R")
        #expect(d.tcp.window == 5840)
        #expect(d.tcp.checksum == 0x5ce1)
        #expect(d.tcp.options.isEmpty)
        #expect(d.tcp.payload.isEmpty)
        #expect(!d.packet.isTruncated)
        #expect(d.packet.headerChecksumIsValid == true)
        #expect(d.packet.transportChecksumIsValid == true)
    }

    @Test(arguments: all.map(\.name))
    func tcpdumpXFormDecodesToTheSameBytes(name: String) throws {
        let v = try #require(Self.all.first { $0.name == name })
        let fromPlain = try Hex.decode(v.plain)
        let fromDump = try Hex.decode(v.dump)
        #expect(fromDump == fromPlain)
        // The -x form (no ASCII column, tab indent) too.
        let xForm = v.dump.split(separator: "\n").map { line -> String in
            let s = line.drop(while: { $0 == " " })       // "0x0000:  4500 ...  ASCII"
            let head = s.prefix(9)                        // "0x0000:  "
            let rest = s.dropFirst(9)
            let hex = rest.firstRange(of: "  ").map { rest[..<$0.lowerBound] } ?? rest
            return "\t" + head + hex
        }.joined(separator: "\n")
        #expect(try Hex.decode(xForm) == fromPlain)
        // Other plain spellings.
        #expect(try Hex.decode(fromPlain.map { "0x" + hexString([$0]) }.joined(separator: ", ")) == fromPlain)
        #expect(try Hex.decode(fromPlain.map { hexString([$0]) }.joined(separator: ":")) == fromPlain)
        #expect(try Hex.decode(hexString(fromPlain).uppercased()) == fromPlain)
        #expect(Hex.encode(fromPlain) == hexString(fromPlain))
    }

    @Test(arguments: all.map(\.name))
    func reserializesExactly(name: String) throws {
        let v = try #require(Self.all.first { $0.name == name })
        let bytes = try Hex.decode(v.plain)
        let packet = try IPPacket.parse(bytes)
        let wire = Array(bytes.prefix(v.ipLength))       // without the Ethernet padding
        #expect(packet.serialized(fillLengths: false, fillChecksums: false) == wire)
        // Recomputing lengths and checksums gives what the senders put on the wire.
        #expect(packet.serialized() == wire)
        #expect(packet.serialized(fillLengths: true, fillChecksums: false) == wire)
        #expect(packet.serialized(fillLengths: false, fillChecksums: true) == wire)
        // A zeroed checksum is recomputed to the dump's value.
        var zeroed = packet
        if case .v4(var h) = zeroed.header { h.checksum = 0; h.totalLength = 0; zeroed.header = .v4(h) }
        if case .tcp(var t) = zeroed.transport { t.checksum = 0; zeroed.transport = .tcp(t) }
        #expect(zeroed.headerChecksumIsValid == false)
        #expect(zeroed.transportChecksumIsValid == false)
        let rebuilt = zeroed.serialized()
        #expect(rebuilt == wire)
        // Independent check of both checksums over the wire bytes.
        var ipHeader = Array(wire[0..<20]); ipHeader[10] = 0; ipHeader[11] = 0
        #expect(rfc1071(ipHeader) == UInt16(wire[10]) << 8 | UInt16(wire[11]))
        let tcp = Array(wire[20...])
        let pseudo = pseudoHeaderV4(src: IPv4Address(wire[12], wire[13], wire[14], wire[15]),
                                    dst: IPv4Address(wire[16], wire[17], wire[18], wire[19]), proto: 6, length: tcp.count)
        #expect(independentTransportChecksum(tcp, field: 16, pseudo: pseudo, isUDP: false) == UInt16(tcp[16]) << 8 | UInt16(tcp[17]))
        // Through every link layer the packet decodes the same.
        for lt in [LinkType.raw, .ethernet, .linuxSLL, .linuxSLL2, .null, .loop] {
            let frame = try Frame.parse(Frame.encapsulate(bytes, linkType: lt), linkType: lt)
            #expect(frame.ip == packet, "link type \(lt)")
        }
    }

    /// The story's conclusion, as data: the forged RST differs from the genuine answers.
    @Test func forgedRSTFingerprintDiffersFromGenuineSynAck() throws {
        let genuine = try decode(Self.synAck)
        let forged = try decode(Self.forgedRST)
        let probe = try decode(Self.syn60)
        #expect(genuine.ip.ttl != forged.ip.ttl)
        #expect(forged.ip.identification == 1 && !forged.ip.dontFragment)
        #expect(genuine.ip.dontFragment)
        // The forged RST answers the 60-byte SYN: ports mirrored, its ack field echoes the SYN's seq.
        #expect(forged.tcp.sourcePort == probe.tcp.destinationPort)
        #expect(forged.tcp.destinationPort == probe.tcp.sourcePort)
        #expect(forged.tcp.acknowledgmentNumber == probe.tcp.sequenceNumber)
    }
}
