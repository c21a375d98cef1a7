#if canImport(Glibc)
import Glibc
#endif

/// Reading a file someone else may have made: devices and sockets are refused at once, a
/// regular file larger than the limit is refused before a byte is read, and a pipe is read
/// no further than the limit. Every refusal is one sentence naming the file.
public enum BoundedFile {
    /// What each kind of input may weigh (Docs/data-formats.md, "Size limits").
    public enum Limit {
        /// JSON records (`report`), traced paths (`routes compare`).
        public static let records = 512 << 20
        /// ASN databases (iptoasn, pfx2as: tens of MB today).
        public static let asnDatabase = 512 << 20
        /// Experiment scripts and target lists (65,536 addresses by default).
        public static let text = 64 << 20
        /// Censor policies, token files, the known-agents file.
        public static let small = 1 << 20
    }

    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// A descriptor for reading `path` as a stream (the caller closes it): a directory, a
    /// device or a socket is refused, and so is a regular file over `limit` bytes.
    public static func open(_ path: String, what: String, limit: Int = .max) throws(Refusal) -> Int32 {
        let label = "\(what) \(path)"
        // Non-blocking, so a FIFO without a writer cannot hang the open; reads then block.
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw Refusal(description: "cannot read the \(label): \(String(cString: strerror(errno))).") }
        var info = stat()
        let problem: String?
        if fstat(fd, &info) != 0 {
            problem = "cannot read the \(label): \(String(cString: strerror(errno)))."
        } else {
            switch info.st_mode & S_IFMT {
            case S_IFDIR: problem = "the \(label) is a directory, not a file."
            case S_IFCHR, S_IFBLK: problem = "the \(label) is a device, not a file."
            case S_IFSOCK: problem = "the \(label) is a socket, not a file."
            case S_IFREG where Int(info.st_size) > limit:
                problem = "the \(label) is \(info.st_size) bytes; the most a \(what) may be is \(limit) bytes."
            default: problem = nil
            }
        }
        if let problem {
            close(fd)
            throw Refusal(description: problem)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// The file's bytes (standard input for `-` when `allowStandardInput`), at most `limit`.
    /// `what` names the input in sentences ("the target list").
    public static func read(_ path: String, limit: Int, what: String, allowStandardInput: Bool = false) throws(Refusal) -> [UInt8] {
        let stdin = allowStandardInput && path == "-"
        let label = stdin ? "standard input" : "\(what) \(path)"
        let fd = stdin ? 0 : try open(path, what: what, limit: limit)
        defer { if !stdin { _ = close(fd) } }
        var info = stat()
        if stdin, fstat(fd, &info) == 0, [S_IFCHR, S_IFBLK].contains(info.st_mode & S_IFMT), isatty(fd) == 0 {
            throw Refusal(description: "standard input is a device, not a file.")
        }
        var bytes: [UInt8] = []
        if (info.st_mode & S_IFMT) == S_IFREG { bytes.reserveCapacity(Int(info.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                guard bytes.count + n <= limit else {
                    throw Refusal(description: "the \(label) holds more than \(limit) bytes, the most a \(what) may be.")
                }
                bytes.append(contentsOf: chunk[..<n])
            } else if n == 0 {
                return bytes
            } else if errno != EINTR {
                throw Refusal(description: "cannot read the \(label): \(String(cString: strerror(errno))).")
            }
        }
    }
}
