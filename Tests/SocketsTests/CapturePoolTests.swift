import Capture
import Foundation
import Packets
import Sockets
import TestSupport
import Testing

/// A reused capture must behave as a new one: the next user's filter only, nothing left of
/// the previous user's packets, statistics from zero, and never across network namespaces.
@Suite(.serialized, .enabled(if: TwoHostNetwork.canRun, "needs root and iproute2 to build network namespaces"))
struct CapturePoolTests {
    static func echo(_ net: TwoHostNetwork, _ n: Int) -> [[UInt8]] {
        let a = IPv4Address(net.addressA)!, b = IPv4Address(net.addressB)!
        return (0..<n).map { i in
            IPPacket(IPv4Header(identification: UInt16(i + 1), ttl: 64, proto: 1, source: a, destination: b),
                     .icmp(ICMPMessage(family: .v4, type: 8, code: 0, restOfHeader: 0x0999_0000 | UInt32(i), body: []))).serialized()
        }
    }

    static func syn(_ net: TwoHostNetwork) -> [UInt8] {
        IPPacket(IPv4Header(identification: 99, ttl: 64, proto: 6, source: IPv4Address(net.addressA)!, destination: IPv4Address(net.addressB)!),
                 .tcp(TCPSegment(sourcePort: 40999, destinationPort: 81, sequenceNumber: 5, flags: .syn, window: 512))).serialized()
    }

    static func send(_ net: TwoHostNetwork, _ packets: [[UInt8]]) throws {
        try NetworkNamespace.run(in: net.a) {
            let socket = try RawIPv4Socket()
            for p in packets { try socket.send(p) }
        }
    }

    static func take(_ pool: CapturePool, _ ns: String, _ settings: LiveCaptureConfiguration) throws -> LiveCapture {
        try NetworkNamespace.run(in: ns) { try pool.take(settings) }
    }

    /// The IPv4 protocol numbers of what `capture` holds (Ethernet frames).
    static func protocols(_ capture: LiveCapture) throws -> [UInt8] {
        var seen: [UInt8] = []
        usleep(100_000)
        try capture.drain { p in if let ip = try? p.decode().ip { seen.append(ip.header.upperLayerProtocol) } }
        return seen
    }

    @Test func aReusedCaptureHasOnlyTheNewFilterAndNothingOld() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let pool = CapturePool()
        defer { pool.closeAll() }
        var settings = LiveCaptureConfiguration(interface: net.interfaceA, filter: "icmp")
        settings.immediate = false
        settings.timeoutMilliseconds = 1
        let first = try Self.take(pool, net.a, settings)
        try Self.send(net, Self.echo(net, 20))
        usleep(100_000)
        // Nothing of it is read: the next user must not get the 20 requests and 20 replies.
        pool.give(first)
        settings.filter = "tcp"
        let second = try Self.take(pool, net.a, settings)
        #expect(second === first, "the idle capture is taken again")
        #expect(second.configuration.filter == "tcp")
        #expect(second.statistics?.received == 0, "statistics start again")
        #expect(try Self.protocols(second).isEmpty, "packets of the old filter were handed over")
        try Self.send(net, Self.echo(net, 5) + [Self.syn(net)])
        let seen = try Self.protocols(second)
        #expect(seen.allSatisfy { $0 == 6 } && seen.count >= 2, "the new filter: our SYN and the RST, nothing else (\(seen))")
        #expect(second.statistics?.received == UInt32(seen.count))
        pool.give(second)

        // Another namespace never gets it, though the settings are the same.
        settings.interface = net.interfaceB
        let inB = try Self.take(pool, net.b, settings)
        #expect(inB !== first)
        pool.give(inB)
        settings.interface = net.interfaceA
        let again = try Self.take(pool, net.a, settings)
        #expect(again === first)
        pool.give(again)

        // Closed together, and the pool is empty after.
        pool.closeAll()
        let fresh = try Self.take(pool, net.a, settings)
        #expect(fresh !== first)
        fresh.close()
    }

    @Test func aFilterThatDoesNotCompileIsRefusedAndTheCaptureKept() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let pool = CapturePool(limit: 1)
        defer { pool.closeAll() }
        var settings = LiveCaptureConfiguration(interface: net.interfaceA, filter: "icmp")
        settings.immediate = false
        let first = try Self.take(pool, net.a, settings)
        pool.give(first)
        settings.filter = "icmp and ("
        #expect(throws: LiveCaptureError.self) { try Self.take(pool, net.a, settings) }
        settings.filter = "udp"
        let next = try Self.take(pool, net.a, settings)
        #expect(next === first)
        // Over the limit: the second capture given back is closed, not kept.
        let other = try Self.take(pool, net.a, settings)
        pool.give(next)
        pool.give(other)
        let last = try Self.take(pool, net.a, settings)
        #expect(last === next)
        last.close()
    }
}
