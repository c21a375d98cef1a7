import Packets

// pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html): a sequence of
// blocks "type, total length, body, total length", grouped in sections that each begin
// with a Section Header Block fixing the byte order and restarting interface numbering.

/// One Interface Description Block, as far as reading packets needs it.
struct PcapngInterface: Sendable {
    var linkType: LinkType
    var snaplen: UInt32
    var name: String?
    /// if_tsresol: 10^-exponent (decimal) or 2^-exponent seconds per unit.
    var binary = false
    var exponent: UInt8 = 6
    /// if_tsoffset, in seconds.
    var offsetSeconds: Int64 = 0

    /// Converts a packet block's 64-bit count of units to a timestamp.
    @inline(__always)
    func timestamp(_ units: UInt64) -> CaptureTimestamp {
        let e = UInt64(exponent)
        let seconds: UInt64, nanos: UInt64
        if binary {
            seconds = e == 0 ? units : units >> e
            let fraction = units & ((1 << e) &- 1)
            let product = fraction.multipliedFullWidth(by: 1_000_000_000)
            nanos = e == 0 ? 0 : product.high << (64 &- e) | product.low >> e
        } else {
            let perSecond = PcapngInterface.powersOf10[Int(exponent)]
            seconds = units / perSecond
            let fraction = units % perSecond
            nanos = exponent <= 9 ? fraction &* PcapngInterface.powersOf10[9 - Int(exponent)]
                                  : fraction / PcapngInterface.powersOf10[Int(exponent) - 9]
        }
        return CaptureTimestamp(seconds: Int64(truncatingIfNeeded: seconds) &+ offsetSeconds,
                                nanoseconds: UInt32(truncatingIfNeeded: nanos))
    }

    static let powersOf10: [UInt64] = (0...19).map { n in (0..<n).reduce(1) { p, _ in p * 10 } }
}

/// Reads pcapng blocks, one at a time.
struct PcapngReader: Sendable {
    static let sectionHeaderType: UInt32 = 0x0A0D_0D0A
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    /// Larger blocks are taken as damage rather than waited for (Wireshark's cap is smaller).
    static let maxBlockLength = 64 << 20

    let bytes: ByteWindow
    let name: String
    private(set) var bigEndian = false
    private(set) var interfaces: [PcapngInterface] = []
    private(set) var offset = 0
    private(set) var packetsRead = 0
    private var failure: CaptureFileError?

    /// Reads the first Section Header Block, so version problems surface here.
    init(bytes: ByteWindow, name: String) throws(CaptureFileError) {
        self.bytes = bytes
        self.name = name
        bytes.fill(12)
        guard bytes.count >= 4, bytes.readU32(0, bigEndian: false) == PcapngReader.sectionHeaderType else {
            throw .notACaptureFile(path: name, firstBytes: Array(bytes.prefix(8)))
        }
        _ = try readBlock()
    }

    /// The link type of the first interface, found by reading ahead on a copy.
    func firstLinkType() -> LinkType? {
        var copy = self
        while copy.interfaces.isEmpty, copy.hasMore() {
            do { if try copy.readBlock() != nil { break } } catch { return nil }
        }
        return copy.interfaces.first?.linkType
    }

    mutating func next() throws(CaptureFileError) -> CapturedPacket? {
        if let failure { throw failure }
        do {
            bytes.release(before: offset)
            while hasMore() {
                if let packet = try readBlock() { return packet }
            }
            return nil
        } catch {
            failure = error
            throw error
        }
    }

    /// Whether a byte follows `offset`.
    private func hasMore() -> Bool {
        bytes.fill(offset &+ 12)
        return offset < bytes.count
    }

    /// Reads the block at `offset` and moves past it; returns the packet it holds, if any.
    private mutating func readBlock() throws(CaptureFileError) -> CapturedPacket? {
        let start = offset
        bytes.fill(start &+ 12)
        var remaining = bytes.count &- start
        guard remaining >= 8 else { throw truncated(start) }
        let type = bytes.readU32(start, bigEndian: bigEndian)
        if type == PcapngReader.sectionHeaderType {
            // The byte-order magic decides how to read everything else, the length included.
            guard remaining >= 12 else { throw truncated(start) }
            switch bytes.readU32(start &+ 8, bigEndian: false) {
            case PcapngReader.byteOrderMagic: bigEndian = false
            case PcapngReader.byteOrderMagic.byteSwapped: bigEndian = true
            case let other:
                throw malformed(start, "the section header's byte-order magic is \(hex32(other)), not 0x1a2b3c4d")
            }
        }
        let length = Int(bytes.readU32(start &+ 4, bigEndian: bigEndian))
        guard length >= 12, length % 4 == 0 else {
            throw malformed(start, "a block claims a total length of \(length) bytes, "
                + "which is not a multiple of 4 of at least 12")
        }
        guard length <= PcapngReader.maxBlockLength else {
            throw malformed(start, "a block claims a total length of \(length) bytes, "
                + "more than the \(PcapngReader.maxBlockLength) any real block needs")
        }
        bytes.fill(start &+ length)
        remaining = bytes.count &- start
        guard length <= remaining else { throw truncated(start) }
        let trailer = Int(bytes.readU32(start &+ length &- 4, bigEndian: bigEndian))
        guard trailer == length else {
            throw malformed(start, "the block's total length is \(length) at its start but \(trailer) at its end")
        }
        let body = (start &+ 8)..<(start &+ length &- 4)
        offset = start &+ length

        switch type {
        case PcapngReader.sectionHeaderType: try readSectionHeader(body, at: start)
        case 1: try readInterface(body, at: start)
        case 6: return try readPacket(body, at: start, enhanced: true)
        case 2: return try readPacket(body, at: start, enhanced: false)
        case 3: return try readSimplePacket(body, at: start)
        default: break  // name resolution, statistics, secrets, custom and unknown blocks
        }
        return nil
    }

    private mutating func readSectionHeader(_ body: Range<Int>, at start: Int) throws(CaptureFileError) {
        guard body.count >= 16 else { throw malformed(start, "a section header block is too short (\(body.count + 12) bytes)") }
        let major = bytes.readU16(body.lowerBound &+ 4, bigEndian: bigEndian)
        let minor = bytes.readU16(body.lowerBound &+ 6, bigEndian: bigEndian)
        guard major == 1 else {
            throw .unsupportedVersion(path: name, format: "pcapng", major: Int(major), minor: Int(minor))
        }
        // The section length (often -1) is not needed: blocks are read one after another.
        interfaces.removeAll(keepingCapacity: true)
    }

    private mutating func readInterface(_ body: Range<Int>, at start: Int) throws(CaptureFileError) {
        guard body.count >= 8 else { throw malformed(start, "an interface description block is too short") }
        var interface = PcapngInterface(
            linkType: LinkType(rawValue: UInt32(bytes.readU16(body.lowerBound, bigEndian: bigEndian))),
            snaplen: bytes.readU32(body.lowerBound &+ 4, bigEndian: bigEndian))
        var problem: String?
        try forEachOption(in: (body.lowerBound + 8)..<body.upperBound, at: start) { code, value in
            switch code {
            case 2:
                interface.name = String(decoding: bytes[value], as: UTF8.self)
            case 9 where value.count >= 1:
                let resolution = bytes[value.lowerBound]
                interface.binary = resolution & 0x80 != 0
                interface.exponent = resolution & 0x7F
                if interface.binary ? interface.exponent > 63 : interface.exponent > 19 {
                    problem = "interface \(interfaces.count) has a timestamp resolution of "
                        + "\(interface.binary ? 2 : 10)^-\(interface.exponent) s, finer than 64 bits can count"
                }
            case 14 where value.count >= 8:
                interface.offsetSeconds = Int64(bitPattern: bytes.readU64(value.lowerBound, bigEndian: bigEndian))
            default: break
            }
        }
        if let problem { throw malformed(start, problem) }
        interfaces.append(interface)
    }

    /// An Enhanced Packet Block (type 6) or the obsolete Packet Block (type 2).
    private mutating func readPacket(_ body: Range<Int>, at start: Int, enhanced: Bool) throws(CaptureFileError)
        -> CapturedPacket?
    {
        let b = body.lowerBound
        guard body.count >= 20 else { throw malformed(start, "a packet block is too short (\(body.count + 12) bytes)") }
        let index = enhanced ? Int(bytes.readU32(b, bigEndian: bigEndian)) : Int(bytes.readU16(b, bigEndian: bigEndian))
        guard index < interfaces.count else {
            throw malformed(start, "packet \(packetsRead + 1) refers to interface \(index), but the section "
                + "describes \(interfaces.count == 1 ? "only 1 interface" : "\(interfaces.count) interfaces")")
        }
        let units = UInt64(bytes.readU32(b &+ 4, bigEndian: bigEndian)) << 32
            | UInt64(bytes.readU32(b &+ 8, bigEndian: bigEndian))
        let captured = Int(bytes.readU32(b &+ 12, bigEndian: bigEndian))
        let original = Int(bytes.readU32(b &+ 16, bigEndian: bigEndian))
        let dataStart = b &+ 20
        guard captured <= body.upperBound &- dataStart else {
            throw malformed(start, "packet \(packetsRead + 1) claims \(captured) captured bytes, "
                + "more than its block holds")
        }
        let dataEnd = dataStart &+ captured
        var comment: String?
        let optionsStart = dataStart &+ (captured &+ 3) & ~3
        if optionsStart < body.upperBound {
            try forEachOption(in: optionsStart..<body.upperBound, at: start) { code, value in
                guard code == 1 else { return }
                let text = String(decoding: bytes[value], as: UTF8.self)
                comment = comment.map { $0 + "\n" + text } ?? text
            }
        }
        let interface = interfaces[index]
        packetsRead &+= 1
        return CapturedPacket(timestamp: interface.timestamp(units), linkType: interface.linkType,
                              data: bytes.data(dataStart..<dataEnd), originalLength: original,
                              interfaceIndex: index, comment: comment)
    }

    /// A Simple Packet Block: interface 0, no timestamp, length bounded by the snap length.
    private mutating func readSimplePacket(_ body: Range<Int>, at start: Int) throws(CaptureFileError)
        -> CapturedPacket?
    {
        guard body.count >= 4 else { throw malformed(start, "a simple packet block is too short") }
        guard let interface = interfaces.first else {
            throw malformed(start, "a simple packet block comes before any interface is described")
        }
        let original = Int(bytes.readU32(body.lowerBound, bigEndian: bigEndian))
        var captured = min(original, body.count &- 4)
        if interface.snaplen != 0 { captured = min(captured, Int(interface.snaplen)) }
        let dataStart = body.lowerBound &+ 4
        packetsRead &+= 1
        return CapturedPacket(timestamp: CaptureTimestamp(seconds: 0, nanoseconds: 0), linkType: interface.linkType,
                              data: bytes.data(dataStart..<(dataStart &+ captured)), originalLength: original)
    }

    /// Calls `body` with each option's code and value range until opt_endofopt or the end.
    private func forEachOption(in range: Range<Int>, at start: Int,
                               _ body: (UInt16, Range<Int>) throws(CaptureFileError) -> Void) throws(CaptureFileError)
    {
        var position = range.lowerBound
        while range.upperBound &- position >= 4 {
            let code = bytes.readU16(position, bigEndian: bigEndian)
            let length = Int(bytes.readU16(position &+ 2, bigEndian: bigEndian))
            if code == 0 { return }
            let value = position &+ 4
            guard length <= range.upperBound &- value else {
                throw malformed(start, "option \(code) claims \(length) bytes, more than its block holds")
            }
            try body(code, value..<(value &+ length))
            position = value &+ (length &+ 3) & ~3
        }
    }

    private func truncated(_ at: Int) -> CaptureFileError {
        .truncated(path: name, offset: at, packetsRead: packetsRead)
    }

    private func malformed(_ at: Int, _ reason: String) -> CaptureFileError {
        .malformedBlock(path: name, offset: at, reason: reason)
    }
}

private func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - s.count) + s
}

/// Writes a pcapng file (one section, host byte order, nanosecond timestamps),
/// streaming through a buffer. Packet comments become `opt_comment`s Wireshark shows.
public final class PcapngWriter {
    public let path: String
    public private(set) var packetsWritten = 0
    private var interfaces: [(linkType: LinkType, snaplen: Int)] = []
    private var out: OutputFile

    /// Creates the file and writes its section header, naming `application` in shb_userappl.
    public init(path: String, application: String = "censorscope") throws(CaptureFileError) {
        self.path = path
        out = try OutputFile(path: path)
        let start = beginBlock(PcapngReader.sectionHeaderType)
        out.buffer.appendLE32(PcapngReader.byteOrderMagic)
        out.buffer.appendLE16(1)
        out.buffer.appendLE16(0)
        out.buffer.appendLE64(UInt64.max)  // section length -1: not known while streaming
        appendOption(4, Array(application.utf8))
        endBlock(start, withOptions: true)
    }

    deinit { try? out.close() }

    /// Describes an interface (IDB with if_tsresol 9) and returns its index for packets.
    /// A `snaplen` of 0 means no limit.
    @discardableResult
    public func addInterface(linkType: LinkType, name: String? = nil, snaplen: Int = 262_144)
        throws(CaptureFileError) -> Int
    {
        try out.checkOpen()
        let snaplen = min(max(snaplen, 0), Int(UInt32.max))
        let start = beginBlock(1)
        out.buffer.appendLE16(UInt16(truncatingIfNeeded: linkType.rawValue))
        out.buffer.appendLE16(0)
        out.buffer.appendLE32(UInt32(snaplen))
        if let name { appendOption(2, Array(name.utf8)) }
        appendOption(9, [9])
        endBlock(start, withOptions: true)
        interfaces.append((linkType, snaplen))
        try out.flushIfFull()
        return interfaces.count - 1
    }

    /// Writes a packet on `packet.interfaceIndex`, whose link type must match the packet's.
    public func write(_ packet: CapturedPacket) throws(CaptureFileError) {
        let index = packet.interfaceIndex
        if interfaces.indices.contains(index), interfaces[index].linkType != packet.linkType {
            throw .writeFailed(path: path, reason:
                "a \(packet.linkType) packet cannot go on interface \(index), whose link type is \(interfaces[index].linkType)")
        }
        try write(data: packet.data, timestamp: packet.timestamp, originalLength: packet.originalLength,
                  interface: index, comment: packet.comment)
    }

    /// Writes one Enhanced Packet Block.
    public func write(data: ArraySlice<UInt8>, timestamp: CaptureTimestamp, originalLength: Int? = nil,
                      interface: Int = 0, comment: String? = nil) throws(CaptureFileError)
    {
        try out.checkOpen()
        guard interfaces.indices.contains(interface) else {
            throw .writeFailed(path: path, reason: "a packet refers to interface \(interface), but "
                + (interfaces.count == 1 ? "only 1 interface was added" : "\(interfaces.count) interfaces were added"))
        }
        let snaplen = interfaces[interface].snaplen
        let captured = snaplen == 0 ? data.count : min(data.count, snaplen)
        let units = UInt64(bitPattern: timestamp.totalNanoseconds)
        let start = beginBlock(6)
        out.buffer.appendLE32(UInt32(interface))
        out.buffer.appendLE32(UInt32(truncatingIfNeeded: units >> 32))
        out.buffer.appendLE32(UInt32(truncatingIfNeeded: units))
        out.buffer.appendLE32(UInt32(captured))
        out.buffer.appendLE32(UInt32(clamping: max(originalLength ?? data.count, captured)))
        out.buffer.append(contentsOf: data.prefix(captured))
        pad()
        if let comment {
            var text = Array(comment.utf8)
            if text.count > 0xFFFF {
                // An option holds at most 65535 bytes: cut at a character boundary.
                var end = 0xFFFF
                while end > 0, text[end] & 0xC0 == 0x80 { end -= 1 }
                text.removeSubrange(end...)
            }
            appendOption(1, text)
        }
        endBlock(start, withOptions: comment != nil)
        packetsWritten += 1
        try out.flushIfFull()
    }

    public func write(data: [UInt8], timestamp: CaptureTimestamp, originalLength: Int? = nil,
                      interface: Int = 0, comment: String? = nil) throws(CaptureFileError)
    {
        try write(data: data[...], timestamp: timestamp, originalLength: originalLength,
                  interface: interface, comment: comment)
    }

    /// Pushes buffered blocks to the file (the file stays open).
    public func flush() throws(CaptureFileError) { try out.flush() }

    /// Flushes and closes the file. Later writes throw; a second close does nothing.
    public func close() throws(CaptureFileError) { try out.close() }

    // Blocks are built in the buffer, their length patched in at the end.
    private func beginBlock(_ type: UInt32) -> Int {
        let start = out.buffer.count
        out.buffer.appendLE32(type)
        out.buffer.appendLE32(0)
        return start
    }

    private func endBlock(_ start: Int, withOptions: Bool) {
        if withOptions { out.buffer.appendLE32(0) }  // opt_endofopt
        let length = UInt32(out.buffer.count - start + 4)
        out.buffer.appendLE32(length)
        out.buffer.setLE32(length, at: start + 4)
    }

    private func appendOption(_ code: UInt16, _ value: [UInt8]) {
        out.buffer.appendLE16(code)
        out.buffer.appendLE16(UInt16(value.count))
        out.buffer.append(contentsOf: value)
        pad()
    }

    private func pad() {
        while out.buffer.count % 4 != 0 { out.buffer.append(0) }
    }
}
