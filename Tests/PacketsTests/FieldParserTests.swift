// TCP options, link layers, address text, flags, hex input, UDP length: parsers of single fields.

import Packets
import Testing

@Suite("TCP options")
struct TCPOptionTests {
    /// A SYN whose options area is `area` (a multiple of 4 bytes).
    private func segment(options area: [UInt8]) -> [UInt8] {
        var wire = probeSYN().serialized().prefix(40) + area
        wire[2] = 0; wire[3] = UInt8(40 + area.count)
        wire[32] = UInt8((20 + area.count) / 4) << 4
        return Array(wire)
    }

    @Test func badLengthBecomesTrailingAndRoundTripsExactly() throws {
        for area: [UInt8] in [[0x02, 0x09, 0x05, 0xB4], [0x08, 0x00, 0x01, 0x01], [0x03, 0x01, 0x00, 0x00],
                              [0x01, 0x01, 0x01, 0x03], [0x02, 0x04, 0x05, 0xB4, 0x1E, 0x07, 0xAA, 0xBB]] {
            let wire = segment(options: area)
            let p = try IPPacket.parse(wire)
            let t = try #require(p.transport.tcp)
            guard case .trailing(let junk)? = t.options.last else { Issue.record("\(t.options)"); continue }
            #expect(t.options.wireLength == area.count)
            #expect(!junk.isEmpty)
            #expect(p.serialized(fillLengths: false, fillChecksums: false) == wire)
            #expect(t.options.last?.name == "trailing")
            #expect(t.options.last?.kind == nil)
        }
        #expect(TCPOption.parseList([0x02, 0x09, 0x05, 0xB4][...]) == [.trailing([0x02, 0x09, 0x05, 0xB4])])
        #expect(TCPOption.parseList([0x01, 0x01, 0x01, 0x03][...]) == [.noOperation, .noOperation, .noOperation, .trailing([3])])
    }

    @Test func endOfListFollowedByJunk() throws {
        let area: [UInt8] = [0x02, 0x04, 0x05, 0xB4, 0x00, 0xDE, 0xAD, 0xBE]
        #expect(TCPOption.parseList(area[...]) == [.maximumSegmentSize(1460), .endOfList, .trailing([0xDE, 0xAD, 0xBE])])
        let wire = segment(options: area)
        let p = try IPPacket.parse(wire)
        #expect(p.transport.tcp?.options.map(\.name) == ["mss", "eol", "trailing"])
        #expect(p.serialized(fillLengths: false, fillChecksums: false) == wire)
        #expect(TCPOption.parseList([0x01, 0x00][...]) == [.noOperation, .endOfList])
        #expect(TCPOption.parseList([0x00, 0x00, 0x00, 0x00][...]) == [.endOfList, .trailing([0, 0, 0])])
    }

    @Test func everyNamedOptionDecodes() {
        var wire: [UInt8] = []
        wire += [2, 4, 0x05, 0xB4]
        wire += [3, 3, 7]
        wire += [4, 2]
        wire += [5, 18] + be32(1) + be32(2) + be32(3) + be32(4)
        wire += [8, 10] + be32(1_652_926_847) + be32(0)
        #expect(TCPOption.parseList(wire[...]) == [
            .maximumSegmentSize(1460), .windowScale(7), .sackPermitted,
            .sack([.init(left: 1, right: 2), .init(left: 3, right: 4)]),
            .timestamps(value: 1_652_926_847, echoReply: 0),
        ])
        let md5 = (0..<16).map { UInt8($0) }
        var more: [UInt8] = [19, 18] + md5
        more += [28, 4, 0x80, 0x3C]
        more += [29, 6, 1, 2, 0xAA, 0xBB]
        more += [30, 4, 0x00, 0x81]
        more += [34, 2]
        more += [34, 10, 1, 2, 3, 4, 5, 6, 7, 8]
        more += [254, 6, 0xF9, 0x89, 1, 2]
        #expect(TCPOption.parseList(more[...]) == [
            .md5Signature(md5), .userTimeout(0x803C), .authentication([1, 2, 0xAA, 0xBB]), .multipath([0x00, 0x81]),
            .fastOpen(cookie: []), .fastOpen(cookie: [1, 2, 3, 4, 5, 6, 7, 8]), .unknown(kind: 254, data: [0xF9, 0x89, 1, 2]),
        ])
        #expect(TCPOption.parseList(more[...]).map(\.name) == ["md5", "uto", "tcp-ao", "mptcp", "tfo", "tfo", "opt-254"])
        // Known kinds with wrong lengths stay raw.
        #expect(TCPOption.parseList([2, 3, 5, 1][...]) == [.unknown(kind: 2, data: [5]), .noOperation])
        #expect(TCPOption.parseList([34, 3, 1][...]) == [.unknown(kind: 34, data: [1])])
        #expect(TCPOption.parseList([5, 6, 1, 2, 3, 4][...]) == [.unknown(kind: 5, data: [1, 2, 3, 4])])
        // Writing gives the bytes back.
        for w in [wire, more] {
            var out: [UInt8] = []
            for o in TCPOption.parseList(w[...]) { o.write(into: &out) }
            #expect(out == w)
        }
    }

    @Test func builtOptionsArePaddedAndCounted() throws {
        let t = TCPSegment(sourcePort: 1, destinationPort: 2, flags: [.syn],
                           options: [.maximumSegmentSize(1460), .windowScale(2)])   // 7 bytes
        #expect(t.headerLength == 28)
        let p = try IPPacket.parse(IPPacket(IPv4Header(proto: 6, source: client, destination: server), .tcp(t)).serialized())
        #expect(p.transport.tcp?.options == [.maximumSegmentSize(1460), .windowScale(2), .endOfList])
    }
}

@Suite("Link layers")
struct LinkLayerTests {
    let ip = probeSYN().serialized()
    let ip6 = probeSYN6().serialized()
    let mac1: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
    let mac2: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02]

    @Test func ethernetPlainAndVLAN() throws {
        let plain = try Frame.parse(mac1 + mac2 + [0x08, 0x00] + ip, linkType: .ethernet)
        #expect(plain.link == .ethernet(source: MACAddress(mac2), destination: MACAddress(mac1), vlanTags: [], etherType: 0x0800))
        #expect(plain.ip == (try IPPacket.parse(ip)))

        let tagged = try Frame.parse(mac1 + mac2 + [0x81, 0x00, 0x20, 0x64, 0x86, 0xDD] + ip6 + [0, 0, 0, 0], linkType: .ethernet)
        #expect(tagged.link == .ethernet(source: MACAddress(mac2), destination: MACAddress(mac1), vlanTags: [0x2064], etherType: 0x86DD))
        #expect(tagged.ip == (try IPPacket.parse(ip6)))     // trailer ignored by the IPv6 payload length

        let qinq = try Frame.parse(mac1 + mac2 + [0x88, 0xA8, 0x00, 0x0A, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00] + ip, linkType: .ethernet)
        #expect(qinq.link == .ethernet(source: MACAddress(mac2), destination: MACAddress(mac1), vlanTags: [0x000A, 0x0064], etherType: 0x0800))
        #expect(qinq.ip?.transport.tcp?.sourcePort == 40000)
        #expect(MACAddress(mac2).description == "02:00:00:00:00:02")

        let arp = try Frame.parse(mac1 + mac2 + [0x08, 0x06] + zeros(28), linkType: .ethernet)
        #expect(arp.payload == .notIP(protocolNumber: 0x0806, bytes: zeros(28)[...]))
        #expect(arp.ip == nil)

        let bad = try Frame.parse(mac1 + mac2 + [0x08, 0x00] + [0x45, 0, 0], linkType: .ethernet)
        guard case .undecodable = bad.payload else { Issue.record("\(bad.payload)"); return }

        #expect(throws: PacketError.self) { try Frame.parse(mac1 + mac2 + [0x81, 0x00, 0x00], linkType: .ethernet) }
        #expect(throws: PacketError.self) { try Frame.parse(mac1 + mac2, linkType: .ethernet) }
    }

    @Test func linuxCookedV1() throws {
        let hdr: [UInt8] = [0x00, 0x00, 0x00, 0x01, 0x00, 0x06] + mac1 + [0, 0] + [0x08, 0x00]
        let f = try Frame.parse(hdr + ip, linkType: .linuxSLL)
        #expect(f.link == .linuxCooked(packetType: 0, hardwareType: 1, address: MACAddress(mac1), proto: 0x0800))
        #expect(f.ip == (try IPPacket.parse(ip)))
        #expect(throws: PacketError.self) { try Frame.parse(Array(hdr.prefix(15)), linkType: .linuxSLL) }
        // Address length field larger than the 8-byte slot.
        var wide = hdr; wide[5] = 200
        #expect(try Frame.parse(wide + ip, linkType: .linuxSLL).ip != nil)
    }

    @Test func linuxCookedV2() throws {
        let hdr: [UInt8] = [0x86, 0xDD, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x04, 0x06] + mac2 + [0, 0]
        let f = try Frame.parse(hdr + ip6, linkType: .linuxSLL2)
        #expect(f.link == .linuxCooked2(packetType: 4, hardwareType: 1, interfaceIndex: 3, address: MACAddress(mac2), proto: 0x86DD))
        #expect(f.ip == (try IPPacket.parse(ip6)))
        #expect(throws: PacketError.self) { try Frame.parse(Array(hdr.prefix(19)), linkType: .linuxSLL2) }
    }

    @Test func nullInBothByteOrdersAndLoop() throws {
        let v4 = try IPPacket.parse(ip)
        let v6 = try IPPacket.parse(ip6)
        #expect(try Frame.parse([2, 0, 0, 0] + ip, linkType: .null).link == .loopback(family: 2))
        #expect(try Frame.parse([2, 0, 0, 0] + ip, linkType: .null).ip == v4)
        #expect(try Frame.parse([0, 0, 0, 2] + ip, linkType: .null).ip == v4)
        for fam: UInt8 in [10, 24, 28, 30] {
            #expect(try Frame.parse([fam, 0, 0, 0] + ip6, linkType: .null).ip == v6, "family \(fam) LE")
            #expect(try Frame.parse([0, 0, 0, fam] + ip6, linkType: .null).ip == v6, "family \(fam) BE")
        }
        #expect(try Frame.parse([0, 0, 0, 2] + ip, linkType: .loop).link == .loopback(family: 2))
        #expect(try Frame.parse([0, 0, 0, 2] + ip, linkType: .loop).ip == v4)
        #expect(try Frame.parse([0, 0, 0, 24] + ip6, linkType: .loop).ip == v6)
        // LOOP is always network order: a little-endian family is not IP.
        #expect(try Frame.parse([2, 0, 0, 0] + ip, linkType: .loop).ip == nil)
        #expect(try Frame.parse([7, 0, 0, 0] + ip, linkType: .null).ip == nil)
        #expect(throws: PacketError.self) { try Frame.parse([2, 0, 0], linkType: .null) }
    }

    @Test func rawAndItsAliases() throws {
        for raw: UInt32 in [101, 12, 14, 228, 229] {
            #expect(try Frame.parse(ip, linkType: LinkType(rawValue: raw)).ip?.transport.tcp?.destinationPort == 443)
            #expect(try Frame.parse(ip, linkType: LinkType(rawValue: raw)).link == .raw)
        }
        #expect(throws: PacketError.invalid(layer: "link layer", reason: "link type 147 is not supported")) {
            try Frame.parse(ip, linkType: LinkType(rawValue: 147))
        }
        #expect(LinkType(name: "sll2") == .linuxSLL2)
        #expect(LinkType(name: "EN10MB") == .ethernet)
        #expect(LinkType(name: "token-ring") == nil)
        #expect(LinkType.linuxSLL.description == "LINUX_SLL")
    }

    @Test func encapsulateParsesBack() throws {
        for lt in [LinkType.ethernet, .linuxSLL, .linuxSLL2, .null, .loop, .raw] {
            for bytes in [ip, ip6] {
                let f = try Frame.parse(Frame.encapsulate(bytes, linkType: lt), linkType: lt)
                #expect(f.ip == (try IPPacket.parse(bytes)), "\(lt)")
            }
        }
    }
}

@Suite("Address text")
struct AddressTests {
    @Test func ipv4Text() {
        #expect(IPv4Address("192.168.0.2") == IPv4Address(192, 168, 0, 2))
        #expect(IPv4Address("0.0.0.0")?.value == 0)
        #expect(IPv4Address("255.255.255.255")?.value == 0xFFFF_FFFF)
        #expect(IPv4Address(159, 89, 184, 10).description == "159.89.184.10")
        #expect(IPv4Address(159, 89, 184, 10).bytes == [159, 89, 184, 10])
        for bad in ["1.2.3", "256.1.1.1", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "", "1.2.3.-4", "+1.2.3.4",
                    "1.2.3.4 ", " 1.2.3.4", "1.2.3.0x4", "1234.1.1.1", "a.b.c.d", "1.2.3.4/24", "１.2.3.4"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
        #expect(IPv4Address(1, 2, 3, 4) < IPv4Address(1, 2, 3, 5))
    }

    @Test func ipv6TextAndRFC5952() throws {
        let cases: [(String, String)] = [
            ("2001:db8::1", "2001:db8::1"),
            ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::FFFF:0102:0304", "::ffff:1.2.3.4"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),        // first of equal runs
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),              // longest run
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),     // a single zero group stays
            ("fe80::1:2:3:4", "fe80::1:2:3:4"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
        ]
        for (text, canonical) in cases {
            let a = try #require(IPv6Address(text), "\(text)")
            #expect(a.description == canonical, "\(text)")
            #expect(IPv6Address(canonical) == a)
        }
        #expect(IPv6Address("2001:db8::1")?.bytes == [0x20, 0x01, 0x0d, 0xb8] + zeros(11) + [1])
        #expect(IPv6Address("2001:db8::1")?.groups == [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])
        for bad in ["1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "::g", "1:2:3:4:5:6:7:8::",
                    "::1.2.3", "1.2.3.4", "", ":1::", "1::2:", "::ffff:256.1.1.1", "fe80::1%eth0", "+1::", "::-0",
                    "1:+2::", " ::1", "2001:db8::1/64", "::1.2.3.4:5"] {
            #expect(IPv6Address(bad) == nil, "\(bad)")
        }
        #expect(IPAddress("2001:db8::1") == .v6(IPv6Address("2001:db8::1")!))
        #expect(IPAddress("10.0.0.1")?.description == "10.0.0.1")
        #expect(IPAddress("nonsense") == nil)
        #expect(IPv6Address(bytes: [UInt8](repeating: 0, count: 15)) == nil)
    }
}

@Suite("TCP flags")
struct TCPFlagsTests {
    @Test func letters() {
        #expect(TCPFlags.syn.letters == "S")
        #expect(([.syn, .ack] as TCPFlags).letters == "SA")
        #expect(TCPFlags.rst.letters == "R")
        #expect(([.rst, .ack] as TCPFlags).letters == "RA")
        #expect(([.fin, .ack] as TCPFlags).letters == "FA")
        #expect(([.psh, .ack] as TCPFlags).letters == "PA")
        #expect(TCPFlags.ack.letters == "A")
        #expect(TCPFlags().letters == "")
        #expect(([.fin, .psh, .ack] as TCPFlags).letters == "FPA")
        #expect(TCPFlags(rawValue: 0x1FF).letters == "SFRPAUECN")
        #expect(([.syn, .ack] as TCPFlags).tcpdumpNotation == "S.")
        #expect(([.psh, .ack] as TCPFlags).tcpdumpNotation == "P.")
        #expect(TCPFlags.ack.tcpdumpNotation == ".")
        #expect(TCPFlags().tcpdumpNotation == "none")
        #expect(TCPFlags(rawValue: 0xFFFF).rawValue == 0xFFF)
    }

    @Test func flagBitsOnTheWire() throws {
        var wire = probeSYN().serialized()
        wire[32] = 0x61; wire[33] = 0x12    // data offset 6, reserved 0b000, AE; then SYN+ACK
        let t = try #require(try IPPacket.parse(wire).transport.tcp)
        #expect(t.flags == [.ae, .syn, .ack])
        #expect(t.reservedBits == 0)
        wire[32] = 0x6F                     // reserved bits 0b111 and AE
        let t2 = try #require(try IPPacket.parse(wire).transport.tcp)
        #expect(t2.reservedBits == 7)
        #expect(t2.flags == [.ae, .syn, .ack])
        #expect(try IPPacket.parse(wire).serialized(fillLengths: false, fillChecksums: false) == wire)
    }
}

@Suite("Hex input")
struct HexTests {
    @Test func spellings() throws {
        let want: [UInt8] = [0x45, 0x00, 0x00, 0x2C]
        for text in ["4500002c", "45 00 00 2c", "4500 002c", "45:00:00:2c", "45-00-00-2c", "0x45, 0x00, 0x00, 0x2c",
                     "0x4500002c", "  45 00\n00 2C\r\n", "\t0x0000:  4500 002c", "0x0000:  4500 002c  E..,",
                     "0x45:00:00:2c", "0x45 0x00:0x00-0x2c"] {
            #expect(try Hex.decode(text) == want, "\(text)")
        }
        #expect(Hex.encode([0x00, 0xAB, 0x0F]) == "00ab0f")
    }

    @Test func rejections() {
        #expect(throws: PacketError.self) { try Hex.decode("") }
        #expect(throws: PacketError.self) { try Hex.decode("   \n ") }
        #expect(throws: PacketError.self) { try Hex.decode("450") }
        #expect(throws: PacketError.self) { try Hex.decode("45 zz") }
        #expect(throws: PacketError.self) { try Hex.decode("0x") }
    }
}

struct UDPLengthZeroTests {
    let udpZeroLength: [UInt8] = [0x30, 0x39, 0x00, 0x35, 0x00, 0x00, 0x00, 0x00, 1, 2, 3, 4]

    @Test func ipv4UDPWithLengthZeroIsMalformed() throws {
        let p = IPPacket(IPv4Header(proto: 17, source: IPv4Address(198, 18, 0, 1), destination: IPv4Address(198, 18, 0, 2)),
                         .other(proto: 17, payload: udpZeroLength[...]))
        let parsed = try IPPacket.parse(p.serialized())
        guard case .malformed(17, _, _) = parsed.transport else {
            Issue.record("expected malformed UDP, got \(parsed.transport)")
            return
        }
    }

    @Test func ipv6UDPWithLengthZeroIsAJumbogramHeader() throws {
        let p = IPPacket(IPv6Header(nextHeader: 17, source: IPv6Address("2001:db8::1")!, destination: IPv6Address("2001:db8::2")!),
                         .other(proto: 17, payload: udpZeroLength[...]))
        let parsed = try IPPacket.parse(p.serialized())
        #expect(parsed.transport.udp?.payload.count == 4)
    }
}
