// Generated packets: build → parse → build is the identity, parsing gives back the
// value that was built, and every checksum agrees with an independent RFC 1071
// implementation (and with Wireshark, when tshark is installed).
import Foundation
import ChildProcess
import Packets
import PropertyBased
import TestSupport
import Testing

/// A generator of packets over the library's seeded RNG (bridged into SeededGenerator so that
/// the packet builders stay generic and fast).
func packetGenerator(_ cfg: GenConfig = GenConfig(),
                     _ make: @escaping @Sendable (inout SeededGenerator, GenConfig) -> BuiltPacket = { PacketGen.packet(&$0, cfg: $1) })
    -> Generator<BuiltPacket, Shrink.None<BuiltPacket>> {
    Generator(run: { rng in
        var r = SeededGenerator(seed: rng.next())
        return make(&r, cfg)
    })
}

/// Checks one generated packet; shared by the properties below.
func checkRoundTrip(_ b: BuiltPacket, sourceLocation: SourceLocation = #_sourceLocation) {
    let parsed: IPPacket
    do {
        parsed = try IPPacket.parse(b.bytes)
    } catch {
        Issue.record("parse failed: \(error) for \(b)", sourceLocation: sourceLocation)
        return
    }
    #expect(parsed == b.expected, "\(b)", sourceLocation: sourceLocation)
    #expect(!parsed.isTruncated, sourceLocation: sourceLocation)
    #expect(parsed.serialized(fillLengths: false, fillChecksums: false) == b.bytes, "\(b)", sourceLocation: sourceLocation)
    #expect(parsed.serialized() == b.bytes, "\(b)", sourceLocation: sourceLocation)
    #expect(b.expected.serialized(fillLengths: false, fillChecksums: false) == b.bytes, sourceLocation: sourceLocation)
    switch parsed.header {
    case .v4: #expect(parsed.headerChecksumIsValid == true, sourceLocation: sourceLocation)
    case .v6: #expect(parsed.headerChecksumIsValid == nil, sourceLocation: sourceLocation)
    }
    #expect(parsed.transportChecksumIsValid == (b.transportCheckable ? true : nil), "\(b)", sourceLocation: sourceLocation)
    // Same bytes through every link layer.
    for lt in [LinkType.raw, .ethernet, .linuxSLL, .linuxSLL2, .null, .loop] {
        let f = try? Frame.parse(Frame.encapsulate(b.bytes, linkType: lt), linkType: lt)
        #expect(f?.ip == parsed, "link type \(lt)", sourceLocation: sourceLocation)
    }
}

@Suite("Property tests")
struct PropertyTests {
    @Test func ipv4TCPRoundTrip() async {
        await propertyCheck(count: 1500, input: packetGenerator(GenConfig()) { rng, cfg in
            var b: BuiltPacket
            repeat { b = PacketGen.simple(&rng, v6: false, cfg: cfg) } while b.expected.transport.tcp == nil
            return b
        }) { b in
            checkRoundTrip(b)
            guard case .v4(let h) = b.expected.header, let t = b.expected.transport.tcp else { return }
            #expect(b.bytes[0] == 0x40 | UInt8(h.headerLength / 4))
            #expect(Int(b.bytes[h.headerLength + 12] >> 4) * 4 == t.headerLength)
            #expect(t.options.wireLength == t.headerLength - 20)
        }
    }

    @Test func ipv6TCPAndUDPRoundTripWithExtensionHeaders() async {
        await propertyCheck(count: 1500, input: packetGenerator(GenConfig()) { rng, cfg in
            var b: BuiltPacket
            repeat { b = PacketGen.simple(&rng, v6: true, cfg: cfg) } while b.expected.transport.icmp != nil
            return b
        }) { b in
            checkRoundTrip(b)
            guard case .v6(let h) = b.expected.header else { return }
            #expect(Int(h.payloadLength) == b.bytes.count - 40)
            #expect(h.upperLayerProtocol == (b.expected.transport.tcp != nil ? 6 : 17))
        }
    }

    @Test func udpRoundTripBothFamilies() async {
        await propertyCheck(count: 1000, input: packetGenerator(GenConfig()) { rng, cfg in
            var b: BuiltPacket
            repeat { b = PacketGen.simple(&rng, v6: rng.bool(), cfg: cfg) } while b.expected.transport.udp == nil
            return b
        }) { b in
            checkRoundTrip(b)
            let u = b.expected.transport.udp!
            #expect(Int(u.length) == 8 + u.payload.count)
            #expect(u.checksum != 0)           // 0 is sent as 0xFFFF
        }
    }

    @Test func icmpEchoAndOtherTypes() async {
        await propertyCheck(count: 1000, input: packetGenerator(GenConfig()) { rng, cfg in
            var b: BuiltPacket
            repeat { b = PacketGen.packet(&rng, cfg: cfg) } while b.expected.transport.icmp == nil || b.quote != nil
            return b
        }) { b in
            checkRoundTrip(b)
            let m = b.expected.transport.icmp!
            if m.isEcho {
                #expect(m.identifier == UInt16(m.restOfHeader >> 16))
                #expect(m.sequence == UInt16(m.restOfHeader & 0xFFFF))
            } else {
                #expect(m.identifier == nil)
            }
            #expect(m.quotedPacket == nil)
            #expect(m.extensions == nil)
        }
    }

    @Test func icmpErrorsWithQuotesAndExtensions() async {
        await propertyCheck(count: 2000, input: packetGenerator(GenConfig()) { rng, cfg in
            PacketGen.icmpError(&rng, v6: rng.bool(), cfg: cfg)
        }) { b in
            checkRoundTrip(b)
            guard let parsed = try? IPPacket.parse(b.bytes), let m = parsed.transport.icmp,
                  let q = b.quote else {
                Issue.record("not an ICMP error: \(b)")
                return
            }
            #expect(m.isError)
            #expect(m.quotedBytes.map(Array.init) == q.quoteBytes, "\(b)")
            #expect(m.extensions?.objects == q.extensionObjects, "\(b)")
            if q.extensionObjects != nil {
                #expect(m.extensions?.checksumValid == true)
                #expect(m.extensions?.version == 2)
                #expect(m.originalDatagramLength == (q.compatibilityForm ? 0 : q.quoteBytes.count))
                for (o, e) in zip(m.extensions?.objects ?? [], q.extensionObjects ?? []) where e.classNumber == 1 {
                    #expect(o.mplsLabelStack == e.mplsLabelStack)
                    #expect(o.mplsLabelStack?.last?.bottomOfStack == true)
                }
            }
            if m.family == .v6, m.type == 2 { #expect(m.mtu == m.restOfHeader) }
            if m.family == .v4, m.type == 3, m.code == 4 { #expect(m.mtu == m.restOfHeader & 0xFFFF) }

            // The quoted packet decodes as far as the quote goes.
            let inner = q.inner
            guard let quoted = m.quotedPacket else {
                Issue.record("no quoted packet in \(b)")
                return
            }
            #expect(quoted.header == inner.expected.header, "\(b)")
            let complete = q.innerQuoted == inner.bytes.count
            // Zero padding (RFC 4884) can stand in for the missing end of a partial quote.
            #expect(quoted.isTruncated == (q.quoteBytes.count < inner.bytes.count), "\(b)")
            if complete {
                #expect(quoted.transport == inner.expected.transport, "\(b)")
                #expect(quoted.serialized(fillLengths: false, fillChecksums: false) == inner.bytes)
            } else if let t = inner.expected.transport.tcp {
                let got = quoted.transport
                switch got {
                case .malformed(6, _, let payload) where q.quoteBytes.count > q.innerQuoted:
                    // Zero padding after a partial quote reads as a TCP header with data offset 0.
                    #expect(Array(payload.prefix(4)) == be16(t.sourcePort) + be16(t.destinationPort))
                case .tcpPrefix(let p):
                    #expect(p.sourcePort == t.sourcePort)
                    #expect(p.destinationPort == t.destinationPort)
                    #expect(p.sequenceNumber == t.sequenceNumber)
                    #expect(p.bytes.count >= 8)
                    let real = q.innerQuoted - inner.expected.header.headerLength   // TCP bytes actually quoted
                    if p.bytes.count < 12 { #expect(p.acknowledgmentNumber == nil) }
                    else if real >= 12 { #expect(p.acknowledgmentNumber == t.acknowledgmentNumber) }
                case .tcp(let qt):
                    #expect(qt.sourcePort == t.sourcePort && qt.sequenceNumber == t.sequenceNumber)
                    // Unless zero padding stands in for part of the header, the options are all there.
                    if q.innerQuoted - inner.expected.header.headerLength >= t.headerLength {
                        #expect(qt.options == t.options)
                    }
                default:
                    Issue.record("quoted TCP decoded as \(got) in \(b)")
                }
            } else if let u = inner.expected.transport.udp {
                let qu = quoted.transport.udp
                #expect(qu?.sourcePort == u.sourcePort && qu?.destinationPort == u.destinationPort && qu?.length == u.length)
            } else if let e = inner.expected.transport.icmp {
                let qe = quoted.transport.icmp
                #expect(qe?.type == e.type && qe?.restOfHeader == e.restOfHeader)
            }
        }
    }

    @Test func tcpOptionListsRoundTrip() async {
        await propertyCheck(count: 2000, input: Generator(run: { rng in
            var r = SeededGenerator(seed: rng.next())
            return PacketGen.optionList(&r)
        })) { opts in
            var wire: [UInt8] = []
            for o in opts { o.write(into: &wire) }
            #expect(wire.count == opts.wireLength)
            #expect(wire.count % 4 == 0 && wire.count <= 40)
            #expect(TCPOption.parseList(wire[...]) == opts, "\(opts)")
            // Whatever the bytes, writing the parsed list back reproduces them.
            #expect(TCPOption.parseList(wire.dropFirst())
                .reduce(into: [UInt8]()) { $1.write(into: &$0) } == Array(wire.dropFirst()))
        }
    }

    @Test func checksumsAgreeWithIndependentImplementation() async {
        await propertyCheck(count: 2000, input: packetGenerator()) { b in
            let bytes = b.bytes
            let hl = b.expected.header.headerLength
            let l4 = Array(bytes[hl...])
            switch b.expected.header {
            case .v4(let h):
                var hdr = Array(bytes[0..<hl])
                #expect(rfc1071(hdr) == 0)                            // a correct header sums to zero
                hdr[10] = 0; hdr[11] = 0
                #expect(rfc1071(hdr) == UInt16(bytes[10]) << 8 | UInt16(bytes[11]))
                let ps = pseudoHeaderV4(src: h.source, dst: h.destination, proto: h.proto, length: l4.count)
                checkTransport(b, l4: l4, pseudo: ps)
            case .v6(let h):
                let ps = pseudoHeaderV6(src: h.source, dst: h.destination, proto: h.upperLayerProtocol, length: l4.count)
                checkTransport(b, l4: l4, pseudo: ps)
            }
            // The library's own checksum agrees with the independent one on arbitrary data.
            #expect(InternetChecksum.compute(bytes) == rfc1071(bytes))
            var split = InternetChecksum()
            let cut = bytes.count / 3 | 1                               // odd split point
            split.add(bytes[..<cut]); split.add(bytes[cut...])
            #expect(split.value == rfc1071(bytes))
        }
    }

    private func checkTransport(_ b: BuiltPacket, l4: [UInt8], pseudo: [UInt8]) {
        let stored: (Int) -> UInt16 = { UInt16(l4[$0]) << 8 | UInt16(l4[$0 + 1]) }
        switch b.expected.transport {
        case .tcp:
            #expect(independentTransportChecksum(l4, field: 16, pseudo: pseudo, isUDP: false) == stored(16))
            #expect(rfc1071(pseudo + l4) == 0)
        case .udp:
            #expect(independentTransportChecksum(l4, field: 6, pseudo: pseudo, isUDP: true) == stored(6))
            #expect(rfc1071(pseudo + l4) == 0 || stored(6) == 0xFFFF)
        case .icmp(let m):
            let ps: [UInt8]? = m.family == .v6 ? pseudo : nil
            #expect(independentTransportChecksum(l4, field: 2, pseudo: ps, isUDP: false) == stored(2))
            #expect(rfc1071((ps ?? []) + l4) == 0)
        default:
            Issue.record("unexpected transport in \(b)")
        }
    }

    @Test func addressTextRoundTrip() async {
        await propertyCheck(count: 1000, input: Generator(run: { rng in
            var r = SeededGenerator(seed: rng.next())
            // Runs of zero groups in random places, so that `::` moves around.
            var groups = (0..<8).map { _ in r.bool(0.4) ? UInt16(0) : r.u16() }
            if r.bool(0.2) { groups = [0, 0, 0, 0, 0, 0xFFFF, r.u16(), r.u16()] }
            return (groups, r.u32())
        })) { input in
            let (groups, v4) = input
            var high: UInt64 = 0, low: UInt64 = 0
            for i in 0..<4 { high = high << 16 | UInt64(groups[i]) }
            for i in 4..<8 { low = low << 16 | UInt64(groups[i]) }
            let a = IPv6Address(high: high, low: low)
            let text = a.description
            #expect(IPv6Address(text) == a, "\(text)")
            #expect(text == text.lowercased())
            #expect(!text.contains(":::"))
            #expect(text.components(separatedBy: "::").count <= 2)
            // The fully written-out form parses to the same address.
            let long = groups.map { String($0, radix: 16) }.joined(separator: ":")
            #expect(IPv6Address(long) == a)
            #expect(IPv6Address(bytes: a.bytes) == a)
            let a4 = IPv4Address(v4)
            #expect(IPv4Address(a4.description) == a4)
            #expect(IPAddress(a4.description) == .v4(a4))
        }
    }
}

// MARK: - Wireshark cross-check

enum TShark {
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for d in dirs {
            let p = "\(d)/tshark"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }()
}

/// A classic pcap file (microsecond timestamps, little-endian) written by hand.
func pcapFile(_ packets: [[UInt8]], linkType: UInt32) -> [UInt8] {
    func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
    func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    var out = le32(0xA1B2_C3D4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(65535) + le32(linkType)
    for (i, p) in packets.enumerated() {
        out += le32(1_530_000_000 + UInt32(i)) + le32(0) + le32(UInt32(p.count)) + le32(UInt32(p.count))
        out += p
    }
    return out
}

@Suite("Wireshark agrees")
struct TSharkTests {
    @Test(.enabled(if: TShark.path != nil, "tshark is not on PATH"), .timeLimit(.minutes(2)))
    func tsharkFindsEveryChecksumGood() throws {
        var rng = SeededGenerator(seed: 0x7A5A_2018)
        let cfg = GenConfig(allowV6MoreFragments: false, dynamicPortsOnly: true)
        let packets = (0..<600).map { _ in PacketGen.packet(&rng, cfg: cfg) }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("censorscope-pkt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("generated.pcap")
        try Data(pcapFile(packets.map(\.bytes), linkType: 101)).write(to: file)

        let fields = ["frame.number", "ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
                      "icmp.checksum.status", "icmpv6.checksum.status"]
        let r = Subprocess.run([TShark.path!, "-n", "-r", file.path,
                                "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                                "-o", "udp.check_checksum:TRUE",
                                "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
                               + fields.flatMap { ["-e", $0] }, timeout: 120)
        #expect(r.status == 0)
        let data = Data(r.stdout.utf8)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        try #require(lines.count == packets.count)

        // Checksum status values: 0 bad, 1 good, 2 unverified (Wireshark's proto_checksum_enum_e).
        let good = "1"
        var checked = 0
        var innerVerified = 0
        for (line, b) in zip(lines, packets) {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.split(separator: ",").map(String.init) }
            try #require(cols.count == fields.count, "\(line)")
            let (ip, tcp, udp, icmp, icmp6) = (cols[1], cols[2], cols[3], cols[4], cols[5])
            // Nothing anywhere in the packet is bad, inner quotes included when they are complete
            // (a partial quote padded with zeros, or cut short, cannot check out).
            let partialQuote = b.quote.map { $0.innerQuoted < $0.inner.bytes.count } ?? false
            if !partialQuote {
                for c in cols.dropFirst() { #expect(!c.contains("0"), "bad checksum reported for \(b): \(line)") }
            }
            // A complete quoted TCP/UDP segment is verified too (Wireshark leaves redirects unverified).
            if let q = b.quote, !partialQuote, b.expected.transport.icmp.map({ !($0.family == .v4 && $0.type == 5) }) == true {
                switch q.inner.expected.transport {
                case .tcp: #expect(tcp.contains(good), "\(b): \(line)"); innerVerified += 1
                case .udp: #expect(udp.contains(good), "\(b): \(line)"); innerVerified += 1
                default: break
                }
            }
            if case .v4 = b.expected.header { #expect(ip.first == good, "\(b): \(line)") }
            switch b.expected.transport {
            case .tcp: #expect(tcp.first == good, "\(b): \(line)")
            case .udp: #expect(udp.first == good, "\(b): \(line)")
            case .icmp(let m) where m.family == .v4: #expect(icmp.first == good, "\(b): \(line)")
            case .icmp: #expect(icmp6.first == good, "\(b): \(line)")
            default: Issue.record("unexpected \(b)")
            }
            // The quoted IPv4 header of an ICMP error is complete, so Wireshark checks it too.
            if let q = b.quote, case .v4 = q.inner.expected.header, case .v4 = b.expected.header {
                #expect(ip.count >= 2 && ip[1] == good, "\(b): \(line)")
            }
            checked += 1
        }
        #expect(checked == packets.count)
        #expect(innerVerified >= 20)    // the quoted-segment check is not vacuous
    }
}
