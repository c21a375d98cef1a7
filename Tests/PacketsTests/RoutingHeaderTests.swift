import Packets
import Testing

/// RFC 8200 §8.1: with a routing header, the pseudo-header uses the final destination.
struct RoutingHeaderTests {
    let src = IPv6Address("2001:db8:1::1")!
    let firstHop = IPv6Address("2001:db8:2::1")!
    let final = IPv6Address("2001:db8:3::2")!

    func packet(routingType: UInt8, segmentsLeft: UInt8, addresses: [IPv6Address]) -> IPPacket {
        var body: [UInt8] = [UInt8(addresses.count * 2), routingType, segmentsLeft, 0, 0, 0, 0]
        for a in addresses { body += a.bytes }
        let rh = IPv6ExtensionHeader(type: 43, nextHeader: 6, body: body)
        return IPPacket(IPv6Header(nextHeader: 43, source: src, destination: firstHop, extensionHeaders: [rh]),
                        .tcp(TCPSegment(sourcePort: 1000, destinationPort: 80, sequenceNumber: 7, flags: .syn)))
    }

    /// Independent sum: pseudo-header with `destination` built byte by byte, then the segment.
    func expectedChecksum(_ p: IPPacket, destination: IPv6Address) -> UInt16 {
        var segment = p.transportBytes()
        segment[16] = 0; segment[17] = 0
        var bytes = src.bytes + destination.bytes
        bytes += [0, 0, UInt8(segment.count >> 8), UInt8(segment.count & 0xFF), 0, 0, 0, 6]
        bytes += segment
        if bytes.count % 2 == 1 { bytes.append(0) }
        var sum: UInt32 = 0
        for i in stride(from: 0, to: bytes.count, by: 2) { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    @Test func type2UsesTheHomeAddress() throws {
        let p = packet(routingType: 2, segmentsLeft: 1, addresses: [final])
        #expect(p.serialized().count > 0)
        guard case .v6(let h) = p.header else { Issue.record("not v6"); return }
        #expect(h.finalDestination == final)
        let parsed = try IPPacket.parse(p.serialized())
        #expect(parsed.transport.tcp?.checksum == expectedChecksum(p, destination: final))
        #expect(parsed.transportChecksumIsValid == true)
    }

    @Test func segmentRoutingUsesSegmentListZero() throws {
        let p = packet(routingType: 4, segmentsLeft: 1, addresses: [final, firstHop])
        guard case .v6(let h) = p.header else { Issue.record("not v6"); return }
        #expect(h.finalDestination == final)
        let parsed = try IPPacket.parse(p.serialized())
        #expect(parsed.transport.tcp?.checksum == expectedChecksum(p, destination: final))
    }

    @Test func noSegmentsLeftUsesTheDestinationField() throws {
        let p = packet(routingType: 2, segmentsLeft: 0, addresses: [final])
        guard case .v6(let h) = p.header else { Issue.record("not v6"); return }
        #expect(h.finalDestination == firstHop)
        let parsed = try IPPacket.parse(p.serialized())
        #expect(parsed.transport.tcp?.checksum == expectedChecksum(p, destination: firstHop))
    }
}
