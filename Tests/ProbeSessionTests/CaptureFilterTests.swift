import Capture
import Packets
import ProbeSession
import Sockets
import TestSupport
import Testing

@Suite(.serialized, .enabled(if: TwoHostNetwork.canRun, "needs root and iproute2 to build network namespaces"))
struct CaptureFilterTests {
    @Test func compilesForEveryShapeOfRun() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let many4 = (1...100).map { IPAddress("198.18.200.\($0)")! }
        let many6 = (1...100).map { IPAddress("2001:db8:c8::\($0)")! }
        let runs: [(IPAddress, [IPAddress])] = [
            (IPAddress(net.addressA)!, []), (IPAddress(net.addressA)!, [IPAddress(net.addressB)!]),
            (IPAddress(net.addressA)!, Array(many4.prefix(3)) + [IPAddress("2001:db8::9")!]),
            (IPAddress(net.addressA)!, many4),
            (IPAddress(net.address6A)!, []), (IPAddress(net.address6A)!, [IPAddress(net.address6B)!]),
            (IPAddress(net.address6A)!, many6),
        ]
        let filters = runs.map { CaptureFilter.forRun(source: $0.0, destinations: $0.1) }
        let failures = try NetworkNamespace.run(in: net.a) {
            filters.compactMap { filter -> String? in
                do {
                    try LiveCapture(LiveCaptureConfiguration(interface: "lo", filter: filter)).close()
                    return nil
                } catch {
                    return "\(error)"
                }
            }
        }
        #expect(failures == [])
        // Too many destinations to name: the filter keeps to the source.
        #expect(!filters[3].contains("198.18.200.50"))
        #expect(filters[2].contains("198.18.200.3") && !filters[2].contains("2001:db8::9"))
    }

    @Test func ipv4PassesAnswersButNotUnrelatedTraffic() throws {
        try checkFilter(v6: false)
    }

    @Test func ipv6PassesAnswersButNotUnrelatedTraffic() throws {
        try checkFilter(v6: true)
    }

    /// Injects marked packets on both sides of the pair while namespace A captures with the
    /// filter for a run from A to B; C is a second address of B's that the run does not probe.
    func checkFilter(v6: Bool) throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let c = v6 ? "2001:db8:\(net.subnet)::3" : "198.18.\(net.subnet).3"
        try net.ip("-n", net.b, "addr", "add", c + (v6 ? "/64" : "/24"), "dev", net.interfaceB, "nodad")
        let a = try #require(IPAddress(v6 ? net.address6A : net.addressA))
        let b = try #require(IPAddress(v6 ? net.address6B : net.addressB))
        let other = try #require(IPAddress(c))
        let forge = MarkedPackets(v6: v6)
        let quote = Array(forge.udp(0xC0, from: a, to: b, port: 33434).prefix(v6 ? 48 : 28))[...]
        let (echoReply, echoRequest, redirect, unreachable, timeExceeded): (UInt8, UInt8, UInt8, UInt8, UInt8) =
            v6 ? (129, 128, 137, 1, 3) : (0, 8, 5, 3, 11)
        let fromB: [(UInt32, [UInt8])] = [
            (0xA1, forge.tcp(0xA1, from: b, to: a, flags: [.syn, .ack])),
            (0xA2, forge.udp(0xA2, from: b, to: a, port: 5000)),
            (0xA3, forge.icmp(0xA3, from: other, to: a, type: timeExceeded, body: quote)),
            (0xA4, forge.icmp(0xA4, from: other, to: a, type: echoReply, rest: 0x0101_0001)),
            (0xA5, forge.icmp(0xA5, from: b, to: a, type: unreachable, code: 3, body: quote)),
            (0xB1, forge.tcp(0xB1, from: other, to: a, flags: [.syn, .ack])),
            (0xB2, forge.icmp(0xB2, from: b, to: a, type: echoRequest, rest: 0x0202_0001)),
            (0xB3, forge.icmp(0xB3, from: b, to: a, type: redirect, body: quote)),
        ]
        let fromA: [(UInt32, [UInt8])] = [
            (0xC1, forge.udp(0xC1, from: a, to: b, port: 33435)),
            (0xD1, forge.udp(0xD1, from: a, to: other, port: 33436)),
        ]
        let filter = CaptureFilter.forRun(source: a, destinations: [b])
        let interface = net.interfaceA
        let capture = try NetworkNamespace.run(in: net.a) {
            try LiveCapture(LiveCaptureConfiguration(interface: interface, filter: filter))
        }
        defer { capture.close() }
        try NetworkNamespace.run(in: net.b) { try forge.send(fromB.map(\.1)) }
        try NetworkNamespace.run(in: net.a) { try forge.send(fromA.map(\.1)) }

        var marksFromOthers = Set<UInt32>(), marksFromA = Set<UInt32>(), notIP = 0
        var quotedErrors: [(IPAddress, UInt32)] = []   // ICMP errors quoting our marked UDP probes
        let deadline = ContinuousClock.now.advanced(by: .seconds(2))
        while ContinuousClock.now < deadline {
            guard let packet = try capture.next(timeout: .milliseconds(100)) else { continue }
            guard let ip = try packet.decode().ip else { notIP += 1; continue }
            let mark = forge.mark(of: ip)
            if ip.source == a { marksFromA.insert(mark) } else { marksFromOthers.insert(mark) }
            if let icmp = ip.transport.icmp, icmp.isError, let quoted = icmp.quotedPacket, quoted.transport.udp != nil {
                quotedErrors.append((ip.source, forge.mark(of: quoted)))
            }
        }
        #expect(notIP == 0, "ARP / non-IP frames passed the filter")
        let passing: Set<UInt32> = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5]
        #expect(marksFromOthers.intersection(passing.union([0xB1, 0xB2, 0xB3])) == passing)
        #expect(marksFromA.contains(0xC1))
        #expect(!marksFromA.contains(0xD1), "a probe to an address not in the run passed")
        // Errors from anyone pass: B's port unreachable for C1, and C's for D1.
        #expect(quotedErrors.contains { $0.0 == b && $0.1 == 0xC1 })
        #expect(quotedErrors.contains { $0.0 == other && $0.1 == 0xD1 })
    }
}

/// Packets marked by their IPv4 ID or IPv6 flow label, and the raw sockets to send them.
struct MarkedPackets: Sendable {
    let v6: Bool

    func mark(of ip: IPPacket) -> UInt32 {
        switch ip.header {
        case .v4(let h): return UInt32(h.identification)
        case .v6(let h): return h.flowLabel
        }
    }

    func packet(_ mark: UInt32, from: IPAddress, to: IPAddress, proto: UInt8, _ transport: TransportLayer) -> [UInt8] {
        switch (from, to) {
        case (.v4(let s), .v4(let d)):
            return IPPacket(IPv4Header(identification: UInt16(truncatingIfNeeded: mark), proto: proto, source: s, destination: d),
                            transport).serialized()
        case (.v6(let s), .v6(let d)):
            return IPPacket(IPv6Header(flowLabel: mark, nextHeader: proto == 1 ? 58 : proto, source: s, destination: d),
                            transport).serialized()
        default:
            return []
        }
    }

    func tcp(_ mark: UInt32, from: IPAddress, to: IPAddress, flags: TCPFlags) -> [UInt8] {
        packet(mark, from: from, to: to, proto: 6,
               .tcp(TCPSegment(sourcePort: 80, destinationPort: 40000, sequenceNumber: 7, acknowledgmentNumber: 9,
                               flags: flags, window: 1000)))
    }

    func udp(_ mark: UInt32, from: IPAddress, to: IPAddress, port: UInt16) -> [UInt8] {
        packet(mark, from: from, to: to, proto: 17,
               .udp(UDPDatagram(sourcePort: 40001, destinationPort: port, payload: Array("mark".utf8)[...])))
    }

    func icmp(_ mark: UInt32, from: IPAddress, to: IPAddress, type: UInt8, code: UInt8 = 0, rest: UInt32 = 0,
              body: ArraySlice<UInt8> = []) -> [UInt8] {
        packet(mark, from: from, to: to, proto: 1,
               .icmp(ICMPMessage(family: v6 ? .v6 : .v4, type: type, code: code, restOfHeader: rest, body: body)))
    }

    func send(_ packets: [[UInt8]]) throws {
        if v6 {
            let socket = try RawIPv6Socket()
            for p in packets { try socket.send(p) }
        } else {
            let socket = try RawIPv4Socket()
            for p in packets { try socket.send(p) }
        }
    }
}
