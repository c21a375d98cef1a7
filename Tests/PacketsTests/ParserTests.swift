// Focused unit tests of the parsers: ICMP quotes and extensions, fragments, TCP option
// edge cases, link layers, address text, flags, hex input.
import Packets
import Testing

private let client = IPv4Address(198, 18, 0, 2)
private let server = IPv4Address(198, 18, 3, 10)
private let router = IPv4Address(198, 18, 1, 1)
private let client6 = IPv6Address("2001:db8::2")!
private let server6 = IPv6Address("2001:db8:3::10")!
private let router6 = IPv6Address("2001:db8:1::1")!

/// The SYN a traceroute -T probe would send.
private func probeSYN(ttl: UInt8 = 1) -> IPPacket {
    IPPacket(IPv4Header(identification: 0x1234, ttl: ttl, proto: 6, source: client, destination: server),
             .tcp(TCPSegment(sourcePort: 40000, destinationPort: 443, sequenceNumber: 0xDEAD_BEEF,
                             acknowledgmentNumber: 0x0102_0304, flags: [.syn], window: 64240,
                             options: [.maximumSegmentSize(1460)])))
}

private func probeSYN6() -> IPPacket {
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
