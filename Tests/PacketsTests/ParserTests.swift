// Focused unit tests of the parsers: ICMP quotes and extensions, fragments and malformed
// transports. The addresses and probes below are shared with FieldParserTests.swift.
import Packets
import Testing

let client = IPv4Address(198, 18, 0, 2)
let server = IPv4Address(198, 18, 3, 10)
let router = IPv4Address(198, 18, 1, 1)
let client6 = IPv6Address("2001:db8::2")!
let server6 = IPv6Address("2001:db8:3::10")!
let router6 = IPv6Address("2001:db8:1::1")!

/// The SYN a traceroute -T probe would send.
func probeSYN(ttl: UInt8 = 1) -> IPPacket {
    IPPacket(IPv4Header(identification: 0x1234, ttl: ttl, proto: 6, source: client, destination: server),
             .tcp(TCPSegment(sourcePort: 40000, destinationPort: 443, sequenceNumber: 0xDEAD_BEEF,
                             acknowledgmentNumber: 0x0102_0304, flags: [.syn], window: 64240,
                             options: [.maximumSegmentSize(1460)])))
}

func probeSYN6() -> IPPacket {
    IPPacket(IPv6Header(nextHeader: 6, hopLimit: 1, source: client6, destination: server6),
             .tcp(TCPSegment(sourcePort: 40001, destinationPort: 80, sequenceNumber: 77, flags: [.syn], window: 1024)))
}

private func icmp4(_ type: UInt8, _ code: UInt8, rest: UInt32 = 0, body: [UInt8]) -> IPPacket {
    IPPacket(IPv4Header(ttl: 250, proto: 1, source: router, destination: client),
             .icmp(ICMPMessage(family: .v4, type: type, code: code, restOfHeader: rest, body: body[...])))
}

private func icmp6(_ type: UInt8, _ code: UInt8, rest: UInt32 = 0, body: [UInt8]) -> IPPacket {
    IPPacket(IPv6Header(nextHeader: 58, hopLimit: 64, source: router6, destination: client6),
             .icmp(ICMPMessage(family: .v6, type: type, code: code, restOfHeader: rest, body: body[...])))
}

/// Serialise, parse back, return the ICMP message (checking the checksum on the way).
private func roundTripICMP(_ p: IPPacket, sourceLocation: SourceLocation = #_sourceLocation) throws -> ICMPMessage {
    let wire = p.serialized()
    let parsed = try IPPacket.parse(wire)
    #expect(parsed.transportChecksumIsValid == true, sourceLocation: sourceLocation)
    #expect(parsed.serialized(fillLengths: false, fillChecksums: false) == wire, sourceLocation: sourceLocation)
    return try #require(parsed.transport.icmp, sourceLocation: sourceLocation)
}

@Suite("ICMP quotes and extensions")
struct ICMPParserTests {
    @Test func timeExceededWithEightByteTCPQuote() throws {
        let probe = probeSYN().serialized()
        let m = try roundTripICMP(icmp4(11, 0, body: Array(probe.prefix(28))))
        #expect(m.isError && m.isTimeExceeded && !m.isDestinationUnreachable)
        #expect(m.name == "time exceeded in-transit")
        #expect(m.originalDatagramLength == 0)
        #expect(m.extensions == nil)
        #expect(m.quotedBytes.map(Array.init) == Array(probe.prefix(28)))
        let q = try #require(m.quotedPacket)
        #expect(q.isTruncated)
        guard case .v4(let h) = q.header else { Issue.record("quote is not IPv4"); return }
        #expect(h.ttl == 1 && h.identification == 0x1234 && h.totalLength == 44)
        #expect(h.source == client && h.destination == server)
        guard case .tcpPrefix(let p) = q.transport else { Issue.record("not a TCP prefix: \(q.transport)"); return }
        #expect(p.bytes.count == 8)
        #expect(p.sourcePort == 40000)
        #expect(p.destinationPort == 443)
        #expect(p.sequenceNumber == 0xDEAD_BEEF)
        #expect(p.acknowledgmentNumber == nil)
        #expect(p.flags == nil)
        #expect(p.window == nil)
        #expect(p.checksum == nil)
    }

    @Test func quoteWithTwentyBytesOfTCPHasEverything() throws {
        let probe = probeSYN().serialized()
        let m = try roundTripICMP(icmp4(11, 0, body: Array(probe.prefix(40))))
        let q = try #require(m.quotedPacket)
        #expect(q.isTruncated)   // the MSS option is missing
        let prefix: TCPHeaderPrefix
        switch q.transport {
        case .tcpPrefix(let p): prefix = p
        default: Issue.record("expected a TCP prefix, got \(q.transport)"); return
        }
        #expect(prefix.acknowledgmentNumber == 0x0102_0304)
        #expect(prefix.flags == [.syn])
        #expect(prefix.window == 64240)
        #expect(prefix.checksum != nil)
    }

    @Test func quotedTotalLengthRewrittenByRouterIsTolerated() throws {
        var quote = Array(probeSYN().serialized().prefix(28))
        quote[2] = 0; quote[3] = 0      // some routers zero or mangle it
        #expect(throws: PacketError.self) { try IPPacket.parse(quote) }
        let q = try IPPacket.parse(quote[...], quoted: true)
        if case .tcpPrefix(let p) = q.transport { #expect(p.sourcePort == 40000) } else { Issue.record("\(q.transport)") }
        let m = try roundTripICMP(icmp4(11, 0, body: quote))
        #expect(m.quotedPacket?.source == .v4(client))
    }

    @Test func hugeQuotedPacketWithShortTotalLengthDoesNotTrap() throws {
        // An IPv4 header claiming total length 0, followed by more than 64 KiB (jumbogram
        // payloads and 256 KiB snap lengths make this reachable from a capture).
        var bytes = Array(probeSYN().serialized())
        bytes[2] = 0; bytes[3] = 0
        bytes += zeros(70_000)
        let q = try IPPacket.parse(bytes[...], quoted: true)
        if case .v4(let h) = q.header { #expect(h.totalLength == 0xFFFF) } else { Issue.record("not v4") }
        // The same via an ICMPv6 error in an IPv6 jumbogram (payload length 0).
        var outer: [UInt8] = []
        IPv6Header(payloadLength: 0, nextHeader: 58, source: router6, destination: client6).write(into: &outer)
        outer += [1, 0, 0, 0, 0, 0, 0, 0] + bytes
        let p = try IPPacket.parse(outer)
        let m = try #require(p.transport.icmp)
        #expect(m.quotedPacket != nil)
    }

    @Test func rfc4884LengthWithMPLSExtension() throws {
        let entries = [
            MPLSLabelStackEntry(label: 16005, trafficClass: 5, bottomOfStack: false, ttl: 1),
            MPLSLabelStackEntry(label: 0xFFFFF, trafficClass: 0, bottomOfStack: true, ttl: 255),
        ]
        let ext = ICMPExtensionStructure.build(objects: [.mpls(entries)])
        // Version 2, checksum, one object: length 12, class 1, C-type 1, two entries.
        #expect(ext.count == 16)
        #expect(Array(ext[0...1]) == [0x20, 0x00])
        #expect(Array(ext[4...7]) == [0x00, 0x0C, 0x01, 0x01])
        #expect(Array(ext[8...11]) == [0x03, 0xE8, 0x5A, 0x01])   // 16005 << 12 | 5 << 9 | S=0 | TTL 1
        #expect(Array(ext[12...15]) == [0xFF, 0xFF, 0xF1, 0xFF])
        #expect(rfc1071(ext) == 0)

        let probe = probeSYN().serialized()
        let quote = probe + zeros(128 - probe.count)
        let m = try roundTripICMP(icmp4(11, 0, rest: UInt32(128 / 4) << 16, body: quote + ext))
        #expect(m.originalDatagramLength == 128)
        #expect(m.quotedBytes?.count == 128)
        let s = try #require(m.extensions)
        #expect(s.version == 2)
        #expect(s.checksumValid)
        #expect(s.objects.count == 1)
        let stack = try #require(s.objects.first?.mplsLabelStack)
        #expect(stack == entries)
        #expect(stack[0].label == 16005)
        #expect(stack[0].trafficClass == 5)
        #expect(!stack[0].bottomOfStack)
        #expect(stack[0].ttl == 1)
        #expect(stack[1].label == 0xFFFFF && stack[1].trafficClass == 0 && stack[1].bottomOfStack && stack[1].ttl == 255)
        // The quote is the whole probe (padding ignored thanks to its total length).
        let q = try #require(m.quotedPacket)
        #expect(!q.isTruncated)
        #expect(q == (try IPPacket.parse(probe)))
    }

    @Test func rfc4884ForDestinationUnreachableKeepsTheMTU() throws {
        let ext = ICMPExtensionStructure.build(objects: [.mpls([MPLSLabelStackEntry(label: 42, bottomOfStack: true, ttl: 9)])])
        let quote = probeSYN().serialized() + zeros(84)
        let m = try roundTripICMP(icmp4(3, 4, rest: UInt32(32) << 16 | 1400, body: quote + ext))
        #expect(m.mtu == 1400)
        #expect(m.name == "need to frag")
        #expect(m.extensions?.objects.first?.mplsLabelStack?.first?.label == 42)
    }

    @Test func rfc4884ICMPv6LengthIsInEightByteUnits() throws {
        let ext = ICMPExtensionStructure.build(objects: [.mpls([MPLSLabelStackEntry(label: 7, trafficClass: 1, bottomOfStack: true, ttl: 3)])])
        let probe = probeSYN6().serialized()
        let quote = probe + zeros(128 - probe.count)
        let m = try roundTripICMP(icmp6(3, 0, rest: UInt32(128 / 8) << 24, body: quote + ext))
        #expect(m.isTimeExceeded && m.name == "time exceeded in-transit")
        #expect(m.originalDatagramLength == 128)
        #expect(m.extensions?.objects.first?.mplsLabelStack == [MPLSLabelStackEntry(label: 7, trafficClass: 1, bottomOfStack: true, ttl: 3)])
        #expect(m.quotedPacket == (try IPPacket.parse(probe)))
    }

    @Test func compatibilityFormWith128ByteQuote() throws {
        let ext = ICMPExtensionStructure.build(objects: [.mpls([MPLSLabelStackEntry(label: 300, bottomOfStack: true, ttl: 1)])])
        #expect(ext[2] != 0 || ext[3] != 0)
        let quote = probeSYN().serialized() + zeros(128 - 44)
        let m = try roundTripICMP(icmp4(11, 0, rest: 0, body: quote + ext))
        #expect(m.originalDatagramLength == 0)
        #expect(m.quotedBytes?.count == 128)
        #expect(m.extensions?.objects.first?.mplsLabelStack?.first?.label == 300)
        #expect(m.extensions?.checksumValid == true)
    }

    @Test func compatibilityFormRejectsBadOrMissingChecksum() throws {
        var ext = ICMPExtensionStructure.build(objects: [.mpls([MPLSLabelStackEntry(label: 300, bottomOfStack: true, ttl: 1)])])
        let quote = probeSYN().serialized() + zeros(128 - 44)

        var bad = ext
        bad[3] ^= 0x01
        let m = try roundTripICMP(icmp4(11, 0, rest: 0, body: quote + bad))
        #expect(m.extensions == nil)
        #expect(m.quotedBytes?.count == 128 + bad.count)      // all of it is the quote

        ext[2] = 0; ext[3] = 0      // "not computed": not enough to trust a guess
        let m2 = try roundTripICMP(icmp4(11, 0, rest: 0, body: quote + ext))
        #expect(m2.extensions == nil)

        // With an explicit RFC 4884 length the structure is reported, flagged as bad.
        let m3 = try roundTripICMP(icmp4(11, 0, rest: 32 << 16, body: quote + bad))
        #expect(m3.extensions?.checksumValid == false)
        // ...and a zero checksum counts as valid there (RFC 4884 §7).
        let m4 = try roundTripICMP(icmp4(11, 0, rest: 32 << 16, body: quote + ext))
        #expect(m4.extensions?.checksumValid == true)
    }

    @Test func malformedExtensionsAreIgnored() throws {
        let quote = probeSYN().serialized() + zeros(128 - 44)
        // Declared length larger than the body.
        let m = try roundTripICMP(icmp4(11, 0, rest: 200 << 16, body: quote))
        #expect(m.quotedBytes?.count == 128)
        #expect(m.extensions == nil)
        // Version 1 header, objects that do not tile the rest.
        for tail: [UInt8] in [[0x10, 0, 0, 0, 0, 8, 1, 1, 0, 0, 0, 0], [0x20, 0, 0, 0, 0, 9, 1, 1, 0, 0, 0, 0], [0x20, 0, 0, 0, 0, 2, 1, 1]] {
            let mm = try roundTripICMP(icmp4(11, 0, rest: 32 << 16, body: quote + tail))
            #expect(mm.extensions == nil, "\(tail)")
            #expect(mm.quotedBytes?.count == 128)
        }
        #expect(ICMPExtensionStructure.parse([0x20, 0, 0, 0][...])?.objects == [])
        #expect(ICMPExtensionStructure.parse([0x20, 0, 0][...]) == nil)
    }

    @Test func icmpv6PacketTooBig() throws {
        let probe = probeSYN6().serialized()
        let m = try roundTripICMP(icmp6(2, 0, rest: 1280, body: probe))
        #expect(m.mtu == 1280)
        #expect(m.name == "packet too big")
        #expect(m.isError && !m.isTimeExceeded)
        #expect(m.originalDatagramLength == 0)
        let q = try #require(m.quotedPacket)
        #expect(q == (try IPPacket.parse(probe)))
        // ICMPv4 "fragmentation needed" carries its MTU in the low half.
        let m4 = try roundTripICMP(icmp4(3, 4, rest: 1492, body: Array(probeSYN().serialized().prefix(28))))
        #expect(m4.mtu == 1492)
        #expect(try roundTripICMP(icmp4(3, 3, rest: 1492, body: [])).mtu == nil)
    }

    @Test func echoFields() throws {
        let m = try roundTripICMP(icmp4(8, 0, rest: 0xBEEF_0007, body: [1, 2, 3]))
        #expect(m.isEcho && !m.isEchoReply && !m.isError)
        #expect(m.identifier == 0xBEEF && m.sequence == 7)
        #expect(m.quotedPacket == nil && m.extensions == nil && m.quotedBytes == nil)
        let r = try roundTripICMP(icmp6(129, 0, rest: 0x0001_0002, body: []))
        #expect(r.isEchoReply && r.identifier == 1 && r.sequence == 2)
        #expect(r.name == "echo reply")
    }
}

@Suite("Fragments and malformed transports")
struct FragmentTests {
    @Test func ipv6NonFirstFragment() throws {
        let payload: [UInt8] = (0..<24).map { UInt8($0) }
        let frag = IPv6ExtensionHeader(type: 44, nextHeader: 6, body: [0] + be16(185 << 3 | 1) + be32(0xCAFE_F00D))
        let p = IPPacket(IPv6Header(nextHeader: 44, source: client6, destination: server6, extensionHeaders: [frag]),
                         .fragment(proto: 6, payload: payload[...]))
        let wire = p.serialized()
        let parsed = try IPPacket.parse(wire)
        guard case .fragment(let proto, let body) = parsed.transport else { Issue.record("\(parsed.transport)"); return }
        #expect(proto == 6)
        #expect(Array(body) == payload)
        guard case .v6(let h) = parsed.header else { return }
        #expect(h.fragment?.offset == 185)
        #expect(h.fragment?.more == true)
        #expect(h.fragment?.identification == 0xCAFE_F00D)
        #expect(h.upperLayerProtocol == 6)
        #expect(h.extensionHeaders.map(\.name) == ["fragment"])
        #expect(parsed.transportChecksumIsValid == nil)
        #expect(parsed.serialized(fillLengths: false, fillChecksums: false) == wire)
    }

    @Test func ipv6FirstFragmentDecodesTransportButCannotCheckIt() throws {
        let frag = IPv6ExtensionHeader(type: 44, nextHeader: 6, body: [0] + be16(0 << 3 | 1) + be32(9))
        let syn = probeSYN6()
        guard case .v6(var h) = syn.header else { return }
        h.nextHeader = 44
        h.extensionHeaders = [frag]
        let wire = IPPacket(h, syn.transport).serialized()
        let parsed = try IPPacket.parse(wire)
        #expect(parsed.transport.tcp?.sourcePort == 40001)
        // Only part of the segment is here: the checksum covers all of it.
        #expect(parsed.transportChecksumIsValid == nil)
        // An atomic fragment (offset 0, M = 0) is the whole segment: checkable.
        h.extensionHeaders = [IPv6ExtensionHeader(type: 44, nextHeader: 6, body: [0, 0, 0] + be32(9))]
        #expect(try IPPacket.parse(IPPacket(h, syn.transport).serialized()).transportChecksumIsValid == true)
    }

    @Test func ipv4Fragments() throws {
        var h = IPv4Header(identification: 5, flags: [.moreFragments], fragmentOffset: 0, proto: 6, source: client, destination: server)
        let first = try IPPacket.parse(IPPacket(h, probeSYN().transport).serialized())
        #expect(first.transport.tcp != nil)
        #expect(first.transportChecksumIsValid == nil)
        h.flags = []
        h.fragmentOffset = 3
        let later = try IPPacket.parse(IPPacket(h, .fragment(proto: 6, payload: [9, 9, 9, 9][...])).serialized())
        #expect(later.transport == .fragment(proto: 6, payload: [9, 9, 9, 9][...]))
        if case .v4(let lh) = later.header { #expect(lh.isFragment && !lh.moreFragments) }
        #expect(later.transportChecksumIsValid == nil)
        #expect(later.headerChecksumIsValid == true)
    }

    @Test func ipv6ExtensionChainCutShort() throws {
        var out: [UInt8] = []
        IPv6Header(payloadLength: 4, nextHeader: 0, source: client6, destination: server6).write(into: &out)
        out += [6, 0, 1, 0]             // half of a hop-by-hop header
        let p = try IPPacket.parse(out)
        guard case .malformed(let proto, _, _) = p.transport else { Issue.record("\(p.transport)"); return }
        #expect(proto == 0)
    }

    @Test func malformedTransportsKeepTheirBytes() throws {
        // TCP data offset 4 (16 bytes): below the minimum.
        var tcp = probeSYN().serialized()
        tcp[32] = 0x40
        let p = try IPPacket.parse(tcp)
        guard case .malformed(6, .invalid, let body) = p.transport else { Issue.record("\(p.transport)"); return }
        #expect(body.count == 24)
        #expect(p.serialized(fillLengths: false, fillChecksums: false) == tcp)
        // UDP length 5.
        var udp = IPPacket(IPv4Header(proto: 17, source: client, destination: server),
                           .udp(UDPDatagram(sourcePort: 1, destinationPort: 2, payload: [1, 2][...]))).serialized()
        udp[25] = 5
        guard case .malformed(17, _, _) = try IPPacket.parse(udp).transport else { Issue.record("udp"); return }
        // Three bytes of TCP: not even a prefix.
        var short = IPPacket(IPv4Header(proto: 6, source: client, destination: server), .other(proto: 6, payload: [1, 2, 3][...])).serialized()
        guard case .malformed(6, .truncated, _) = try IPPacket.parse(short).transport else { Issue.record("short"); return }
        // A TCP header whose data offset runs past the end becomes a 20-byte prefix.
        short = probeSYN().serialized()
        short[32] = 0xF0
        guard case .tcpPrefix(let prefix) = try IPPacket.parse(short).transport else { Issue.record("offset"); return }
        #expect(prefix.bytes.count == 20)
    }

    @Test func ipv4HeaderErrors() throws {
        let good = probeSYN().serialized()
        var v5 = good; v5[0] = 0x55
        #expect(throws: PacketError.self) { try IPPacket.parse(v5) }
        var ihl4 = good; ihl4[0] = 0x44
        #expect(throws: PacketError.invalid(layer: "IPv4 header", reason: "header length 16 is below the minimum of 20")) {
            try IPPacket.parse(ihl4)
        }
        #expect(throws: PacketError.truncated(layer: "IPv4 header", needed: 20, available: 19)) {
            try IPPacket.parse(Array(good.prefix(19)))
        }
        var ihl15 = good; ihl15[0] = 0x4F
        #expect(throws: PacketError.truncated(layer: "IPv4 header", needed: 60, available: 44)) { try IPPacket.parse(ihl15) }
        #expect(throws: PacketError.self) { try IPPacket.parse([UInt8]()) }
        // A capture cut short is flagged, not rejected.
        let cut = try IPPacket.parse(Array(good.prefix(30)))
        #expect(cut.isTruncated)
        #expect(cut.transportChecksumIsValid == nil)
        // A bad header checksum is reported.
        var badSum = good; badSum[11] ^= 0xFF
        #expect(try IPPacket.parse(badSum).headerChecksumIsValid == false)
        var badTCP = good; badTCP[37] ^= 0xFF
        #expect(try IPPacket.parse(badTCP).transportChecksumIsValid == false)
    }

    @Test func udpChecksumZeroMeansNoneOnIPv4Only() throws {
        let u = IPPacket(IPv4Header(proto: 17, source: client, destination: server),
                         .udp(UDPDatagram(sourcePort: 53, destinationPort: 53, payload: [1, 2, 3][...])))
        let none = try IPPacket.parse(u.serialized(fillLengths: true, fillChecksums: false))
        #expect(none.transport.udp?.checksum == 0)
        #expect(none.transportChecksumIsValid == nil)
        let u6 = IPPacket(IPv6Header(nextHeader: 17, source: client6, destination: server6),
                          .udp(UDPDatagram(sourcePort: 53, destinationPort: 53, payload: [1, 2, 3][...])))
        #expect(try IPPacket.parse(u6.serialized(fillLengths: true, fillChecksums: false)).transportChecksumIsValid == false)
        #expect(try IPPacket.parse(u6.serialized()).transportChecksumIsValid == true)
    }
}
