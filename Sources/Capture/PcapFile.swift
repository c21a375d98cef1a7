import Packets

// Classic libpcap format (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html):
// a 24-byte file header, then records of a 16-byte header and the captured bytes.

/// Reads classic pcap records, one at a time.
struct PcapReader: Sendable {
    let bytes: ByteWindow
    let name: String
    let bigEndian: Bool
    let nanosecond: Bool
    let linkType: LinkType
    /// The largest record accepted: hostile lengths fail here, not in the allocator.
    let maxRecordLength: Int
    private(set) var offset = 24
    private(set) var packetsRead = 0
    private var failure: CaptureFileError?

    static let headerLength = 24
    static let recordHeaderLength = 16

    init(bytes: ByteWindow, name: String) throws(CaptureFileError) {
        bytes.fill(PcapReader.headerLength)
        guard bytes.count >= 4 else { throw .notACaptureFile(path: name, firstBytes: bytes.prefix(4)) }
        switch bytes.readU32(0, bigEndian: false) {
        case 0xA1B2_C3D4: (bigEndian, nanosecond) = (false, false)
        case 0xA1B2_3C4D: (bigEndian, nanosecond) = (false, true)
        case 0xD4C3_B2A1: (bigEndian, nanosecond) = (true, false)
        case 0x4D3C_B2A1: (bigEndian, nanosecond) = (true, true)
        default: throw .notACaptureFile(path: name, firstBytes: Array(bytes.prefix(8)))
        }
        guard bytes.count >= PcapReader.headerLength else { throw .truncated(path: name, offset: 0, packetsRead: 0) }
        let major = bytes.readU16(4, bigEndian: bigEndian), minor = bytes.readU16(6, bigEndian: bigEndian)
        // libpcap reads any 2.x; 2.4 has been current since 1998.
        guard major == 2 else {
            throw .unsupportedVersion(path: name, format: "pcap", major: Int(major), minor: Int(minor))
        }
        let snaplen = bytes.readU32(16, bigEndian: bigEndian)
        // The upper bits hold the FCS length and flags, not the link type.
        linkType = LinkType(rawValue: bytes.readU32(20, bigEndian: bigEndian) & 0xFFFF)
        maxRecordLength = max(0x40000, Int(min(snaplen, 0x1000_0000)))
        self.bytes = bytes
        self.name = name
    }

    mutating func next() throws(CaptureFileError) -> CapturedPacket? {
        if let failure { throw failure }
        let start = offset
        bytes.release(before: start)
        bytes.fill(start &+ PcapReader.recordHeaderLength)
        let remaining = bytes.count &- start
        if remaining == 0 { return nil }
        guard remaining >= PcapReader.recordHeaderLength else {
            throw fail(.truncated(path: name, offset: start, packetsRead: packetsRead))
        }
        let captured = Int(bytes.readU32(start &+ 8, bigEndian: bigEndian))
        guard captured <= maxRecordLength else {
            throw fail(.malformedBlock(path: name, offset: start, reason:
                "packet \(packetsRead + 1) claims \(captured) captured bytes, more than the \(maxRecordLength) this file allows"))
        }
        let dataStart = start &+ PcapReader.recordHeaderLength
        bytes.fill(dataStart &+ captured)
        guard captured <= bytes.count &- dataStart else {
            throw fail(.truncated(path: name, offset: start, packetsRead: packetsRead))
        }
        let seconds = bytes.readU32(start, bigEndian: bigEndian)
        let fraction = bytes.readU32(start &+ 4, bigEndian: bigEndian)
        let original = bytes.readU32(start &+ 12, bigEndian: bigEndian)
        // 64-bit so an out-of-range microsecond field carries into seconds instead of wrapping.
        let nanos = nanosecond ? UInt64(fraction) : UInt64(fraction) &* 1000
        let timestamp = nanos < 1_000_000_000
            ? CaptureTimestamp(seconds: Int64(seconds), nanoseconds: UInt32(nanos))
            : CaptureTimestamp(seconds: Int64(seconds) + Int64(nanos / 1_000_000_000),
                               nanoseconds: UInt32(nanos % 1_000_000_000))
        offset = dataStart &+ captured
        packetsRead &+= 1
        return CapturedPacket(timestamp: timestamp, linkType: linkType, data: bytes.data(dataStart..<offset),
                              originalLength: Int(original))
    }

    /// Remembers the error so later calls repeat it instead of reading past the damage.
    private mutating func fail(_ error: CaptureFileError) -> CaptureFileError {
        failure = error
        return error
    }
}

/// Writes a classic pcap file (host byte order, version 2.4), streaming through a buffer.
public final class PcapWriter {
    public let path: String
    public let linkType: LinkType
    /// Nanosecond timestamps (magic 0xa1b23c4d) or microseconds (0xa1b2c3d4).
    public let nanosecond: Bool
    /// Packets longer than this are cut to it; the original length is kept.
    public let snaplen: Int
    public private(set) var packetsWritten = 0
    private var out: OutputFile

    public init(path: String, linkType: LinkType, nanosecond: Bool = true, snaplen: Int = 262_144)
        throws(CaptureFileError)
    {
        self.path = path
        self.linkType = linkType
        self.nanosecond = nanosecond
        self.snaplen = min(max(snaplen, 1), Int(UInt32.max))
        out = try OutputFile(path: path)
        out.buffer.appendLE32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        out.buffer.appendLE16(2)
        out.buffer.appendLE16(4)
        out.buffer.appendLE32(0)  // thiszone: timestamps are UTC
        out.buffer.appendLE32(0)  // sigfigs
        out.buffer.appendLE32(UInt32(self.snaplen))
        out.buffer.appendLE32(linkType.rawValue)
    }

    deinit { try? out.close() }

    /// Writes a packet; its link type must be the file's.
    public func write(_ packet: CapturedPacket) throws(CaptureFileError) {
        guard packet.linkType == linkType else {
            throw .writeFailed(path: path, reason:
                "a \(packet.linkType) packet cannot go into a pcap file of link type \(linkType)")
        }
        try write(data: packet.data, timestamp: packet.timestamp, originalLength: packet.originalLength)
    }

    /// Writes one record; `originalLength` defaults to the data's length.
    public func write(data: ArraySlice<UInt8>, timestamp: CaptureTimestamp, originalLength: Int? = nil)
        throws(CaptureFileError)
    {
        try out.checkOpen()
        let captured = min(data.count, snaplen)
        let original = max(originalLength ?? data.count, captured)
        let fraction = nanosecond ? timestamp.nanoseconds : timestamp.nanoseconds / 1000
        out.buffer.appendLE32(UInt32(truncatingIfNeeded: timestamp.seconds))
        out.buffer.appendLE32(fraction)
        out.buffer.appendLE32(UInt32(captured))
        out.buffer.appendLE32(UInt32(clamping: original))
        out.buffer.append(contentsOf: data.prefix(captured))
        packetsWritten += 1
        try out.flushIfFull()
    }

    public func write(data: [UInt8], timestamp: CaptureTimestamp, originalLength: Int? = nil)
        throws(CaptureFileError)
    {
        try write(data: data[...], timestamp: timestamp, originalLength: originalLength)
    }

    /// Pushes buffered records to the file (the file stays open).
    public func flush() throws(CaptureFileError) { try out.flush() }

    /// Flushes and closes the file. Later writes throw; a second close does nothing.
    public func close() throws(CaptureFileError) { try out.close() }
}
