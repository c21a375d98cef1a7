/// IPv4 header flags (RFC 791 and RFC 3514's reserved "evil" bit).
public struct IPv4Flags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x7 }
    public static let reserved = IPv4Flags(rawValue: 0x4)
    public static let dontFragment = IPv4Flags(rawValue: 0x2)
    public static let moreFragments = IPv4Flags(rawValue: 0x1)
}

/// An IPv4 header (RFC 791). Every field is kept as received, options as raw bytes,
/// so that parse → serialize reproduces the input exactly.
public struct IPv4Header: Hashable, Sendable {
    public var tos: UInt8
    public var totalLength: UInt16
    public var identification: UInt16
    public var flags: IPv4Flags
    /// In units of 8 bytes.
    public var fragmentOffset: UInt16
    public var ttl: UInt8
    public var proto: UInt8
    public var checksum: UInt16
    public var source: IPv4Address
    public var destination: IPv4Address
    /// Raw option bytes; padded with zeros (EOL) to a multiple of 4 when serialised.
    public var options: [UInt8]

    public init(tos: UInt8 = 0, totalLength: UInt16 = 0, identification: UInt16 = 0,
                flags: IPv4Flags = [], fragmentOffset: UInt16 = 0, ttl: UInt8 = 64,
                proto: UInt8, checksum: UInt16 = 0,
                source: IPv4Address, destination: IPv4Address, options: [UInt8] = []) {
        self.tos = tos
        self.totalLength = totalLength
        self.identification = identification
        self.flags = flags
        self.fragmentOffset = fragmentOffset
        self.ttl = ttl
        self.proto = proto
        self.checksum = checksum
        self.source = source
        self.destination = destination
        self.options = options
    }

    public var headerLength: Int { 20 + (options.count + 3) / 4 * 4 }
    public var dontFragment: Bool { flags.contains(.dontFragment) }
    public var moreFragments: Bool { flags.contains(.moreFragments) }
    /// True for any fragment, first or later.
    public var isFragment: Bool { moreFragments || fragmentOffset != 0 }

    /// Parses the header at the start of `bytes`. Checks version, IHL and that the
    /// whole header is present; the total length may exceed what was captured.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(PacketError) -> IPv4Header {
        guard bytes.count >= 20 else { throw .truncated(layer: "IPv4 header", needed: 20, available: bytes.count) }
        let vihl = bytes.u8(0)
        guard vihl >> 4 == 4 else { throw .invalid(layer: "IPv4 header", reason: "version is \(vihl >> 4), not 4") }
        let ihl = Int(vihl & 0xF) * 4
        guard ihl >= 20 else { throw .invalid(layer: "IPv4 header", reason: "header length \(ihl) is below the minimum of 20") }
        guard bytes.count >= ihl else { throw .truncated(layer: "IPv4 header", needed: ihl, available: bytes.count) }
        let total = bytes.u16(2)
        guard Int(total) >= ihl else {
            throw .invalid(layer: "IPv4 header", reason: "total length \(total) is shorter than the header (\(ihl))")
        }
        let ff = bytes.u16(6)
        return IPv4Header(
            tos: bytes.u8(1), totalLength: total, identification: bytes.u16(4),
            flags: IPv4Flags(rawValue: UInt8(ff >> 13)), fragmentOffset: ff & 0x1FFF,
            ttl: bytes.u8(8), proto: bytes.u8(9), checksum: bytes.u16(10),
            source: IPv4Address(bytes.u32(12)), destination: IPv4Address(bytes.u32(16)),
            options: ihl > 20 ? Array(bytes.sub(20, ihl - 20)) : [])
    }

    /// Appends the header. With `fillChecksum` the checksum field is computed, otherwise
    /// the stored value is written as is (to reproduce or to forge a bad one).
    public func write(into out: inout [UInt8], fillChecksum: Bool) {
        let start = out.count
        let hl = headerLength
        out.append(0x40 | UInt8(truncatingIfNeeded: hl / 4) & 0x0F)   // > 60 bytes cannot be said; callers keep options <= 40
        out.append(tos)
        out.appendU16(totalLength)
        out.appendU16(identification)
        out.appendU16(UInt16(flags.rawValue) << 13 | (fragmentOffset & 0x1FFF))
        out.append(ttl)
        out.append(proto)
        out.appendU16(fillChecksum ? 0 : checksum)
        out.appendU32(source.value)
        out.appendU32(destination.value)
        out.append(contentsOf: options)
        for _ in 0..<(hl - 20 - options.count) { out.append(0) }
        if fillChecksum {
            out.setU16(InternetChecksum.compute(out[start..<(start + hl)]), at: start + 10)
        }
    }

    /// Whether the header checksum over `headerBytes` (the header as received) is correct.
    public static func checksumIsValid(_ headerBytes: ArraySlice<UInt8>) -> Bool {
        InternetChecksum.compute(headerBytes) == 0
    }
}
