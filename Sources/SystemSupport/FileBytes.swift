#if canImport(Glibc)
import Glibc
#endif

/// Whole files in and out, for the files a user names on the command line; every failure
/// is one sentence naming the file.
public enum FileBytes {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The whole file, or standard input for `-`, within the records limit (BoundedFile).
    public static func read(_ path: String) throws(Failure) -> [UInt8] {
        do { return try BoundedFile.read(path, limit: BoundedFile.Limit.records, what: "input file", allowStandardInput: true) } catch {
            throw Failure(description: "\(error)")
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
