import Capture
import Foundation
import Packets
import Probing
import ProbeSession
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket on loopback that never accepts: the kernel completes
/// handshakes and acknowledges data, and sends nothing else.
final class LoopbackListener {
    let fd: Int32
    let port: UInt16

    init(v6: Bool, listen doListen: Bool = true) throws {
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var storage = sockaddr_storage()
        var length: socklen_t
        if v6 {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_addr = in6addr_loopback
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeBytes(of: &sa) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeBytes(of: &sa) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
        }
        let socketFD = fd
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) }
        }
        try #require(rc == 0, "bind: \(String(cString: strerror(errno)))")
        if doListen { try #require(Glibc.listen(fd, 16) == 0) }
        var name = sockaddr_storage()
        var nameLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &name) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &nameLength) }
        }
        port = withUnsafeBytes(of: &name) { UInt16($0[2]) << 8 | UInt16($0[3]) }   // sin_port / sin6_port, network order
    }

    deinit { close(fd) }
}

@Suite("Payload trace on loopback (root)", .serialized, .enabled(if: geteuid() == 0, "needs root for libpcap"))
struct PayloadTraceLoopbackTests {
    @Test(arguments: ["127.0.0.1", "::1"])
    func acknowledgedPayloadEndsTheTraceAtOnce(_ address: String) throws {
        let target = try #require(IPAddress(address))
        let listener = try LoopbackListener(v6: address.contains(":"))
        let pcap = FileManager.default.temporaryDirectory.appendingPathComponent("cs-payload-\(getpid()).pcapng").path
        defer { try? FileManager.default.removeItem(atPath: pcap) }
        var config = PayloadTrace.Configuration(target: target, port: listener.port, test: .http(host: "blocked.example"),
                                                control: .tls(sni: "example.com"), ttls: 1...5)
        config.interface = "lo"
        config.pcapPath = pcap
        config.settle = .milliseconds(200)
        var streamed: [Int] = []
        let steps = try PayloadTrace.run(config) { streamed.append($0.ttl) }
        // Loopback is one hop: the listener's kernel acknowledges both payloads at TTL 1,
        // and the trace stops there.
        #expect(steps.map(\.ttl) == [1])
        #expect(streamed == [1])
        let step = try #require(steps.first)
        for o in [step.test, step.control] {
            #expect(o.outcome == .ack)
            #expect(o.from == target)
            #expect(o.inWindow == true)
            #expect(o.fingerprint?.flags == .ack)
            #expect((o.rttMilliseconds ?? -1) >= 0)
        }
        #expect(PayloadTrace.reachedEnd(step, target: target))

        // The pcapng holds both connections, labelled, with the payload at TTL 1 and our
        // closing RST at full TTL.
        let (packets, error) = CaptureFileReader.readAll(path: pcap)
        #expect(error == nil)
        #expect(Set(packets.compactMap(\.comment)) == ["test ttl 1", "control ttl 1"])
        let decoded = packets.compactMap { try? $0.decode().ip }
        let data = decoded.filter { ($0.transport.tcp?.payload.isEmpty == false) && $0.destination == target && $0.transport.tcp?.destinationPort == listener.port }
        #expect(data.count >= 2)
        #expect(data.allSatisfy { $0.header.ttl == 1 })
        let resets = decoded.filter { $0.transport.tcp?.flags.contains(.rst) == true && $0.transport.tcp?.destinationPort == listener.port }
        #expect(resets.count >= 2)
        #expect(resets.allSatisfy { $0.header.ttl > 1 })
    }

    @Test func refusedConnectionIsNotConnected() throws {
        let closed = try LoopbackListener(v6: false, listen: false)   // bound, not listening: refuses
        var config = PayloadTrace.Configuration(target: IPAddress("127.0.0.1")!, port: closed.port,
                                                test: .raw([1, 2, 3]), control: .http(host: "example.com"), ttls: 1...30)
        config.interface = "lo"
        let steps = try PayloadTrace.run(config)
        #expect(steps.count == 1)   // the handshake does not depend on the TTL: one try tells
        #expect(steps.first?.test.outcome == .notConnected)
        #expect(steps.first?.test.socketError?.contains("refused the connection to port \(closed.port)") == true)
    }

    @Test func kernelConnectionKnowsItsPortBeforeTheSYN() throws {
        let listener = try LoopbackListener(v6: false)
        let c = try KernelConnection(remote: IPAddress("127.0.0.1")!, port: listener.port)
        #expect(c.local == IPAddress("127.0.0.1"))
        #expect(c.localPort != 0)
        try c.connect(timeout: .seconds(2))
        try c.setHopLimit(1)
        try c.send(Array("hello".utf8))
        #expect(c.state() == nil)   // acknowledged, nothing sent back
        c.abort()
    }

    @Test func serverNameTooLongIsRefusedBeforeAnyConnection() throws {
        let config = PayloadTrace.Configuration(target: IPAddress("127.0.0.1")!, port: 9, test: .tls(sni: String(repeating: "a", count: 300)),
                                                control: .tls(sni: "example.com"), ttls: 1...1)
        #expect(throws: PayloadTrace.Failure.self) { try PayloadTrace.run(config) }
    }
}
