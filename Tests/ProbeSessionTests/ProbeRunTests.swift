import Capture
import Foundation
import Packets
import ProbeSession
import Sockets
import TestSupport
import Testing

@Suite(.serialized, .enabled(if: TwoHostNetwork.canRun, "needs root and iproute2 to build network namespaces"))
struct ProbeRunTests {
    /// A run of `count` echo requests from A to B (or their IPv6 addresses).
    func echoRun(_ net: TwoHostNetwork, v6: Bool = false, count: Int, rate: Double?, timeout: Duration = .seconds(3),
                 settle: Bool = true) throws -> (EchoObservation, [[UInt8]]) {
        let a = try #require(IPAddress(v6 ? net.address6A : net.addressA))
        let b = try #require(IPAddress(v6 ? net.address6B : net.addressB))
        let route = try NetworkNamespace.run(in: net.a) { try Routing.route(to: b) }
        #expect(route.source == a)
        let probes = echoRequests(from: a, to: b, count: count, identifier: 0x5E55)
        let configuration = RunConfiguration(route: route, destinations: [b], rate: rate, timeout: timeout)
        let seen = try observeEchoRun(in: net.a, probes: probes, identifier: 0x5E55, configuration: configuration,
                                      settle: settle)
        return (seen, probes)
    }

    /// Every probe went, was seen leaving byte for byte, and was answered.
    /// `leavesAtOnce`: no queue holds probes back, so each is captured just after onSent's clock
    /// (read before sendto, so never after the capture's stamp of the probe leaving).
    func expectComplete(_ seen: EchoObservation, count: Int, leavesAtOnce: Bool = true) {
        #expect(seen.stats.sent == count)
        #expect(seen.stats.sendErrors == 0)
        #expect(seen.sentAt.allSatisfy { $0 != nil })
        #expect(seen.leftCount == count, "probes seen leaving")
        #expect(seen.repliedCount == count, "echo replies seen")
        #expect(seen.stats.captureDropped == 0)
        #expect(seen.stats.captured >= 2 * count)
        let pairs = zip(seen.leftAt, seen.sentAt).compactMap { left, sent in
            left.flatMap { l in sent.map { l.totalNanoseconds - $0.totalNanoseconds } }
        }
        // The clock is read before sendto: no probe is captured leaving before it (100 µs for
        // a capture stamped in microseconds).
        #expect(pairs.count { $0 < -100_000 } == 0, "probes captured leaving before onSent's clock")
        guard leavesAtOnce else { return }
        // And sendto is quick: on a shared machine one call in a hundred may be preempted.
        let late = pairs.count { $0 > 1_000_000 }
        #expect(late * 100 <= count, "\(late) probes captured more than 1 ms after onSent's clock")
    }

    @Test func unlimitedRateSendsEveryProbeAndSeesEveryReply() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let (seen, _) = try echoRun(net, count: 1000, rate: nil)
        expectComplete(seen, count: 1000)
        #expect(seen.stats.endedEarly, "settled once every reply was in")
    }

    @Test func ipv6RunSendsEveryProbeAndSeesEveryReply() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let (seen, _) = try echoRun(net, v6: true, count: 1000, rate: nil)
        expectComplete(seen, count: 1000)
        #expect(seen.stats.endedEarly)
    }

    @Test func pacingSpreadsProbesOverTheExpectedTime() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let (seen, _) = try echoRun(net, count: 1000, rate: 500)
        expectComplete(seen, count: 1000)
        // 1000 probes at 500/s: the last goes about 2 s after the first.
        #expect(seen.stats.sendingSeconds >= 0.8 * 1000 / 500, "sending took \(seen.stats.sendingSeconds) s")
        #expect(seen.stats.sendingSeconds < 6, "sending took \(seen.stats.sendingSeconds) s")
        let times = seen.sentAt.compactMap { $0?.totalNanoseconds }
        let firstHalf = Double((times[499] - times[0])) / 1e9
        #expect(firstHalf >= 0.8 * 499 / 500, "the first 500 probes went in \(firstHalf) s")
    }

    @Test func settlingEndsTheWaitEarly() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let (settled, _) = try echoRun(net, count: 50, rate: nil, timeout: .seconds(10))
        #expect(settled.repliedCount == 50)
        #expect(settled.stats.endedEarly)
        #expect(settled.stats.durationSeconds < 5, "settled run took \(settled.stats.durationSeconds) s")

        let (unsettled, _) = try echoRun(net, count: 50, rate: nil, timeout: .milliseconds(700), settle: false)
        #expect(unsettled.repliedCount == 50)
        #expect(!unsettled.stats.endedEarly)
        #expect(unsettled.stats.durationSeconds >= 0.7)
    }

    @Test func sendErrorsAreCountedNotThrown() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let a = try #require(IPAddress(net.addressA)), b = try #require(IPAddress(net.addressB))
        // Outside the namespace's only subnet: sendto says ENETUNREACH (on an unbound socket;
        // one bound to a device takes every destination as on-link).
        let nowhere = try #require(IPAddress("198.18.\(net.subnet == 251 ? 252 : 251).9"))
        // A firewall dropping in OUTPUT: sendto says EPERM.
        let firewalled = try #require(IPAddress("198.18.\(net.subnet).3"))
        try net.run("ip", ["netns", "exec", net.a, "iptables", "-A", "OUTPUT", "-d", "\(firewalled)", "-j", "DROP"])
        let good = echoRequests(from: a, to: b, count: 3, identifier: 0x77)
        let unroutable = echoRequests(from: a, to: nowhere, count: 1, identifier: 0x77)[0]
        let dropped = echoRequests(from: a, to: firewalled, count: 1, identifier: 0x77)[0]
        let configuration = RunConfiguration(interface: net.interfaceA,
                                             filter: CaptureFilter.forRun(source: a, destinations: [b]),
                                             rate: nil, timeout: .milliseconds(300), bindToInterface: false)
        let (stats, sent) = try NetworkNamespace.run(in: net.a) {
            var sent: [Int] = []
            let stats = try ProbeRun.run(packets: [good[0], unroutable, good[1], dropped, good[2]],
                                         configuration: configuration,
                                         onSent: { index, _ in sent.append(index) }, onPacket: { _ in false })
            return (stats, sent)
        }
        #expect(stats.sent == 3)
        #expect(stats.sendErrors == 2)
        #expect(sent == [0, 2, 4])
        #expect(stats.firstSendError == "probe 1 to \(nowhere): sendto failed: Network is unreachable")
    }

    @Test func firewallRefusalIsCountedWithItsReason() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let a = try #require(IPAddress(net.addressA)), b = try #require(IPAddress(net.addressB))
        try net.run("ip", ["netns", "exec", net.a, "iptables", "-A", "OUTPUT", "-d", "\(b)", "-p", "icmp", "-j", "DROP"])
        let probes = echoRequests(from: a, to: b, count: 2, identifier: 0x78)
        let configuration = RunConfiguration(route: RouteInfo(source: a, interface: net.interfaceA), destinations: [b],
                                             rate: nil, timeout: .milliseconds(200))
        let stats = try NetworkNamespace.run(in: net.a) {
            try ProbeRun.run(packets: probes, configuration: configuration, onSent: { _, _ in }, onPacket: { _ in false })
        }
        #expect(stats.sent == 0)
        #expect(stats.sendErrors == 2)
        #expect(stats.firstSendError == "probe 0 to \(b): sendto failed: Operation not permitted")
    }

    @Test func fullDeviceQueueIsRetriedNotLost() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        // A token bucket of 1 Mbit/s with room for a few packets: at full speed the queue
        // fills at once and sendto says ENOBUFS.
        try net.ip("-n", net.a, "link", "set", net.interfaceA, "txqueuelen", "4")
        try net.run("tc", ["-n", net.a, "qdisc", "add", "dev", net.interfaceA, "root", "tbf",
                           "rate", "1mbit", "burst", "1600", "limit", "600"])
        let (seen, _) = try echoRun(net, count: 300, rate: nil)
        #expect(seen.stats.sendRetries > 0, "the queue never overflowed")
        // Each probe went exactly once: all seen leaving (the capture taps after the queue), all answered.
        expectComplete(seen, count: 300, leavesAtOnce: false)
    }

    @Test func packetsThatAreNotIPAreRefusedBeforeAnythingIsSent() throws {
        let configuration = RunConfiguration(interface: "lo", filter: "icmp")
        #expect(throws: ProbeSessionError.send("probe 1 is not an IPv4 or IPv6 packet (3 bytes)")) {
            _ = try ProbeRun.run(packets: [echoRequests(from: IPAddress("127.0.0.1")!, to: IPAddress("127.0.0.1")!,
                                                        count: 1, identifier: 1)[0], [1, 2, 3]],
                                 configuration: configuration, onSent: { _, _ in }, onPacket: { _ in false })
        }
    }

    @Test func missingPrivilegeIsAClearError() throws {
        let message = try withoutCapabilities { () -> String in
            let probe = echoRequests(from: IPAddress("127.0.0.1")!, to: IPAddress("127.0.0.1")!, count: 1, identifier: 2)
            do {
                _ = try ProbeRun.run(packets: probe, configuration: RunConfiguration(interface: "lo", filter: "icmp"),
                                     onSent: { _, _ in }, onPacket: { _ in false })
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message == "sending raw packets needs root or CAP_NET_RAW: run the command with sudo")
    }

    /// A measurement, not a speed test: 200 000 echo requests at full speed into the peer,
    /// with an `onPacket` that only counts (ICMP type read from the bytes), so the numbers are
    /// the run's own.
    @Test func measureUnlimitedSendRate() throws {
        let net = try TwoHostNetwork()
        defer { net.tearDown() }
        let count = 200_000
        let a = try #require(IPAddress(net.addressA)), b = try #require(IPAddress(net.addressB))
        let probes = echoRequests(from: a, to: b, count: count, identifier: 0x5E55)
        let configuration = RunConfiguration(route: RouteInfo(source: a, interface: net.interfaceA), destinations: [b],
                                             rate: nil, timeout: .seconds(2))
        let (stats, requests, replies) = try NetworkNamespace.run(in: net.a) {
            var requests = 0, replies = 0
            let stats = try ProbeRun.run(packets: probes, configuration: configuration, onSent: { _, _ in }, onPacket: { packet in
                let data = packet.data, ip = data.startIndex + 14   // Ethernet on a veth
                guard data.count >= 14 + 28 else { return false }
                let type = data[ip + Int(data[ip] & 0x0F) * 4]
                if type == 8 { requests += 1 } else if type == 0 { replies += 1 }
                return replies == count
            })
            return (stats, requests, replies)
        }
        #expect(stats.sent + stats.sendErrors == count)
        print("""
            ProbeRun measurement: \(stats.sent) probes in \(String(format: "%.3f", stats.sendingSeconds)) s = \
            \(Int(stats.sendRate)) probes/s; captured \(stats.captured) (\(requests) leaving, \(replies) replies), \
            dropped \(stats.captureDropped), ENOBUFS retries \(stats.sendRetries), send errors \(stats.sendErrors)
            """)
    }
}
