import Capture
import Packets
import Sockets
import TestSupport
import Testing

/// A packet built by Packets and sent on a raw socket in one namespace is captured
/// intact by LiveCapture in the peer namespace, and the peer's kernel accepts it
/// (its answer proves our checksums).
@Suite(.serialized, .enabled(if: TwoHostNetwork.canRun, "needs root and iproute2 to build network namespaces"))
struct RawSendCaptureTests {
    /// Opens a capture in `ns`, sends `send` from `from`, returns the frames seen within 3 s.
    func exchange(_ net: TwoHostNetwork, captureIn ns: String, interface: String, filter: String,
                  expecting count: Int, send: @escaping @Sendable () throws -> Void, from: String) throws -> [Frame] {
        let capture = try NetworkNamespace.run(in: ns) {
            try LiveCapture(LiveCaptureConfiguration(interface: interface, filter: filter))
        }
        defer { capture.close() }
        try NetworkNamespace.run(in: from, send)
        var frames: [Frame] = []
        let deadline = ContinuousClock.now.advanced(by: .seconds(3))
        while frames.count < count, ContinuousClock.now < deadline {
            if let p = try capture.next(timeout: .milliseconds(200)) { frames.append(try p.decode()) }
        }
        return frames
    }

    @Test func ipv4SynArrivesIntactAndIsAnswered() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let syn = IPPacket(
            IPv4Header(identification: 0x1234, ttl: 19, proto: 6,
                       source: IPv4Address(net.addressA)!, destination: IPv4Address(net.addressB)!),
            .tcp(TCPSegment(sourcePort: 42193, destinationPort: 80, sequenceNumber: 2_785_663_221, flags: .syn,
                            window: 5840, options: [.maximumSegmentSize(1460), .sackPermitted,
                                                    .timestamps(value: 1_652_926_847, echoReply: 0),
                                                    .noOperation, .windowScale(2)])))
        let bytes = syn.serialized()
        #expect(bytes.count == 60)
        let frames = try exchange(net, captureIn: net.b, interface: net.interfaceB, filter: "tcp port 80 or tcp port 42193",
                                  expecting: 2, send: { try RawIPv4Socket().send(bytes) }, from: net.a)
        try #require(frames.count >= 2, "expected our SYN and the kernel's RST, saw \(frames.count) packets")
        // Our SYN, byte for byte.
        let seen = try #require(frames[0].ip)
        #expect(seen.serialized(fillLengths: false, fillChecksums: false) == bytes)
        #expect(seen.transportChecksumIsValid == true)
        #expect(seen.header.ttl == 19)
        // No listener on port 80: the peer kernel resets, acknowledging seq+1 — it verified our TCP checksum.
        let rst = try #require(frames[1].ip?.transport.tcp)
        #expect(rst.flags == [.rst, .ack])
        #expect(rst.acknowledgmentNumber == 2_785_663_222)
        #expect(rst.destinationPort == 42193)
    }

    @Test func ipv4UdpDrawsPortUnreachableQuotingOurHeader() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let probe = IPPacket(
            IPv4Header(identification: 777, ttl: 33, proto: 17,
                       source: IPv4Address(net.addressA)!, destination: IPv4Address(net.addressB)!),
            .udp(UDPDatagram(sourcePort: 33434, destinationPort: 33435, payload: Array("censorscope".utf8)[...])))
        let bytes = probe.serialized()
        let frames = try exchange(net, captureIn: net.a, interface: net.interfaceA, filter: "icmp",
                                  expecting: 1, send: { try RawIPv4Socket().send(bytes) }, from: net.a)
        let icmp = try #require(frames.first?.ip?.transport.icmp)
        #expect(icmp.type == 3 && icmp.code == 3)
        let quoted = try #require(icmp.quotedPacket)
        guard case .v4(let qh) = quoted.header else { Issue.record("quote is not IPv4"); return }
        #expect(qh.identification == 777)
        #expect(quoted.transport.udp?.sourcePort == 33434)
        #expect(quoted.transport.udp?.destinationPort == 33435)
    }

    @Test func ipv6HeaderIncludedSynArrivesIntactAndIsAnswered() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let syn = IPPacket(
            IPv6Header(flowLabel: 0xBEEF, nextHeader: 6, hopLimit: 7,
                       source: IPv6Address(net.address6A)!, destination: IPv6Address(net.address6B)!),
            .tcp(TCPSegment(sourcePort: 40000, destinationPort: 443, sequenceNumber: 1000, flags: .syn,
                            window: 64240, options: [.maximumSegmentSize(1440)])))
        let bytes = syn.serialized()
        let frames = try exchange(net, captureIn: net.b, interface: net.interfaceB, filter: "ip6 and tcp",
                                  expecting: 2, send: { try RawIPv6Socket().send(bytes) }, from: net.a)
        try #require(frames.count >= 2, "expected our SYN and the kernel's RST, saw \(frames.count) packets")
        let seen = try #require(frames[0].ip)
        #expect(seen.serialized(fillLengths: false, fillChecksums: false) == bytes)
        #expect(seen.header.ttl == 7)
        let rst = try #require(frames[1].ip?.transport.tcp)
        #expect(rst.flags.contains(.rst))
        #expect(rst.acknowledgmentNumber == 1001)
    }

    @Test func ipv6TransportModeSetsHopLimit() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let echo = ICMPMessage(family: .v6, type: 128, code: 0, restOfHeader: 0x1234_0001, body: [1, 2, 3, 4])
        var buffer: [UInt8] = []
        echo.write(into: &buffer)
        let segment = buffer
        let dst = IPv6Address(net.address6B)!
        let frames = try exchange(net, captureIn: net.b, interface: net.interfaceB, filter: "icmp6 and ip6[40] == 128",
                                  expecting: 1, send: {
                                      try RawIPv6Socket(mode: .transport(proto: 58)).send(segment, to: dst, hopLimit: 3)
                                  }, from: net.a)
        let seen = try #require(frames.first?.ip)
        #expect(seen.header.ttl == 3)
        #expect(seen.transport.icmp?.identifier == 0x1234)
        #expect(seen.transportChecksumIsValid == true)
    }

    @Test func invalidFilterIsAClearError() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        #expect(throws: LiveCaptureError.self) {
            try NetworkNamespace.run(in: net.a) {
                try LiveCapture(LiveCaptureConfiguration(interface: "veth-a", filter: "tcp port banana"))
            }
        }
        #expect(throws: LiveCaptureError.self) {
            try NetworkNamespace.run(in: net.a) {
                try LiveCapture(LiveCaptureConfiguration(interface: "no-such-if0"))
            }
        }
    }
}
