#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Packets
import SystemSupport

/// The container format of a capture file.
public enum CaptureFileFormat: Hashable, Sendable, CustomStringConvertible {
    /// Classic libpcap format, with micro- or nanosecond timestamps.
    case pcap(nanosecond: Bool)
    case pcapng

    public var description: String {
        switch self {
        case .pcap(let ns): return ns ? "pcap (nanosecond)" : "pcap"
        case .pcapng: return "pcapng"
        }
    }
}

/// Reads pcap and pcapng files, telling them apart by their magic number.
///
/// The whole file is read into memory once; packets are slices of that buffer,
/// so `next()` copies nothing.
public struct CaptureFileReader: Sendable {
    /// The path, or the name given for an in-memory capture (used in errors).
    public let name: String
    public let format: CaptureFileFormat
    /// The link type of the first interface (nil for a pcapng file without one).
    public let linkType: LinkType?
    // Two optionals rather than an enum: `pcap!.next()` mutates in place, without copying out.
    private var pcap: PcapReader?
    private var pcapng: PcapngReader?
    private let window: ByteWindow

    /// Reads the file as a stream: memory for one record at a time, not the file.
    public init(path: String) throws(CaptureFileError) {
        let fd: Int32
        do { fd = try BoundedFile.open(path, what: "capture file") } catch { throw .refused("\(error)") }
        try self.init(window: ByteWindow(fd: fd), name: path)
    }

    public init(bytes: [UInt8], name: String = "<memory>") throws(CaptureFileError) {
        try self.init(window: ByteWindow(bytes: bytes), name: name)
    }

    private init(window: ByteWindow, name: String) throws(CaptureFileError) {
        self.name = name
        self.window = window
        window.fill(8)
        if let e = window.readError { throw .cannotOpen(path: name, reason: systemErrorMessage(e)) }
        guard window.count >= 4 else { throw .notACaptureFile(path: name, firstBytes: window.prefix(4)) }
        switch window.readU32(0, bigEndian: true) {
        case 0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1:
            let reader = try PcapReader(bytes: window, name: name)
            format = .pcap(nanosecond: reader.nanosecond)
            linkType = reader.linkType
            pcap = reader
        case PcapngReader.sectionHeaderType:
            let reader = try PcapngReader(bytes: window, name: name)
            format = .pcapng
            linkType = reader.firstLinkType()
            pcapng = reader
        default:
            throw .notACaptureFile(path: name, firstBytes: window.prefix(8))
        }
    }

    /// The next packet, or nil at the clean end of the file. A damaged or cut-off
    /// record throws only after every complete packet before it was returned.
    public mutating func next() throws(CaptureFileError) -> CapturedPacket? {
        do {
            if pcap != nil { return try pcap!.next() }
            return try pcapng!.next()
        } catch {
            // A file cut short by a read error says so, not "truncated".
            if case .truncated = error, let e = window.readError { throw .cannotOpen(path: name, reason: systemErrorMessage(e)) }
            throw error
        }
    }

    /// How many packets `next()` has returned so far.
    public var packetsRead: Int { pcap?.packetsRead ?? pcapng?.packetsRead ?? 0 }

    /// Every packet of a file, and the error that stopped reading early, if any.
    public static func readAll(path: String) -> (packets: [CapturedPacket], error: CaptureFileError?) {
        var packets: [CapturedPacket] = []
        do {
            var reader = try CaptureFileReader(path: path)
            while let packet = try reader.next() { packets.append(packet) }
            return (packets, nil)
        } catch {
            return (packets, error)
        }
    }

    /// Every packet of an in-memory capture, and the error that stopped reading early, if any.
    public static func readAll(bytes: [UInt8], name: String = "<memory>")
        -> (packets: [CapturedPacket], error: CaptureFileError?)
    {
        var packets: [CapturedPacket] = []
        do {
            var reader = try CaptureFileReader(bytes: bytes, name: name)
            while let packet = try reader.next() { packets.append(packet) }
            return (packets, nil)
        } catch {
            return (packets, error)
        }
    }
}

// MARK: - Byte access

extension Array where Element == UInt8 {
    // Callers check bounds first; subscripts still trap rather than read past the end.
    @inline(__always)
    func readU16(_ i: Int, bigEndian: Bool) -> UInt16 {
        let v = UInt16(self[i]) | UInt16(self[i &+ 1]) << 8
        return bigEndian ? v.byteSwapped : v
    }

    @inline(__always)
    func readU32(_ i: Int, bigEndian: Bool) -> UInt32 {
        let v = UInt32(self[i]) | UInt32(self[i &+ 1]) << 8 | UInt32(self[i &+ 2]) << 16 | UInt32(self[i &+ 3]) << 24
        return bigEndian ? v.byteSwapped : v
    }

    @inline(__always)
    func readU64(_ i: Int, bigEndian: Bool) -> UInt64 {
        let a = UInt64(readU32(i, bigEndian: bigEndian)), b = UInt64(readU32(i &+ 4, bigEndian: bigEndian))
        return bigEndian ? a << 32 | b : b << 32 | a
    }

    // Writers emit the host's (little-endian) order, as libpcap does.
    @inline(__always)
    mutating func appendLE16(_ v: UInt16) {
        append(UInt8(truncatingIfNeeded: v))
        append(UInt8(truncatingIfNeeded: v >> 8))
    }

    @inline(__always)
    mutating func appendLE32(_ v: UInt32) {
        appendLE16(UInt16(truncatingIfNeeded: v))
        appendLE16(UInt16(truncatingIfNeeded: v >> 16))
    }

    @inline(__always)
    mutating func appendLE64(_ v: UInt64) {
        appendLE32(UInt32(truncatingIfNeeded: v))
        appendLE32(UInt32(truncatingIfNeeded: v >> 32))
    }

    mutating func setLE32(_ v: UInt32, at i: Int) {
        for k in 0..<4 { self[i + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }
}

// MARK: - File I/O

func systemErrorMessage(_ code: Int32) -> String { String(cString: strerror(code)) }

/// A file written through a 64 KiB buffer; writers append to `buffer` directly.
struct OutputFile {
    let path: String
    private var fd: Int32
    var buffer: [UInt8] = []
    static let bufferSize = 1 << 16

    init(path: String) throws(CaptureFileError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .writeFailed(path: path, reason: systemErrorMessage(errno)) }
        buffer.reserveCapacity(OutputFile.bufferSize + 4096)
    }

    var isOpen: Bool { fd >= 0 }

    func checkOpen() throws(CaptureFileError) {
        guard fd >= 0 else { throw .writeFailed(path: path, reason: "the file was already closed") }
    }

    mutating func flushIfFull() throws(CaptureFileError) {
        if buffer.count >= OutputFile.bufferSize { try flush() }
    }

    mutating func flush() throws(CaptureFileError) {
        try checkOpen()
        var done = 0
        var failure: Int32 = 0
        buffer.withUnsafeBytes { raw in
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n >= 0 { done += n } else if errno != EINTR { failure = errno; return }
            }
        }
        buffer.removeAll(keepingCapacity: true)
        if failure != 0 { throw .writeFailed(path: path, reason: systemErrorMessage(failure)) }
    }

    /// Flushes and closes; a second call does nothing.
    mutating func close() throws(CaptureFileError) {
        guard fd >= 0 else { return }
        defer { fd = -1 }
        var failure: CaptureFileError?
        do { try flush() } catch { failure = error }
        if closeFile(fd) != 0, failure == nil {
            failure = .writeFailed(path: path, reason: systemErrorMessage(errno))
        }
        if let failure { throw failure }
    }
}

// `close` inside OutputFile would name the method, not the system call.
private func closeFile(_ fd: Int32) -> Int32 { close(fd) }
