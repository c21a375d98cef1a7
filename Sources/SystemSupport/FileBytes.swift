#if canImport(Glibc)
import Glibc
#endif

/// Whole files in and out, for the files a user names on the command line; every failure
/// is one sentence naming the file.
public enum FileBytes {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The whole file, or standard input for `-`.
    public static func read(_ path: String) throws(Failure) -> [UInt8] {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno))).") }
        defer { if fd != 0 { _ = close(fd) } }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { throw Failure(description: "\(path) is a directory, not a file.") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes.append(contentsOf: chunk[..<n])
            } else if n == 0 {
                return bytes
            } else if errno != EINTR {
                throw Failure(description: "cannot read \(path == "-" ? "standard input" : path): \(String(cString: strerror(errno))).")
            }
        }
    }

    /// Writes `bytes` to `path`, created or truncated.
    public static func write(_ path: String, _ bytes: [UInt8]) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        var done = 0
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n >= 0 { done += n } else if errno != EINTR { failure = errno; return }
            }
        }
        if close(fd) != 0, failure == 0 { failure = errno }
        if failure != 0 { throw Failure(description: "cannot write \(path): \(String(cString: strerror(failure)))") }
    }
}
