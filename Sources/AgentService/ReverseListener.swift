import Measurement
import Foundation
import Packets
import ProbeSession
import Synchronization
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP listener on our port for the agent's reverse connection: it accepts and
/// reads, so the handshake completes and the payload has somewhere to go. What it saw
/// (a reset, say, when a device resets both ends) is secondary evidence.
final class ReverseListener: Sendable {
    /// What arrived on the port while listening.
    struct Seen: Sendable {
        var accepted = 0
        var bytes = 0
        var reset = false
    }

    let port: UInt16
    private let fd: Int32
    private let state = Mutex((seen: Seen(), stopping: false))
    private let finished = DispatchSemaphore(value: 0)

    /// Listens on `port` of every address of `family`'s; nil when something already
    /// listens there (it will take the connection instead).
    init?(port: UInt16, ipv6: Bool) throws {
        self.port = port
        fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MeasurementError("cannot open a socket to listen on port \(port): \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let any: IPAddress = ipv6 ? .v6(IPv6Address(high: 0, low: 0)) : .v4(IPv4Address(0))
        let socketFD = fd
        let bound = KernelConnection.withSockaddr(any, port) { bind(socketFD, $0, $1) } == 0 && listen(fd, 8) == 0
        if !bound {
            let code = errno
            close(fd)
            if code == EADDRINUSE { return nil }
            throw MeasurementError("cannot listen on port \(port) for the agent's connection: \(String(cString: strerror(code)))")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        do {
            try startThread(named: "reverse-listen") { [self] in
                serve()
                finished.signal()
            }
        } catch {
            close(fd)
            throw MeasurementError(error.description)
        }
    }

    /// Stops listening and says what was seen.
    func stop() -> Seen {
        state.withLock { $0.stopping = true }
        finished.wait()
        close(fd)
        return state.withLock { $0.seen }
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    private func serve() {
        while !isStopping {
            guard readable(fd, milliseconds: 100) else { continue }
            let connection = accept(fd, nil, nil)
            guard connection >= 0 else { continue }
            state.withLock { $0.seen.accepted += 1 }
            read(connection)
            close(connection)
        }
    }

    /// Reads until the peer closes or resets, or we stop.
    private func read(_ connection: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !isStopping {
            guard readable(connection, milliseconds: 100) else { continue }
            let n = recv(connection, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 { state.withLock { $0.seen.bytes += n }; continue }
            if n < 0, errno == EAGAIN || errno == EINTR { continue }
            if n < 0, errno == ECONNRESET { state.withLock { $0.seen.reset = true } }
            return
        }
    }

    private func readable(_ fd: Int32, milliseconds: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, milliseconds) > 0
    }
}
