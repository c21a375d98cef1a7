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

    /// Whether `path` can be written later, checked before any work that would be lost: an
    /// existing regular file we may write, or a new name in a directory we may write.
    /// `what` names the file in the sentence ("the evidence file").
    public static func checkWritable(_ path: String, what: String) throws(Failure) {
        func fail(_ reason: String) -> Failure { Failure(description: "cannot write \(what) \(path): \(reason)") }
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFREG else { throw fail("it exists and is not a regular file") }
            guard access(path, W_OK) == 0 else { throw fail(String(cString: strerror(errno))) }
            return
        }
        guard !path.isEmpty, !path.hasSuffix("/") else { throw fail("it names a directory, not a file") }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        guard stat(directory, &info) == 0 else { throw fail("there is no directory \(directory)") }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw fail("\(directory) is not a directory") }
        guard access(directory, W_OK | X_OK) == 0 else { throw fail(String(cString: strerror(errno))) }
    }
}
