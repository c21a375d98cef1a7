#if canImport(Glibc)
import Glibc
#endif
import JSONSupport
import Synchronization

/// JSON Lines, one object per request, appended with one write(2) each so lines from
/// concurrent connections never interleave.
public final class RequestLog: Sendable {
    private let fd: Mutex<Int32>

    /// No file: records are dropped.
    public static let disabled = RequestLog(fd: -1)

    private init(fd: Int32) { self.fd = Mutex(fd) }

    public convenience init(path: String) throws(ServiceError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ServiceError("cannot open the log file \(path): \(errnoText()).") }
        self.init(fd: fd)
    }

    deinit { fd.withLock { if $0 >= 0 { close($0) } } }

    /// Writes `time`, `service`, the client and local ends, then `fields`.
    func record(_ service: String, client: Endpoint?, local: Endpoint?, _ fields: [(String, JSONValue)]) {
        var all: [(key: String, value: JSONValue)] = [
            ("time", .string(RequestLog.timestamp())),
            ("service", .string(service)),
            ("client", client.map { .string($0.address.description) } ?? .null),
            ("client_port", client.map { .int(Int64($0.port)) } ?? .null),
            ("local", local.map { .string($0.address.description) } ?? .null),
            ("local_port", local.map { .int(Int64($0.port)) } ?? .null),
        ]
        all += fields.map { (key: $0.0, value: $0.1) }
        let line = Array((JSONValue.object(all).serialized() + "\n").utf8)
        fd.withLock { fd in
            guard fd >= 0 else { return }
            _ = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        }
    }

    /// UTC, RFC 3339 with milliseconds.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + "\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }
}
