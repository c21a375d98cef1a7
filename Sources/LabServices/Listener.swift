#if canImport(Glibc)
import Glibc
#endif
import CLabNet

public enum Transport: String, Sendable {
    case tcp, udp
}

/// A failure to start a service, worded for the person running `serve`.
public struct ServiceError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A bound socket: listening (TCP) or ready to receive (UDP).
struct BoundSocket: Sendable {
    let fd: Int32
    let endpoint: Endpoint
    let transport: Transport

    /// Binds `endpoint`. An address still in IPv6 duplicate address detection cannot be bound
    /// for a second or two after `ip addr add`, so EADDRNOTAVAIL is retried for a while.
    static func bind(_ endpoint: Endpoint, _ transport: Transport) throws(ServiceError) -> BoundSocket {
        let type = transport == .tcp ? SOCK_STREAM : SOCK_DGRAM
        let fd = socket(endpoint.family, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ServiceError("cannot open a \(transport) socket for \(endpoint.address): \(errnoText()).") }
        var on: Int32 = 1
        if transport == .tcp {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            // The agent on a server node opens connections *from* this port (the story's
            // reverse probe from port 80); Linux lets it bind beside a listener only when
            // both set SO_REUSEPORT. Its socket connects and never listens, so incoming
            // connections still all come here.
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        if endpoint.family == AF_INET6 {
            // One socket per family: "::" must not also take the IPv4 port.
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        var storage = endpoint.storage
        var attempts = 0
        while true {
            let r = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, endpoint.storageLength) }
            }
            if r == 0 { break }
            let e = errno
            if e == EADDRNOTAVAIL && attempts < 30 {
                attempts += 1
                usleep(100_000)
                continue
            }
            close(fd)
            let hint = e == EADDRNOTAVAIL ? " (is this address configured on this node?)" : ""
            throw ServiceError("cannot listen on \(endpoint.address) port \(endpoint.port)/\(transport): \(errnoText(e))\(hint).")
        }
        // Non-blocking, so a connection or datagram that vanishes between poll() and
        // accept()/recvmsg() cannot stall the loop (accepted sockets stay blocking).
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if transport == .tcp {
            guard listen(fd, 128) == 0 else {
                let e = errno
                close(fd)
                throw ServiceError("cannot listen on \(endpoint.address) port \(endpoint.port)/tcp: \(errnoText(e)).")
            }
        } else {
            cs_udp_enable_pktinfo(fd, endpoint.family)
        }
        return BoundSocket(fd: fd, endpoint: endpoint, transport: transport)
    }
}

/// Waits until `fd` is readable, at most `timeoutMs` (−1: forever). False on timeout or error.
func waitReadable(_ fd: Int32, timeoutMs: Int32) -> Bool {
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    while true {
        let r = poll(&p, 1, timeoutMs)
        if r < 0 && errno == EINTR { continue }
        return r > 0
    }
}

/// Per-call timeouts on a blocking socket, as a backstop for reads and writes that stall.
func setSocketTimeouts(_ fd: Int32, seconds: Int) {
    var tv = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
}

/// Monotonic milliseconds, for deadlines.
func monotonicMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
