import CSystemShims
import Packets
#if canImport(Glibc)
import Glibc
#endif

/// Answers read from raw receive sockets instead of a capture: one socket per address family
/// and protocol (ICMP/ICMPv6 for routers' errors, TCP or UDP for the target's own answers),
/// each handing over whole IP packets with kernel timestamps.
///
/// Why: an AF_PACKET capture costs two kernel RCU grace periods, one when its ring is set up
/// and one when it closes (some 40 ms here), which is most of a short trace. What sockets
/// cannot give: our own probes leaving (their send time comes from the send clock instead),
/// packets the host's firewall or reverse-path filter drops before IP takes them in, and
/// link-layer headers. Runs that keep evidence use the capture.
public final class SocketReceiver: @unchecked Sendable {
    public struct Endpoint: Hashable, Sendable {
        public var ipv6: Bool
        /// The IP protocol number: 1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6.
        public var proto: UInt8
        public init(ipv6: Bool, proto: UInt8) {
            self.ipv6 = ipv6
            self.proto = proto
        }
    }

    private struct Socket {
        var fd: Int32
        var endpoint: Endpoint
    }

    private var sockets: [Socket] = []
    private var buffer: [UInt8]
    private var received: UInt32 = 0
    /// Bytes kept of each packet; what is longer is cut (its length kept), as a capture's snap length.
    public let snapLength: Int

    /// The endpoints answers to `packets` (whole IP packets, as the probes leave) come back
    /// on: per family, ICMP errors and each transport the probes use.
    public static func endpoints(answering packets: [[UInt8]]) -> [Endpoint] {
        var seen = Set<Endpoint>()
        var list: [Endpoint] = []
        func add(_ e: Endpoint) { if seen.insert(e).inserted { list.append(e) } }
        for p in packets {
            guard let first = p.first else { continue }
            if first >> 4 == 4, p.count >= 20 {
                add(Endpoint(ipv6: false, proto: 1))
                if p[9] != 1 { add(Endpoint(ipv6: false, proto: p[9])) }
            } else if first >> 4 == 6, p.count >= 40 {
                add(Endpoint(ipv6: true, proto: 58))
                if p[6] != 58 { add(Endpoint(ipv6: true, proto: p[6])) }
            }
        }
        return list
    }

    public init(endpoints: [Endpoint], receiveBufferBytes: Int32 = 4 << 20, snapLength: Int = 16_384) throws(LiveCaptureError) {
        self.snapLength = max(64, snapLength)
        buffer = [UInt8](repeating: 0, count: self.snapLength)
        for e in endpoints {
            let fd = cs_open_raw_receiver(e.ipv6 ? AF_INET6 : AF_INET, Int32(e.proto), receiveBufferBytes)
            if fd < 0 {
                close()
                let name = "raw \(e.ipv6 ? "IPv6" : "IPv4") protocol \(e.proto) socket"
                if -fd == EPERM || -fd == EACCES { throw .permissionDenied(interface: name) }
                throw .openFailed(interface: name, message: String(cString: strerror(-fd)))
            }
            sockets.append(Socket(fd: fd, endpoint: e))
        }
    }

    deinit { close() }

    @discardableResult
    public func drain(max: Int, _ body: (CapturedPacket) -> Void) throws(LiveCaptureError) -> Int {
        var total = 0
        var meta = cs_raw_meta()
        for i in sockets.indices {
            let (fd, e) = (sockets[i].fd, sockets[i].endpoint)
            while total < max {
                let n = buffer.withUnsafeMutableBufferPointer { b in
                    cs_receive_raw(fd, e.ipv6 ? AF_INET6 : AF_INET, Int32(e.proto), b.baseAddress, UInt32(b.count), &meta)
                }
                if n == -Int(EAGAIN) || n == -Int(EWOULDBLOCK) { break }
                if n == -Int(EINTR) { continue }
                if n < 0 { throw .readFailed(message: String(cString: strerror(Int32(-n)))) }
                received &+= 1
                total += 1
                let kept = Swift.min(n, buffer.count)
                // A copy of the packet alone: the reader may keep it, and the buffer is reused.
                body(CapturedPacket(timestamp: CaptureTimestamp(seconds: meta.seconds, nanoseconds: meta.nanoseconds),
                                    linkType: .raw, data: Array(buffer[0..<kept])[...], originalLength: n))
            }
        }
        return total
    }

    public func waitForPackets(timeout: Duration) -> Bool {
        guard !sockets.isEmpty else { return false }
        var fds = sockets.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        return poll(&fds, nfds_t(fds.count), timeout.pollMilliseconds) > 0
    }

    public var statistics: (received: UInt32, dropped: UInt32, interfaceDropped: UInt32)? {
        (received, sockets.reduce(0) { $0 &+ UInt32(clamping: max(0, cs_raw_drops($1.fd))) }, 0)
    }

    public func close() {
        for s in sockets { _ = Glibc.close(s.fd) }
        sockets = []
    }
}

extension SocketReceiver: PacketSource {}
