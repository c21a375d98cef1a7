import Capture
import Foundation
import Packets
import Sockets
import TestSupport
import Testing

@Suite struct SocketReceiverEndpointTests {
    @Test func endpointsFollowTheProbesFamiliesAndTransports() {
        let a4 = IPv4Address("198.18.1.1")!, b4 = IPv4Address("198.18.1.2")!
        let a6 = IPv6Address("2001:db8:1::1")!, b6 = IPv6Address("2001:db8:1::2")!
        let syn4 = IPPacket(IPv4Header(ttl: 3, proto: 6, source: a4, destination: b4),
                            .tcp(TCPSegment(sourcePort: 1, destinationPort: 80, flags: .syn))).serialized()
        let echo4 = IPPacket(IPv4Header(ttl: 3, proto: 1, source: a4, destination: b4),
                             .icmp(ICMPMessage(family: .v4, type: 8, code: 0, restOfHeader: 1, body: []))).serialized()
        let udp6 = IPPacket(IPv6Header(nextHeader: 17, hopLimit: 3, source: a6, destination: b6),
                            .udp(UDPDatagram(sourcePort: 1, destinationPort: 53, payload: []))).serialized()
        let e = SocketReceiver.endpoints(answering: [syn4, syn4, echo4, udp6, [], [0x45, 0]])
        #expect(e == [.init(ipv6: false, proto: 1), .init(ipv6: false, proto: 6),
                      .init(ipv6: true, proto: 58), .init(ipv6: true, proto: 17)])
        #expect(SocketReceiver.endpoints(answering: [echo4]) == [.init(ipv6: false, proto: 1)])
    }
}

/// Raw receive sockets against a capture of the same packets: the answers they hand over are
/// the wire's IP packets byte for byte (the IPv6 header rebuilt from what the kernel passes),
/// and what a full socket buffer loses is counted.
@Suite(.serialized, .enabled(if: TwoHostNetwork.canRun, "needs root and iproute2 to build network namespaces"))
struct SocketReceiverTests {
    /// A TCP SYN to a closed port (a RST comes back), a UDP datagram to a closed port (ICMP
    /// port unreachable quoting it) and an echo request, from A to B in each family.
    func probes(_ net: TwoHostNetwork) -> [[UInt8]] {
        let a4 = IPv4Address(net.addressA)!, b4 = IPv4Address(net.addressB)!
        let a6 = IPv6Address(net.address6A)!, b6 = IPv6Address(net.address6B)!
        let syn = TCPSegment(sourcePort: 41000, destinationPort: 81, sequenceNumber: 7_000, flags: .syn, window: 1024,
                             options: [.maximumSegmentSize(1400)])
        let udp = UDPDatagram(sourcePort: 41001, destinationPort: 33435, payload: Array("censorscope".utf8)[...])
        let echo4 = ICMPMessage(family: .v4, type: 8, code: 0, restOfHeader: 0x0102_0003, body: Array("echo".utf8)[...])
        let echo6 = ICMPMessage(family: .v6, type: 128, code: 0, restOfHeader: 0x0102_0003, body: Array("echo".utf8)[...])
        return [
            IPPacket(IPv4Header(identification: 11, ttl: 64, proto: 6, source: a4, destination: b4), .tcp(syn)).serialized(),
            IPPacket(IPv4Header(identification: 12, ttl: 64, proto: 17, source: a4, destination: b4), .udp(udp)).serialized(),
            IPPacket(IPv4Header(identification: 13, ttl: 64, proto: 1, source: a4, destination: b4), .icmp(echo4)).serialized(),
            IPPacket(IPv6Header(flowLabel: 0x1234, nextHeader: 6, hopLimit: 64, source: a6, destination: b6), .tcp(syn)).serialized(),
            IPPacket(IPv6Header(flowLabel: 0x1235, nextHeader: 17, hopLimit: 64, source: a6, destination: b6), .udp(udp)).serialized(),
            IPPacket(IPv6Header(flowLabel: 0x1236, nextHeader: 58, hopLimit: 64, source: a6, destination: b6), .icmp(echo6)).serialized(),
        ]
    }

    static func send(_ packets: [[UInt8]]) throws {
        let v4 = try RawIPv4Socket(), v6 = try RawIPv6Socket()
        for p in packets { try p.first! >> 4 == 4 ? v4.send(p) : v6.send(p) }
    }

    @Test func answersAreTheWiresPacketsByteForByte() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        // IPv6 neighbour discovery must be done, or the first probes wait on it.
        _ = try net.run("ip", ["netns", "exec", net.a, "ping", "-6", "-c", "1", "-W", "2", net.address6B])
        let packets = probes(net)
        let (capture, sockets) = try NetworkNamespace.run(in: net.a) {
            (try LiveCapture(LiveCaptureConfiguration(interface: net.interfaceA, filter: "(ip and src host \(net.addressB)) or (ip6 and src host \(net.address6B))")),
             try SocketReceiver(endpoints: SocketReceiver.endpoints(answering: self.probes(net))))
        }
        defer { capture.close(); sockets.close() }
        #expect(SocketReceiver.endpoints(answering: packets).count == 6)
        try NetworkNamespace.run(in: net.a) { try Self.send(packets) }
        var wire: [[UInt8]: CaptureTimestamp] = [:], received: [[UInt8]: CaptureTimestamp] = [:]
        let deadline = ContinuousClock.now.advanced(by: .seconds(3))
        while (wire.count < 6 || received.count < 6), ContinuousClock.now < deadline {
            _ = sockets.waitForPackets(timeout: .milliseconds(50))
            try capture.drain { p in
                #expect(p.linkType == .ethernet)
                wire[Array(p.data.dropFirst(14))] = p.timestamp
            }
            try sockets.drain { p in
                #expect(p.linkType == .raw && p.originalLength == p.data.count)
                received[Array(p.data)] = p.timestamp
            }
        }
        #expect(wire.count == 6, "the capture saw \(wire.count) answers")
        #expect(Set(received.keys) == Set(wire.keys), "the sockets' packets differ from the wire's")
        for (bytes, time) in received {
            let ip = try IPPacket.parse(bytes)
            // veth leaves TCP checksums to an offload that never comes; ICMP's are whole, and
            // ICMPv6's cover the rebuilt header's addresses and length.
            if ip.transport.icmp != nil { #expect(ip.transportChecksumIsValid == true) }
            #expect(ip.header.ttl == 64)
            if let stamped = wire[bytes] {
                let gap = abs(time.totalNanoseconds - stamped.totalNanoseconds)
                #expect(gap < 50_000_000, "socket and capture timestamps \(gap) ns apart")
            }
        }
        let kinds = received.keys.compactMap { try? IPPacket.parse($0) }.map { ip -> String in
            if let t = ip.transport.tcp { return t.flags.contains(.rst) && t.acknowledgmentNumber == 7_001 ? "rst" : "tcp?" }
            if let i = ip.transport.icmp { return i.isEchoReply ? "echo-reply" : "icmp \(i.type)/\(i.code)" }
            return "other"
        }
        #expect(kinds.sorted() == ["echo-reply", "echo-reply", "icmp 1/4", "icmp 3/3", "rst", "rst"])
        #expect(sockets.statistics?.dropped == 0)
    }

    @Test func aFullSocketBufferIsCountedAsDropped() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let a = IPv4Address(net.addressA)!, b = IPv4Address(net.addressB)!
        let count = 400
        let requests = (0..<count).map { i in
            IPPacket(IPv4Header(identification: UInt16(i + 1), ttl: 64, proto: 1, source: a, destination: b),
                     .icmp(ICMPMessage(family: .v4, type: 8, code: 0, restOfHeader: 0x0777_0000 | UInt32(i), body: []))).serialized()
        }
        // The smallest buffer the kernel grants holds a few answers; nothing reads meanwhile.
        let sockets = try NetworkNamespace.run(in: net.a) {
            try SocketReceiver(endpoints: [.init(ipv6: false, proto: 1)], receiveBufferBytes: 1)
        }
        defer { sockets.close() }
        try NetworkNamespace.run(in: net.a) { try Self.send(requests) }
        usleep(300_000)
        var replies = 0
        try sockets.drain { p in
            if (try? IPPacket.parse(p.data))?.transport.icmp?.isEchoReply == true { replies += 1 }
        }
        let dropped = Int(sockets.statistics?.dropped ?? 0)
        #expect(replies > 0 && dropped > 0, "replies \(replies), dropped \(dropped)")
        #expect(replies + dropped == count, "every reply was either read or counted as dropped")
    }
}
