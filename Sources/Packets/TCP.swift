/// TCP control bits, including ECN (RFC 3168) and the AE/NS bit.
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0xFFF }
    public static let fin = TCPFlags(rawValue: 0x001)
    public static let syn = TCPFlags(rawValue: 0x002)
    public static let rst = TCPFlags(rawValue: 0x004)
    public static let psh = TCPFlags(rawValue: 0x008)
    public static let ack = TCPFlags(rawValue: 0x010)
    public static let urg = TCPFlags(rawValue: 0x020)
    public static let ece = TCPFlags(rawValue: 0x040)
    public static let cwr = TCPFlags(rawValue: 0x080)
    public static let ae = TCPFlags(rawValue: 0x100)

    /// Letters in a fixed order, SYN/FIN/RST/PSH before ACK: `S`, `SA`, `R`, `RA`, `FA`, `PA`.
    public var letters: String {
        var s = ""
        if contains(.syn) { s += "S" }
        if contains(.fin) { s += "F" }
        if contains(.rst) { s += "R" }
        if contains(.psh) { s += "P" }
        if contains(.ack) { s += "A" }
        if contains(.urg) { s += "U" }
        if contains(.ece) { s += "E" }
        if contains(.cwr) { s += "C" }
        if contains(.ae) { s += "N" }
        return s
    }

    /// tcpdump's notation: `S`, `S.`, `R.`, `P.`, `F.`, `.` for a bare ACK.
    public var tcpdumpNotation: String {
        var s = ""
        if contains(.fin) { s += "F" }
        if contains(.syn) { s += "S" }
        if contains(.rst) { s += "R" }
        if contains(.psh) { s += "P" }
        if contains(.urg) { s += "U" }
        if contains(.ece) { s += "E" }
        if contains(.cwr) { s += "W" }
        if contains(.ae) { s += "N" }
        if contains(.ack) { s += "." }
        return s.isEmpty ? "none" : s
    }
}

/// A TCP segment (RFC 9293): header, options and payload.
public struct TCPSegment: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: UInt32
    public var acknowledgmentNumber: UInt32
    public var flags: TCPFlags
    /// The three bits between data offset and the AE bit; zero on a well-behaved sender.
    public var reservedBits: UInt8
    public var window: UInt16
    public var checksum: UInt16
    public var urgentPointer: UInt16
    public var options: [TCPOption]
    public var payload: ArraySlice<UInt8>

    public init(sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32 = 0,
                acknowledgmentNumber: UInt32 = 0, flags: TCPFlags, reservedBits: UInt8 = 0,
                window: UInt16 = 0, checksum: UInt16 = 0, urgentPointer: UInt16 = 0,
                options: [TCPOption] = [], payload: ArraySlice<UInt8> = []) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.reservedBits = reservedBits & 0x7
        self.window = window
        self.checksum = checksum
        self.urgentPointer = urgentPointer
        self.options = options
        self.payload = payload
    }

    /// Header length in bytes, options padded to a multiple of 4.
    public var headerLength: Int { 20 + (options.wireLength + 3) / 4 * 4 }

    public static func parse(_ bytes: ArraySlice<UInt8>) throws(PacketError) -> TCPSegment {
        guard bytes.count >= 20 else { throw .truncated(layer: "TCP header", needed: 20, available: bytes.count) }
        let offFlags = bytes.u16(12)
        let hl = Int(offFlags >> 12) * 4
        guard hl >= 20 else { throw .invalid(layer: "TCP header", reason: "data offset \(hl) is below the minimum of 20") }
        guard bytes.count >= hl else { throw .truncated(layer: "TCP header", needed: hl, available: bytes.count) }
        return TCPSegment(
            sourcePort: bytes.u16(0), destinationPort: bytes.u16(2),
            sequenceNumber: bytes.u32(4), acknowledgmentNumber: bytes.u32(8),
            flags: TCPFlags(rawValue: offFlags & 0x1FF), reservedBits: UInt8((offFlags >> 9) & 0x7),
            window: bytes.u16(14), checksum: bytes.u16(16), urgentPointer: bytes.u16(18),
            options: hl > 20 ? TCPOption.parseList(bytes.sub(20, hl - 20)) : [],
            payload: bytes.dropping(hl))
    }

    /// Appends header and payload with the stored checksum (see `IPPacket` for filling it).
    public func write(into out: inout [UInt8]) {
        let hl = headerLength
        out.appendU16(sourcePort)
        out.appendU16(destinationPort)
        out.appendU32(sequenceNumber)
        out.appendU32(acknowledgmentNumber)
        out.appendU16(UInt16(hl / 4) << 12 | UInt16(reservedBits & 0x7) << 9 | (flags.rawValue & 0x1FF))
        out.appendU16(window)
        out.appendU16(checksum)
        out.appendU16(urgentPointer)
        for o in options { o.write(into: &out) }
        for _ in 0..<(hl - 20 - options.wireLength) { out.append(0) }
        out.append(contentsOf: payload)
    }
}

/// The first bytes of a TCP header when fewer than 20 are available, as in an ICMP
/// quote (RFC 792 guarantees only 8). Fields past the end are nil.
public struct TCPHeaderPrefix: Hashable, Sendable {
    /// The bytes present (a view into the packet; at most 20).
    public var bytes: ArraySlice<UInt8>
    public init(bytes: [UInt8]) { self.bytes = bytes[...] }
    public init(slice: ArraySlice<UInt8>) { self.bytes = slice }

    private func field<T: FixedWidthInteger>(_ offset: Int, _ size: Int) -> T? {
        guard bytes.count >= offset + size else { return nil }
        var v: T = 0
        for i in 0..<size { v = v << 8 | T(bytes[bytes.startIndex + offset + i]) }
        return v
    }
    public var sourcePort: UInt16? { field(0, 2) }
    public var destinationPort: UInt16? { field(2, 2) }
    public var sequenceNumber: UInt32? { field(4, 4) }
    public var acknowledgmentNumber: UInt32? { field(8, 4) }
    public var flags: TCPFlags? { (field(12, 2) as UInt16?).map { TCPFlags(rawValue: $0 & 0x1FF) } }
    public var window: UInt16? { field(14, 2) }
    public var checksum: UInt16? { field(16, 2) }
}
