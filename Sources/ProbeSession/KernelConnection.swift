import Packets
#if canImport(Glibc)
import Glibc
#endif

/// Why a kernel TCP connection could not be made or used; one sentence each.
public enum KernelConnectionError: Error, Hashable, Sendable, CustomStringConvertible {
    case socket(call: String, errno: Int32)
    case noRoute(IPAddress, errno: Int32)
    case refused(IPAddress, UInt16)
    case timedOut(IPAddress, UInt16, seconds: Double)
    case connect(IPAddress, UInt16, errno: Int32)
    case send(errno: Int32)

    public var description: String {
        switch self {
        case let .socket(call, code):
            return "\(call) failed on the probe's TCP socket: \(Self.text(code))"
        case let .noRoute(address, code) where code == EHOSTUNREACH:
            // The kernel says so for an ICMP host unreachable from a router on the way as
            // well as for a neighbour that never answered ARP: not a routing table problem.
            return "\(address) is unreachable (\(Self.text(code))): a router on the way answered host unreachable, or "
                + "the last hop found no such host; it may be down or blocked"
        case let .noRoute(address, code):
            return "there is no route to \(address) from here (\(Self.text(code))): check the address and `ip route`"
        case let .refused(address, port):
            return "\(address) refused the connection to port \(port) (RST to the SYN): nothing listens there, or the SYN is blocked"
        case let .timedOut(address, port, seconds):
            return "the handshake with \(address) port \(port) did not complete within \(Self.seconds(seconds)) s"
        case let .connect(address, port, code):
            return "connecting to \(address) port \(port) failed: \(Self.text(code))"
        case let .send(code):
            return "sending the payload failed: \(Self.text(code))"
        }
    }

    static func text(_ code: Int32) -> String { String(cString: strerror(code)) }
    private static func seconds(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }
}

/// A TCP connection owned by the kernel, used to put a TTL-limited payload on a real
/// connection.
///
/// Why a kernel socket and not raw packets: the kernel completes the handshake at full
/// TTL and owns the connection, so it never answers the server's SYN-ACK with a RST (a
/// raw-socket prober needs a firewall rule for that), and its retransmissions and ACKs
/// look like any client's. Only the payload's TTL is ours: IP_TTL / IPV6_UNICAST_HOPS is
/// set after the handshake and before the send. The end is `abort`: the TTL back to the
/// default, then close with SO_LINGER {1, 0}, an RST at full TTL that clears the server's
/// state. What the network answered is read from a libpcap capture; the socket's own view
/// (`state`) is secondary evidence.
public final class KernelConnection {
    public let remote: IPAddress
    public let remotePort: UInt16
    /// The source address the kernel picked for `remote`, bound before the SYN.
    public let local: IPAddress
    /// The ephemeral port, known before the SYN (bound to port 0) so a capture can filter on it.
    public let localPort: UInt16
    private var fd: Int32

    /// Opens and binds the socket; nothing is sent yet. `localPort` 0 takes an ephemeral
    /// port; another is bound with SO_REUSEADDR and SO_REUSEPORT, so a connection can leave
    /// from a port a local server listens on (that server's socket must set SO_REUSEPORT
    /// too); a connecting socket is never handed incoming connections.
    public init(remote: IPAddress, port: UInt16, localPort requestedPort: UInt16 = 0) throws(KernelConnectionError) {
        self.remote = remote
        remotePort = port
        let source = try Self.sourceAddress(for: remote, port: port)
        fd = socket(Self.family(remote), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(call: "socket", errno: errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if requestedPort != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let socketFD = fd
        if Self.withSockaddr(source, requestedPort, { bind(socketFD, $0, $1) }) != 0 {
            let code = errno
            Glibc.close(fd)
            throw .socket(call: "bind", errno: code)
        }
        guard let name = Self.localName(fd) else {
            let code = errno
            Glibc.close(fd)
            throw .socket(call: "getsockname", errno: code)
        }
        local = name.0
        localPort = name.1
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Completes the handshake at the default TTL, waiting at most `timeout`.
    public func connect(timeout: Duration) throws(KernelConnectionError) {
        let rc = Self.withSockaddr(remote, remotePort) { Glibc.connect(fd, $0, $1) }
        if rc == 0 { return }
        var code = errno
        guard code == EINPROGRESS else { throw classify(code, timeout) }
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { throw .timedOut(remote, remotePort, seconds: Self.seconds(timeout)) }
            let n = poll(&pfd, 1, Int32(clamping: Self.milliseconds(left) + 1))
            if n > 0 { break }
            if n < 0, errno != EINTR { throw .socket(call: "poll", errno: errno) }
        }
        var length = socklen_t(MemoryLayout<Int32>.size)
        code = 0
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { throw .socket(call: "getsockopt(SO_ERROR)", errno: errno) }
        if code != 0 { throw classify(code, timeout) }
    }

    /// Sets the TTL (hop limit) of what the socket sends from now on; nil restores the default.
    public func setHopLimit(_ ttl: Int?) throws(KernelConnectionError) {
        var value = Int32(ttl.map { min(max($0, 1), 255) } ?? -1)   // -1: the route's default
        let (level, name, label) = Self.isV6(remote)
            ? (Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, "setsockopt(IPV6_UNICAST_HOPS)")
            : (Int32(IPPROTO_IP), IP_TTL, "setsockopt(IP_TTL)")
        if setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw .socket(call: label, errno: errno)
        }
    }

    /// Queues the whole payload at once (it goes out as one segment when it fits the MSS).
    public func send(_ bytes: [UInt8]) throws(KernelConnectionError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .send(errno: errno)
            }
            offset += n
        }
    }

    /// What the socket says now, without consuming anything: a reset, an orderly close,
    /// data waiting, or nil when none of these.
    public func state() -> String? {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        if n > 0 { return "data waiting" }
        if n == 0 { return "closed by the peer (FIN)" }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK { return nil }
        return KernelConnectionError.text(code)
    }

    /// The socket, for a TLS session over it (`ConnectionExchange`); -1 once aborted.
    var descriptor: Int32 { fd }

    /// What one read without waiting gave.
    public enum Received: Hashable, Sendable {
        case bytes(Int)
        /// The peer closed its side (FIN).
        case closed
        case wouldBlock
        case failed(String)
    }

    /// Reads up to `buffer.count` bytes without waiting (they are discarded by callers that
    /// only count them).
    public func receive(into buffer: inout [UInt8]) -> Received {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n > 0 { return .bytes(n) }
        if n == 0 { return .closed }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return .wouldBlock }
        return .failed(KernelConnectionError.text(code))
    }

    /// Waits up to `timeout` for `events` (POLLIN, POLLOUT) on the socket; true when they
    /// (or an error, or the peer's close) came.
    public func wait(for events: Int16, timeout: Duration) -> Bool {
        guard fd >= 0, timeout > .zero else { return false }
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        let n = poll(&pfd, 1, Int32(clamping: Self.milliseconds(timeout) + 1))
        return n > 0
    }

    /// Restores the default TTL and closes with an immediate RST (SO_LINGER {1, 0}). When
    /// the payload never reached the server the RST's seq is past the server's rcv.nxt, so
    /// Linux answers with a challenge ACK (RFC 5961), which our stack, the socket gone,
    /// answers with a RST at exactly rcv.nxt: the server's state is cleared either way.
    public func abort() {
        guard fd >= 0 else { return }
        try? setHopLimit(nil)
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(fd)
        fd = -1
    }

    private func classify(_ code: Int32, _ timeout: Duration) -> KernelConnectionError {
        switch code {
        case ECONNREFUSED: return .refused(remote, remotePort)
        case ETIMEDOUT: return .timedOut(remote, remotePort, seconds: Self.seconds(timeout))
        case ENETUNREACH, EHOSTUNREACH: return .noRoute(remote, errno: code)
        default: return .connect(remote, remotePort, errno: code)
        }
    }

    // MARK: - Addresses

    /// The source address the kernel would use towards `remote`: a connected UDP socket
    /// sends nothing and reports it.
    static func sourceAddress(for remote: IPAddress, port: UInt16) throws(KernelConnectionError) -> IPAddress {
        let udp = socket(family(remote), Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard udp >= 0 else { throw .socket(call: "socket", errno: errno) }
        defer { Glibc.close(udp) }
        if withSockaddr(remote, port == 0 ? 9 : port, { Glibc.connect(udp, $0, $1) }) != 0 {
            let code = errno
            if code == ENETUNREACH || code == EHOSTUNREACH { throw .noRoute(remote, errno: code) }
            throw .socket(call: "connect (route lookup)", errno: code)
        }
        guard let (address, _) = localName(udp) else { throw .socket(call: "getsockname", errno: errno) }
        return address
    }

    static func family(_ a: IPAddress) -> Int32 { isV6(a) ? AF_INET6 : AF_INET }
    static func isV6(_ a: IPAddress) -> Bool { if case .v6 = a { return true }; return false }

    /// `body` with the socket address of `address` and `port` (for bind, connect).
    public static func withSockaddr<R>(_ address: IPAddress, _ port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch address {
        case .v4(let a):
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            sa.sin_addr.s_addr = a.value.bigEndian
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let a):
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sa.sin6_addr) { raw in
                for (i, b) in a.bytes.enumerated() where i < raw.count { raw[i] = b }
            }
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    static func localName(_ fd: Int32) -> (IPAddress, UInt16)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer -> (IPAddress, UInt16)? in
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    (.v4(IPv4Address(UInt32(bigEndian: $0.pointee.sin_addr.s_addr))), UInt16(bigEndian: $0.pointee.sin_port))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p -> (IPAddress, UInt16)? in
                    let bytes = withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
                    guard let a = IPv6Address(bytes: bytes) else { return nil }
                    return (.v6(a), UInt16(bigEndian: p.pointee.sin6_port))
                }
            default:
                return nil
            }
        }
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
