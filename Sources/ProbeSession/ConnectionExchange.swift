import CTLSShim
import Capture
import Packets
import Probing
#if canImport(Glibc)
import Glibc
#endif

/// One connection at full TTL that sends a request and reads what comes back, bounded in
/// bytes and time: the page a device serves in the host's name, a control request before
/// and after a test (residual blocking), a bulk transfer (goodput). The kernel makes the
/// connection (see `KernelConnection`); a TLS session, when asked for, is OpenSSL's over
/// it. What the measurement judges is read from the connection's capture (opened before
/// the SYN, filtered like a payload trace's), so a recorded exchange is judged exactly like
/// a live one; the bytes read here are only counted and discarded.
public enum ConnectionExchange {
    public enum Request: Hashable, Sendable {
        /// The handshake only: whether a connection can be made at all.
        case connectOnly
        /// Bytes sent as they are (an HTTP request, a ClientHello).
        case bytes([UInt8])
        /// A TLS session (no certificate check; `serverName` nil sends no SNI), then
        /// `request` inside it.
        case tls(serverName: String?, request: [UInt8])
    }

    public struct Configuration: Sendable {
        public var target: IPAddress
        public var port: UInt16
        public var request: Request
        /// Stop reading once this many bytes came (TLS: decrypted bytes).
        public var maxBytes: Int = 65_536
        /// Stop reading this long after the request left.
        public var maxTime: Duration = .seconds(2)
        /// For the TCP handshake, and again for a TLS handshake.
        public var connectTimeout: Duration = .seconds(3)
        /// Bytes kept of each packet: headers and the first bytes are what is judged.
        public var snapLength: Int32 = 65_535
        public var interface = "any"
        /// If set, every captured packet goes to this pcapng, commented with `label`.
        public var pcapPath: String?
        public var label = "exchange"
        /// When set, the connection waits for two slots (its SYN and its request).
        public var sharedPacer: SharedPacer?

        public init(target: IPAddress, port: UInt16, request: Request) {
            self.target = target
            self.port = port
            self.request = request
        }
    }

    public struct Result: Sendable {
        /// The connection from our side; nil when no socket could be made for it.
        public var flow: PayloadFlow?
        public var packets: [CapturedPacket]
        /// The socket's own view (secondary evidence): why the connection failed, or how it ended.
        public var note: String?
        /// Bytes read by the application (TLS: after decryption).
        public var bytesRead: Int

        public init(flow: PayloadFlow?, packets: [CapturedPacket], note: String?, bytesRead: Int) {
            self.flow = flow
            self.packets = packets
            self.note = note
            self.bytesRead = bytesRead
        }
    }

    /// Makes the connection, sends the request, reads, closes with a RST, and returns every
    /// packet captured on it.
    public static func run(_ c: Configuration) throws(PayloadTrace.Failure) -> Result {
        if let pacer = c.sharedPacer {
            let wait = max(pacer.reserve(), pacer.reserve())
            if wait > 0 { RunClock.sleep(min(wait, 3600)) }
        }
        let socket: KernelConnection
        do { socket = try KernelConnection(remote: c.target, port: c.port) } catch {
            return Result(flow: nil, packets: [], note: error.description, bytesRead: 0)
        }
        let flow = PayloadFlow(local: socket.local, localPort: socket.localPort, remote: c.target, remotePort: c.port)
        var settings = LiveCaptureConfiguration(interface: c.interface, filter: PayloadTrace.filter(flow))
        settings.snapLength = c.snapLength
        // Read only after the transfer: the ring holds it meanwhile (room for every packet's first bytes).
        settings.bufferSize = Int32(clamping: min(32 << 20, max(2 << 20, c.maxBytes / 1000 * (Int(c.snapLength) + 64))))
        let capture: LiveCapture
        do { capture = try LiveCapture(settings) } catch { throw .capture(error) }
        defer { capture.close() }

        var note: String?
        var read = 0
        do {
            try socket.connect(timeout: c.connectTimeout)
            read = try exchange(socket, c, note: &note)
        } catch {
            note = error.description
        }
        socket.abort()
        var packets: [CapturedPacket] = []
        drain(capture, into: &packets)
        if let path = c.pcapPath { try write(packets, to: path, label: c.label, interface: c.interface) }
        return Result(flow: flow, packets: packets, note: note, bytesRead: read)
    }

    /// Sends the request and reads until the peer closes, `maxBytes` came or `maxTime` passed.
    private static func exchange(_ socket: KernelConnection, _ c: Configuration, note: inout String?) throws(KernelConnectionError) -> Int {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var read = 0
        switch c.request {
        case .connectOnly:
            return 0
        case .bytes(let bytes):
            try socket.send(bytes)
            let deadline = ContinuousClock.now.advanced(by: c.maxTime)
            while read < c.maxBytes {
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero else { note = "stopped after \(seconds(c.maxTime)) s"; break }
                switch socket.receive(into: &buffer) {
                case .bytes(let n): read += n
                case .closed: note = "closed by the peer (FIN)"; return read
                case .wouldBlock: _ = socket.wait(for: Int16(POLLIN), timeout: left)
                case .failed(let why): note = why; return read
                }
            }
        case .tls(let name, let request):
            var error = [CChar](repeating: 0, count: 256)
            let timeout = Int32(clamping: KernelConnection.milliseconds(c.connectTimeout))
            let made: OpaquePointer? = name.withOptionalCString { cs_tls_connect(socket.descriptor, $0, timeout, &error, error.count) }
            guard let session = made else {
                note = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                return 0
            }
            defer { cs_tls_conn_free(session) }
            let sent = request.withUnsafeBytes { cs_tls_send(session, $0.baseAddress, Int32(clamping: $0.count), timeout) }
            guard sent == request.count else { note = "sending the request inside TLS failed"; return 0 }
            let deadline = ContinuousClock.now.advanced(by: c.maxTime)
            while read < c.maxBytes {
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero else { note = "stopped after \(seconds(c.maxTime)) s"; break }
                var events: Int16 = 0
                let n = buffer.withUnsafeMutableBytes { cs_tls_read_some(session, $0.baseAddress, Int32($0.count), &events) }
                if n > 0 { read += n; continue }
                if n == 0 { note = "closed by the peer (TLS close_notify)"; return read }
                if n == -2 { _ = socket.wait(for: events, timeout: left); continue }
                note = socket.state() ?? "the TLS session failed"
                return read
            }
        }
        if read >= c.maxBytes { note = "stopped after \(read) bytes" }
        return read
    }

    /// Every packet the ring holds, until it stays quiet for 10 ms (at most 3 s): our RST,
    /// sent before, is in it already.
    private static func drain(_ capture: LiveCapture, into packets: inout [CapturedPacket]) {
        let end = ContinuousClock.now.advanced(by: .seconds(3))
        while ContinuousClock.now < end, let p = try? capture.next(timeout: .milliseconds(10)) {
            packets.append(p)
        }
    }

    private static func write(_ packets: [CapturedPacket], to path: String, label: String, interface: String) throws(PayloadTrace.Failure) {
        do {
            let writer = try PcapngWriter(path: path)
            var interfaces: [LinkType: Int] = [:]
            for p in packets {
                let index: Int
                if let i = interfaces[p.linkType] { index = i } else {
                    index = try writer.addInterface(linkType: p.linkType, name: interface)
                    interfaces[p.linkType] = index
                }
                try writer.write(data: p.data, timestamp: p.timestamp, originalLength: p.originalLength, interface: index, comment: label)
            }
            try writer.close()
        } catch { throw .pcap(error) }
    }

    private static func seconds(_ d: Duration) -> String {
        let s = KernelConnection.seconds(d)
        return s == s.rounded() ? String(Int(s)) : String(s)
    }
}

extension Optional where Wrapped == String {
    fileprivate func withOptionalCString<R>(_ body: (UnsafePointer<CChar>?) -> R) -> R {
        switch self {
        case .some(let s): return s.withCString { body($0) }
        case .none: return body(nil)
        }
    }
}
