import Packets
import Probing
import Testing
@testable import Sweeping

/// ICMP echo and UDP sweeps without a network: probes written from templates are valid
/// packets carrying the hashed identifiers, and the answers a host or router sends classify
/// back to their probe (and no other protocol's answers do).
@Suite struct SweepProtocolTests {
    let key = SipHashKey(k0: 3, k1: 11)

    func module(_ source: String, _ kind: SweepProtocol, variants: [String]? = nil, port: UInt16 = 53) throws -> SweepProbe {
        let v6 = source.contains(":")
        let names = variants ?? SweepProbe.Variant.names(kind)
        return try SweepProbe(source: IPAddress(source)!, port: port,
                              variants: names.map { SweepProbe.Variant.named($0, protocol: kind, ipv6: v6)! }, repeats: 2, key: key)
    }

    func bytes(_ m: SweepProbe, target: IPAddress, probe: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0xEE, count: m.maximumPacketLength)
        let n = buffer.withUnsafeMutableBytes { m.write(target: SweepProbe.key(target), probe: probe, into: $0.baseAddress!) }
        return Array(buffer[..<n])
    }

    func classify(_ m: SweepProbe, _ ip: [UInt8]) -> SweepMatch? {
        let frame = [UInt8](repeating: 0, count: 12) + (ip[0] >> 4 == 4 ? [0x08, 0x00] : [0x86, 0xDD]) + ip
        return frame.withUnsafeBytes { b in SweepProbe.ipStart(b, linkType: 1).flatMap { m.classify(b, ip: $0) } }
    }

    /// An IP packet from `from` to `to` with `payload` (checksums are not checked by the classifier).
    func packet(from: IPAddress, to: IPAddress, protocol p: UInt8, _ payload: [UInt8]) -> [UInt8] {
        switch (from, to) {
        case let (.v4(a), .v4(b)):
            let length = 20 + payload.count
            return [0x45, 0, UInt8(length >> 8), UInt8(length & 0xFF), 0, 7, 0x40, 0, 60, p, 0, 0] + a.bytes + b.bytes + payload
        case let (.v6(a), .v6(b)):
            return [0x60, 0, 0, 0, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF), p, 60] + a.bytes + b.bytes + payload
        default:
            return []
        }
    }

    static let sources = ["198.18.0.1", "2001:db8::1"]

    func target(_ source: String) -> IPAddress { source.contains(":") ? IPAddress("2001:db8:5::9")! : IPAddress("198.18.7.9")! }

    @Test(arguments: sources)
    func echoRequestsAreValidAndMatchTheirReplies(source: String) throws {
        let m = try module(source, .icmp)
        let v6 = source.contains(":")
        let target = target(source)
        var words = Set<UInt32>()
        for p in 0..<m.probesPerTarget {
            let raw = bytes(m, target: target, probe: p)
            let parsed = try IPPacket.parse(raw)
            #expect(parsed.transportChecksumIsValid == true)
            if !v6 { #expect(IPv4Header.checksumIsValid(raw.prefix(20))) }
            #expect(parsed.header.destination == target)
            let icmp = try #require(parsed.transport.icmp)
            #expect(icmp.type == (v6 ? 128 : 8) && icmp.body.count == 56)
            let word = UInt32(icmp.identifier ?? 0) << 16 | UInt32(icmp.sequence ?? 0)
            #expect(word == m.identifiers(target: SweepProbe.key(target), probe: p).sequence)
            words.insert(word)
            // The reply: the request's message with the type changed, from the target.
            var reply = Array(raw[(v6 ? 40 : 20)...])
            reply[0] = v6 ? 129 : 0
            let match = try #require(classify(m, packet(from: target, to: IPAddress(source)!, protocol: v6 ? 58 : 1, reply)))
            #expect(match.kind == .echoReply && match.probe == p && match.target == SweepProbe.key(target) && !match.portOnly)
            // From another address, or another sequence: not ours.
            #expect(classify(m, packet(from: this(source, other: true), to: IPAddress(source)!, protocol: v6 ? 58 : 1, reply)) == nil)
            reply[7] ^= 1
            #expect(classify(m, packet(from: target, to: IPAddress(source)!, protocol: v6 ? 58 : 1, reply)) == nil)
        }
        #expect(words.count == m.probesPerTarget)
    }

    func this(_ source: String, other: Bool) -> IPAddress { source.contains(":") ? IPAddress("2001:db8:5::8")! : IPAddress("198.18.7.8")! }

    @Test(arguments: sources)
    func routersErrorsQuotingAnEchoMatch(source: String) throws {
        let m = try module(source, .icmp)
        let v6 = source.contains(":")
        let target = target(source)
        let raw = bytes(m, target: target, probe: 1)
        let router = v6 ? IPAddress("2001:db8:3::1")! : IPAddress("198.18.3.1")!
        let error: [UInt8] = (v6 ? [1, 3, 0, 0, 0, 0, 0, 0] : [3, 1, 0, 0, 0, 0, 0, 0]) + raw.prefix(v6 ? 48 : 28)
        let match = try #require(classify(m, packet(from: router, to: IPAddress(source)!, protocol: v6 ? 58 : 1, error)))
        #expect(match.kind == .unreachable && match.probe == 1 && match.from == SweepProbe.key(router) && match.target == SweepProbe.key(target))
        // A TCP sweep's module does not take it: the quote is an echo, not its SYN.
        let tcp = try module(source, .tcp, variants: ["mss"], port: 80)
        #expect(classify(tcp, packet(from: router, to: IPAddress(source)!, protocol: v6 ? 58 : 1, error)) == nil)
    }

    @Test(arguments: sources)
    func datagramsAreValidAndMatchReplies(source: String) throws {
        let m = try module(source, .udp)
        let v6 = source.contains(":")
        let target = target(source)
        var ports = Set<UInt16>()
        let payloads = [0, 17, 20, 1200]   // empty, the root NS query, a STUN binding request, a QUIC Initial
        for p in 0..<m.probesPerTarget {
            let raw = bytes(m, target: target, probe: p)
            let parsed = try IPPacket.parse(raw)
            #expect(parsed.transportChecksumIsValid == true)
            if !v6 { #expect(IPv4Header.checksumIsValid(raw.prefix(20))) }
            let udp = try #require(parsed.transport.udp)
            #expect(udp.destinationPort == 53 && udp.payload.count == payloads[m.variant(ofProbe: p)])
            #expect(udp.sourcePort == m.identifiers(target: SweepProbe.key(target), probe: p).sourcePort)
            ports.insert(udp.sourcePort)
            let reply: [UInt8] = [0, 53, UInt8(udp.sourcePort >> 8), UInt8(udp.sourcePort & 0xFF), 0, 12, 0, 0, 1, 2, 3, 4]
            let match = try #require(classify(m, packet(from: target, to: IPAddress(source)!, protocol: 17, reply)))
            #expect(match.kind == .udpReply && match.probe == p && match.portOnly)
            // From another port: not ours.
            #expect(classify(m, packet(from: target, to: IPAddress(source)!, protocol: 17, [0, 54] + reply.dropFirst(2))) == nil)
            // The target's port unreachable quoting the datagram.
            let error: [UInt8] = (v6 ? [1, 4, 0, 0, 0, 0, 0, 0] : [3, 3, 0, 0, 0, 0, 0, 0]) + raw.prefix(v6 ? 48 : 28)
            let closed = try #require(classify(m, packet(from: target, to: IPAddress(source)!, protocol: v6 ? 58 : 1, error)))
            #expect(closed.kind == .unreachable && closed.probe == p && closed.from == closed.target)
        }
        #expect(ports.count == m.probesPerTarget)
    }

    /// A reply that echoes the payload's hash field is matched by hash; the same reply with
    /// another value there only by port.
    @Test(arguments: sources)
    func repliesEchoingTheHashMatchByIt(source: String) throws {
        let m = try module(source, .udp, variants: ["dns", "stun", "quic"], port: 443)
        let target = target(source)
        for p in 0..<m.probesPerTarget {
            let raw = bytes(m, target: target, probe: p)
            let parsed = try IPPacket.parse(raw)
            let udp = try #require(parsed.transport.udp)
            let request = Array(udp.payload)
            let word = m.identifiers(target: SweepProbe.key(target), probe: p).sequence
            let w = [UInt8(word >> 24), UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)]
            var reply: [UInt8]
            switch m.variants[m.variant(ofProbe: p)].name {
            case "dns":
                #expect(Array(request[0..<2]) == Array(w[2...]))
                reply = request
                reply[2] |= 0x80   // a response, same ID
            case "stun":
                #expect(Array(request[8..<12]) == w)
                reply = [0x01, 0x01, 0, 0] + Array(request[4..<20])   // a success response, same transaction
            default:
                // The request's connection IDs, swapped in a Version Negotiation (RFC 9000 §17.2.1).
                let header = try #require(QUICLongHeader(parsing: request[...]))
                #expect(Array(header.destinationConnectionID.prefix(4)) == w && QUICVersion.isReserved(header.version))
                reply = QUICVersionNegotiation.answering(header, supportedVersions: [1]).encoded()
            }
            func datagram(_ payload: [UInt8]) -> [UInt8] {
                let length = 8 + payload.count
                return [1, 187, UInt8(udp.sourcePort >> 8), UInt8(udp.sourcePort & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF), 0, 0] + payload
            }
            let match = try #require(classify(m, packet(from: target, to: IPAddress(source)!, protocol: 17, datagram(reply))))
            #expect(match.probe == p && match.kind == .udpReply && !match.portOnly, "\(m.variants[m.variant(ofProbe: p)].name)")
            var other = reply
            let at = m.variants[m.variant(ofProbe: p)].name == "dns" ? 1 : m.variants[m.variant(ofProbe: p)].name == "stun" ? 11 : 6 + Int(reply[5]) + 2
            other[at] ^= 0xFF
            #expect(classify(m, packet(from: target, to: IPAddress(source)!, protocol: 17, datagram(other)))?.portOnly == true)
        }
    }

    /// Two probes to one target sharing a source port: the reply echoing the second's DNS ID
    /// is filed to the second, by hash.
    @Test func aSharedSourcePortIsToldApartByTheEchoedHash() throws {
        let m = try SweepProbe(source: IPAddress("198.18.0.1")!, port: 53,
                               variants: [SweepProbe.Variant.named("dns", protocol: .udp, ipv6: false)!], repeats: 64, key: key)
        var found: (target: IPAddress, second: Int)?
        search: for host in 0..<20_000 {
            let t = IPAddress.v4(IPv4Address(0xC612_0000 | UInt32(host)))
            var seen: [UInt16: Int] = [:]
            for p in 0..<m.probesPerTarget {
                let port = m.identifiers(target: SweepProbe.key(t), probe: p).sourcePort
                if seen[port] != nil { found = (t, p); break search }
                seen[port] = p
            }
        }
        let (target, second) = try #require(found)
        let raw = bytes(m, target: target, probe: second)
        let udp = try #require(try IPPacket.parse(raw).transport.udp)
        var reply = Array(udp.payload)
        reply[2] |= 0x80
        let datagram: [UInt8] = [0, 53, UInt8(udp.sourcePort >> 8), UInt8(udp.sourcePort & 0xFF), 0, UInt8(8 + reply.count), 0, 0] + reply
        let match = try #require(classify(m, packet(from: target, to: IPAddress("198.18.0.1")!, protocol: 17, datagram)))
        #expect(match.probe == second && !match.portOnly)
    }

    /// The DNS variant is a well-formed query the packet decoder reads back.
    @Test func theDNSVariantIsARootNSQuery() throws {
        let query = try DNSMessage(decoding: SweepProbe.Variant.dnsQuery)
        #expect(query.questions.count == 1 && query.questions[0].name == .root && query.questions[0].type == 2 && query.recursionDesired)
    }

    @Test func answerKindsRankTheHostFirst() {
        #expect(SweepAnswerKind.echoReply < .unreachable && SweepAnswerKind.udpReply < .unreachable && !(SweepAnswerKind.udpReply < .synAck))
        #expect(Set(SweepAnswerKind.allCases.map(\.seenBit)).count == SweepAnswerKind.allCases.count)
        #expect(SweepAnswerKind.kinds(of: .udp).map(\.name) == ["udp-reply", "unreachable", "time-exceeded", "icmp-other", "none"])
    }

    /// Truncations and single-byte changes of every answer kind: no trap.
    @Test(arguments: sources)
    func hostileBytesNeverTrap(source: String) throws {
        let v6 = source.contains(":")
        for kind in [SweepProtocol.icmp, .udp] {
            let m = try module(source, kind)
            let raw = bytes(m, target: target(source), probe: 0)
            var reply = Array(raw[(v6 ? 40 : 20)...])
            if kind == .icmp { reply[0] = v6 ? 129 : 0 } else { reply = [0, 53] + [reply[0], reply[1]] + [0, 8, 0, 0] }
            let frames = [packet(from: target(source), to: IPAddress(source)!, protocol: kind == .icmp ? (v6 ? 58 : 1) : 17, reply),
                          packet(from: target(source), to: IPAddress(source)!, protocol: v6 ? 58 : 1,
                                 (v6 ? [1, 4, 0, 0, 0, 0, 0, 0] : [3, 3, 0, 0, 0, 0, 0, 0]) + raw.prefix(v6 ? 48 : 28))]
            for frame in frames {
                #expect(classify(m, frame) != nil)
                for n in 1...frame.count { _ = classify(m, Array(frame.prefix(n))) }
                for i in frame.indices {
                    var f = frame
                    f[i] = 0xFF
                    _ = classify(m, f)
                    f[i] = 0
                    _ = classify(m, f)
                }
            }
        }
    }
}
