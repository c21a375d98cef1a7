import Packets
import Probing
import Testing
@testable import Sweeping

/// The probe module without a network: probes written from templates are valid packets with
/// the hashed identifiers, and answers built from them classify back to their probe.
@Suite struct SweepProbeTests {
    let key = SipHashKey(k0: 42, k1: 7)

    func module(_ source: String, variants: [SYNVariant] = [.mss, .linux], repeats: Int = 2) throws -> SweepProbe {
        let v6 = source.contains(":")
        return try SweepProbe(source: IPAddress(source)!, port: 443,
                            variants: variants.map { .init(name: $0.rawValue, shape: TCPProbeShape.variant($0, ipv6: v6)) },
                            repeats: repeats, key: key)
    }

    func bytes(_ m: SweepProbe, target: IPAddress, probe: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0xEE, count: m.maximumPacketLength)
        let n = buffer.withUnsafeMutableBytes { m.write(target: SweepProbe.key(target), probe: probe, into: $0.baseAddress!) }
        return Array(buffer[..<n])
    }

    func written(_ m: SweepProbe, target: IPAddress, probe: Int) throws -> IPPacket {
        try IPPacket.parse(bytes(m, target: target, probe: probe))
    }

    @Test(arguments: ["198.18.0.1", "2001:db8::1"])
    func probesAreValidAndCarryTheHash(source: String) throws {
        let m = try module(source)
        let target = source.contains(":") ? IPAddress("2001:db8:5::9")! : IPAddress("198.18.7.9")!
        var seen = Set<UInt16>()
        for p in 0..<m.probesPerTarget {
            let packet = try written(m, target: target, probe: p)
            #expect(packet.transportChecksumIsValid == true)
            if !source.contains(":") { #expect(IPv4Header.checksumIsValid(bytes(m, target: target, probe: p).prefix(20))) }
            #expect(packet.header.destination == target)
            let tcp = try #require(packet.transport.tcp)
            let id = m.identifiers(target: SweepProbe.key(target), probe: p)
            #expect(tcp.sourcePort == id.sourcePort && tcp.sequenceNumber == id.sequence && tcp.destinationPort == 443)
            #expect(tcp.options.isEmpty == false)
            seen.insert(tcp.sourcePort)
            #expect(m.probeNumber(target: SweepProbe.key(target), sourcePort: tcp.sourcePort, sequence: tcp.sequenceNumber) == p)
        }
        #expect(seen.count == m.probesPerTarget)
    }

    /// An RST+ACK the way a kernel answers, framed in Ethernet.
    func reset(to probe: IPPacket, flags: UInt8 = 0x14, ackDelta: UInt32 = 1) -> [UInt8] {
        let tcp = probe.transport.tcp!
        var seg = [UInt8](repeating: 0, count: 20)
        seg[0] = UInt8(443 >> 8); seg[1] = UInt8(443 & 0xFF)
        seg[2] = UInt8(tcp.sourcePort >> 8); seg[3] = UInt8(tcp.sourcePort & 0xFF)
        let ack = tcp.sequenceNumber &+ ackDelta
        seg[8] = UInt8(ack >> 24); seg[9] = UInt8(ack >> 16 & 0xFF); seg[10] = UInt8(ack >> 8 & 0xFF); seg[11] = UInt8(ack & 0xFF)
        seg[12] = 0x50; seg[13] = flags
        var ip: [UInt8]
        switch (probe.header.source, probe.header.destination) {
        case let (.v4(us), .v4(them)):
            ip = [0x45, 0, 0, 40, 0, 0, 0x40, 0, 61, 6, 0, 0] + them.bytes + us.bytes
            return [UInt8](repeating: 0, count: 12) + [0x08, 0x00] + ip + seg
        case let (.v6(us), .v6(them)):
            ip = [0x60, 0, 0, 0, 0, 20, 6, 61] + them.bytes + us.bytes
            return [UInt8](repeating: 0, count: 12) + [0x86, 0xDD] + ip + seg
        default:
            return []
        }
    }

    func classify(_ m: SweepProbe, _ frame: [UInt8]) -> SweepMatch? {
        frame.withUnsafeBytes { b in SweepProbe.ipStart(b, linkType: 1).flatMap { m.classify(b, ip: $0) } }
    }

    @Test(arguments: ["198.18.0.1", "2001:db8::1"])
    func answersMatchTheirProbeOnly(source: String) throws {
        let m = try module(source)
        let target = source.contains(":") ? IPAddress("2001:db8:5::9")! : IPAddress("198.18.7.9")!
        let probe = try written(m, target: target, probe: 3)
        let match = try #require(classify(m, reset(to: probe)))
        #expect(match.probe == 3 && match.kind == .reset && match.ttl == 61 && !match.portOnly)
        #expect(match.target == SweepProbe.key(target))
        // A wrong acknowledgment number is someone else's segment.
        #expect(classify(m, reset(to: probe, ackDelta: 2)) == nil)
        // An RST without ACK matches by its port alone, and says so.
        #expect(classify(m, reset(to: probe, flags: 0x04))?.portOnly == true)
        // A SYN-ACK.
        #expect(classify(m, reset(to: probe, flags: 0x12))?.kind == .synAck)
    }

    @Test func icmpErrorsQuotingAProbeMatch() throws {
        let m = try module("198.18.0.1")
        let target = IPAddress("198.18.7.9")!
        let probe = try written(m, target: target, probe: 1)
        let quoted = Array(probe.serialized().prefix(28))
        let router = IPAddress("198.18.3.1")!
        guard case .v4(let r) = router, case .v4(let us) = IPAddress("198.18.0.1")! else { return }
        let ip: [UInt8] = [0x45, 0, 0, 56, 0, 0, 0, 0, 250, 1, 0, 0] + r.bytes + us.bytes
        let frame = [UInt8](repeating: 0, count: 12) + [0x08, 0x00] + ip + [3, 13, 0, 0, 0, 0, 0, 0] + quoted
        let match = try #require(classify(m, frame))
        #expect(match.kind == .unreachable && match.icmp == 3 << 8 | 13 && match.probe == 1)
        #expect(match.from == SweepProbe.key(router) && match.target == SweepProbe.key(target))
    }

    /// Every truncation and every single-byte change of real answers: no trap, and nothing
    /// beyond the buffer is read (the bounds checks of Swift's subscripts would trap).
    @Test func hostileBytesNeverTrap() throws {
        let m = try module("198.18.0.1")
        let probe = try written(m, target: IPAddress("198.18.7.9")!, probe: 0)
        var frames = [reset(to: probe)]
        let quoted = Array(probe.serialized().prefix(28))
        frames.append([UInt8](repeating: 0, count: 12) + [0x08, 0x00, 0x45, 0, 0, 56, 0, 0, 0, 0, 9, 1, 0, 0, 198, 18, 3, 1, 198, 18, 0, 1,
                                                           11, 0, 0, 0, 0, 0, 0, 0] + quoted)
        var generator = SystemRandomNumberGenerator()
        for frame in frames {
            for n in 0...frame.count { _ = classify(m, Array(frame.prefix(n))) }
            for i in frame.indices {
                var f = frame
                f[i] = UInt8.random(in: 0...255, using: &generator)
                _ = classify(m, f)
                f[i] = 0xFF
                _ = classify(m, f)
            }
        }
        for linkType: UInt32 in [0, 1, 12, 101, 113, 228, 229, 276, 9999] {
            for n in 0..<24 {
                let bytes = [UInt8](repeating: 0x45, count: n)
                _ = bytes.withUnsafeBytes { b in SweepProbe.ipStart(b, linkType: linkType).flatMap { m.classify(b, ip: $0) } }
            }
        }
    }

    @Test(arguments: [1, 2, 3, 5, 64, 1000, 65_537])
    func permutationVisitsEveryIndexOnce(count: Int) {
        var p = Permutation(count: count, seed: 9)
        var seen = [Bool](repeating: false, count: count)
        var n = 0
        while let i = p.next() {
            #expect(!seen[i])
            seen[i] = true
            n += 1
        }
        #expect(n == count)
    }

    @Test func slotsAreThirtyTwoBytes() {
        #expect(MemoryLayout<SweepSlot>.stride == 32)
    }
}
