#if canImport(Glibc)
import Glibc
#endif
import CLabNet
import Synchronization
import SystemSupport

/// Set once to stop every loop; loops look at it at least twice a second.
final class StopFlag: Sendable {
    private let stopped = Atomic<Bool>(false)
    var isSet: Bool { stopped.load(ordering: .acquiring) }
    func set() { stopped.store(true, ordering: .releasing) }
}

/// Caps concurrent connections across all TCP services: a flood of connections costs at most
/// this many threads; past it new connections are closed at once.
final class ConnectionLimiter: Sendable {
    let limit: Int
    private let count = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    func acquire() -> Bool {
        if count.add(1, ordering: .relaxed).newValue <= limit { return true }
        count.subtract(1, ordering: .relaxed)
        return false
    }

    func release() { count.subtract(1, ordering: .relaxed) }

    var active: Int { count.load(ordering: .relaxed) }
}

enum Loops {
    /// Accepts connections until stopped; each runs `handle` on a thread of its own and is
    /// closed (gracefully) when it returns.
    static func accept(_ socket: BoundSocket, limiter: ConnectionLimiter, stop: StopFlag,
                       idleSeconds: Int, handle: @escaping @Sendable (Connection) -> Void) {
        while !stop.isSet {
            guard waitReadable(socket.fd, timeoutMs: 500) else { continue }
            let fd = cs_accept(socket.fd)
            if fd < 0 {
                // Out of descriptors or memory: back off instead of spinning.
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(errno) { usleep(100_000) }
                continue
            }
            guard limiter.acquire() else {
                Glibc.close(fd)
                continue
            }
            setSocketTimeouts(fd, seconds: idleSeconds)
            do {
                try startThread(named: "lab client", stackSize: ThreadStack.small) {
                    let connection = Connection(fd: fd)
                    handle(connection)
                    connection.close()
                    limiter.release()
                }
            } catch {
                Glibc.close(fd)
                limiter.release()
            }
        }
        Glibc.close(socket.fd)
    }

    /// Receives datagrams until stopped; `handle` returns the reply to send, if any, which
    /// leaves from the address the datagram was sent to.
    static func datagrams(_ socket: BoundSocket, stop: StopFlag,
                          handle: (_ datagram: [UInt8], _ peer: Endpoint, _ local: Endpoint) -> [UInt8]?) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var peer = sockaddr_storage(), local = sockaddr_storage()
        var ifindex: Int32 = 0, truncated: Int32 = 0
        while !stop.isSet {
            guard waitReadable(socket.fd, timeoutMs: 500) else { continue }
            let n = buffer.withUnsafeMutableBytes {
                cs_udp_recv(socket.fd, $0.baseAddress, $0.count, &peer, &local, &ifindex, &truncated)
            }
            guard n >= 0, truncated == 0, let from = Endpoint(peer) else { continue }
            var to = Endpoint(local) ?? socket.endpoint
            to.port = socket.endpoint.port
            guard let reply = handle(Array(buffer[..<n]), from, to) else { continue }
            _ = reply.withUnsafeBytes { cs_udp_send(socket.fd, $0.baseAddress, $0.count, &peer, &local, ifindex) }
        }
        Glibc.close(socket.fd)
    }
}
