#if canImport(Glibc)
import Glibc
#endif

/// A capture file's bytes as the readers see them: addressed by file offset, either all in
/// memory, or read from a file descriptor as the readers ask for them and forgotten once
/// the reader has moved past them, so reading a file takes memory for one record, not the file.
/// One reader uses a window at a time (a reader is a mutating iterator); a copy of a reader
/// shares its window, to read ahead without releasing (`PcapngReader.firstLinkType`).
final class ByteWindow: @unchecked Sendable {
    private var buffer: [UInt8]
    /// The file offset of `buffer[0]`.
    private var base = 0
    private let fd: Int32
    private var atEnd: Bool
    /// The system's error that stopped reading early, if any.
    private(set) var readError: Int32?

    init(bytes: [UInt8]) {
        buffer = bytes
        fd = -1
        atEnd = true
    }

    /// Takes ownership of `fd`.
    init(fd: Int32) {
        buffer = []
        self.fd = fd
        atEnd = false
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Whether packet data must be copied out (the buffer is reused) or may be sliced.
    var streaming: Bool { fd >= 0 }

    /// The offset just past the last byte read so far.
    var count: Int { base &+ buffer.count }

    /// Reads until `end` bytes of the file are known, or the file ends.
    func fill(_ end: Int) {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while count < end, !atEnd {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.append(contentsOf: chunk[..<n])
            } else if n == 0 {
                atEnd = true
            } else if errno != EINTR {
                readError = errno
                atEnd = true
            }
        }
    }

    /// The reader will not look before `offset` again.
    func release(before offset: Int) {
        guard streaming else { return }
        let k = offset &- base
        // Compact only when a good part of the buffer is spent, so each byte moves O(1) times.
        guard k > 0, k <= buffer.count, k >= 1 << 16, k * 2 >= buffer.count else { return }
        buffer.removeFirst(k)
        base = offset
    }

    subscript(i: Int) -> UInt8 { buffer[i &- base] }

    subscript(r: Range<Int>) -> ArraySlice<UInt8> { buffer[(r.lowerBound &- base)..<(r.upperBound &- base)] }

    /// A packet's bytes: a slice of the file in memory, a copy of a streamed one.
    func data(_ r: Range<Int>) -> ArraySlice<UInt8> { streaming ? ArraySlice(Array(self[r])) : self[r] }

    func prefix(_ n: Int) -> [UInt8] { Array(buffer.prefix(n)) }

    func readU16(_ i: Int, bigEndian: Bool) -> UInt16 { buffer.readU16(i &- base, bigEndian: bigEndian) }
    func readU32(_ i: Int, bigEndian: Bool) -> UInt32 { buffer.readU32(i &- base, bigEndian: bigEndian) }
    func readU64(_ i: Int, bigEndian: Bool) -> UInt64 { buffer.readU64(i &- base, bigEndian: bigEndian) }
}
