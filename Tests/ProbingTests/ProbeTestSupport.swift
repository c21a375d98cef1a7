import Packets
import Probing
import Testing

/// Fixtures of the probe-kind tests (namespaced: other suites share this test target).
enum ModulesFixture {
    // Lab addresses for the probes under test (nothing is sent).
    static let v4Source = IPAddress("198.18.0.1")!
    static let v4Destination = IPAddress("198.18.1.2")!
    static let v6Source = IPAddress("2001:db8::1")!
    static let v6Destination = IPAddress("2001:db8:1::2")!

    static func builder(ipv6: Bool) throws -> ProbeBuilder {
        ipv6 ? try ProbeBuilder(source: v6Source, destination: v6Destination)
             : try ProbeBuilder(source: v4Source, destination: v4Destination)
    }

    /// The TCP option bytes of a built packet, read from the wire (header length from the
    /// data offset), independent of how the decoder groups them.
    static func tcpOptionBytes(_ probe: Probe) -> [UInt8] {
        let ipLength = probe.packet.header.headerLength
        guard probe.bytes.count >= ipLength + 20 else { return [] }
        let dataOffset = Int(probe.bytes[ipLength + 12] >> 4) * 4
        guard dataOffset >= 20, probe.bytes.count >= ipLength + dataOffset else { return [] }
        return Array(probe.bytes[(ipLength + 20)..<(ipLength + dataOffset)])
    }

    /// The wire bytes of an option list.
    static func wire(_ options: [TCPOption]) -> [UInt8] {
        var out: [UInt8] = []
        for o in options { o.write(into: &out) }
        return out
    }

    /// What every probe must satisfy: it parses back to `packet`, its length fields match
    /// its bytes, its checksums are right.
    static func expectWellFormed(_ probe: Probe, sourceLocation: SourceLocation = #_sourceLocation) {
        let parsed = try? IPPacket.parse(probe.bytes)
        #expect(parsed == probe.packet, sourceLocation: sourceLocation)
        #expect(parsed?.isTruncated == false, sourceLocation: sourceLocation)
        #expect(parsed?.transportChecksumIsValid == true, sourceLocation: sourceLocation)
        switch probe.packet.header {
        case .v4(let h):
            #expect(Int(h.totalLength) == probe.bytes.count, sourceLocation: sourceLocation)
            #expect(parsed?.headerChecksumIsValid == true, sourceLocation: sourceLocation)
        case .v6(let h):
            #expect(Int(h.payloadLength) + 40 == probe.bytes.count, sourceLocation: sourceLocation)
        }
    }

    /// An answer from the probed host carrying `transport`, serialised and parsed back as a
    /// capture would give it.
    static func reply(_ transport: TransportLayer, to probe: Probe, ttl: UInt8 = 52) throws -> IPPacket {
        let packet: IPPacket
        switch probe.packet.header {
        case .v4(let h):
            packet = IPPacket(IPv4Header(ttl: ttl, proto: h.proto, source: h.destination, destination: h.source), transport)
        case .v6(let h):
            packet = IPPacket(IPv6Header(nextHeader: h.upperLayerProtocol, hopLimit: ttl,
                                         source: h.destination, destination: h.source), transport)
        }
        return try IPPacket.parse(packet.serialized())
    }
}
