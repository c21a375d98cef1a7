#if canImport(Glibc)
import Glibc
#endif
import CTLSShim

enum ReadResult {
    case data([UInt8])
    case closed
    case timedOut
    case failed
}

/// One accepted stream connection, plain or (after `startTLS`) TLS. Used by one thread only.
final class Connection {
    let fd: Int32
    let peer: Endpoint?
    let local: Endpoint?
    private(set) var tls: OpaquePointer?

    init(fd: Int32) {
        self.fd = fd
        peer = Endpoint.of(fd, peer: true)
        local = Endpoint.of(fd, peer: false)
    }

    /// Runs the server handshake. On failure returns the error text and the SNI asked for.
    func startTLS(_ server: TLSServer, timeoutMs: Int32) -> (ok: Bool, sni: String?, error: String?) {
        var sni = [CChar](repeating: 0, count: 256)
        var error = [CChar](repeating: 0, count: 256)
        let conn = cs_tls_accept(server.handle, fd, timeoutMs, &sni, sni.count, &error, error.count)
        let name = sni[0] == 0 ? nil : String(decoding: sni.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let conn else {
            return (false, name, String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        tls = conn
        return (true, name, nil)
    }

    var tlsVersion: String? { tls.map { String(cString: cs_tls_version($0)) } }

    /// Up to `max` bytes, waiting at most `timeoutMs` for the first of them.
    func read(max: Int, timeoutMs: Int32) -> ReadResult {
        if let tls, cs_tls_pending(tls) > 0 {
            return tlsRead(tls, max)
        }
        guard waitReadable(fd, timeoutMs: timeoutMs) else { return .timedOut }
        if let tls { return tlsRead(tls, max) }
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
            if n > 0 { return .data(Array(buffer[..<n])) }
            if n == 0 { return .closed }
            if errno == EINTR { continue }
            return errno == EAGAIN ? .timedOut : .failed
        }
    }

    private func tlsRead(_ tls: OpaquePointer, _ max: Int) -> ReadResult {
        var buffer = [UInt8](repeating: 0, count: max)
        let n = buffer.withUnsafeMutableBytes { cs_tls_read(tls, $0.baseAddress, Int32(clamping: max)) }
        if n > 0 { return .data(Array(buffer[..<Int(n)])) }
        return n == 0 ? .closed : .failed
    }

    /// Writes everything; false when the peer is gone or stalls past the socket's send timeout.
    func write(_ bytes: some Collection<UInt8>) -> Bool {
        let array = Array(bytes)
        return array.withUnsafeBytes { write($0) }
    }

    func write(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard raw.count > 0, let base = raw.baseAddress else { return true }
        if let tls { return cs_tls_write(tls, base, Int32(clamping: raw.count)) == raw.count }
        var offset = 0
        while offset < raw.count {
            let n = send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            return false
        }
        return true
    }

    /// Ends the connection with a FIN, not an RST: a reset from the server would look like
    /// censorship to the probes. Unread input is drained briefly first for that reason.
    func close() {
        if let tls {
            cs_tls_conn_free(tls)
            self.tls = nil
        }
        shutdown(fd, Int32(SHUT_WR))
        let deadline = monotonicMs() + 1000
        var drained = 0
        var scratch = [UInt8](repeating: 0, count: 4096)
        while drained < 1 << 20 {
            let left = deadline - monotonicMs()
            guard left > 0, waitReadable(fd, timeoutMs: Int32(left)) else { break }
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            drained += n
        }
        Glibc.close(fd)
    }
}
