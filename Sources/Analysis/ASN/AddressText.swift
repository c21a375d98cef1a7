import Packets

// Address and number parsing straight from the file's bytes: a database has half a million
// lines, and building a String per field would dominate the load time. Strict like the
// Packets parsers (which the tests cross-check against), and never trapping.

enum AddressText {
    /// A dotted quad: four decimal parts of 0...255, at most three digits each.
    static func ipv4(_ b: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var value: UInt32 = 0, part: UInt32 = 0, digits = 0, parts = 0
        for c in b {
            if c == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                parts += 1
                part = 0
                digits = 0
            } else if c >= 0x30, c <= 0x39 {
                digits += 1
                guard digits <= 3 else { return nil }
                part = part * 10 + UInt32(c - 0x30)
                guard part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | part
    }

    /// RFC 4291 §2.2 text: groups of 1–4 hex digits, at most one `::`, an optional dotted
    /// IPv4 tail.
    static func ipv6(_ b: UnsafeBufferPointer<UInt8>) -> IPv6Address? {
        guard b.count >= 2, b.count <= 45 else { return nil }
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var gapAt: Int? = nil
        var i = 0
        if b[0] == UInt8(ascii: ":") {
            guard b[1] == UInt8(ascii: ":") else { return nil }
            gapAt = 0
            i = 2
        }
        while i < b.count {
            // One field: hex digits up to ':' or the end, or a dotted IPv4 tail.
            var j = i, value: UInt32 = 0   // extra digits shift out; the length check below refuses them
            while j < b.count, let h = hexValue(b[j]) {
                value = value << 4 | UInt32(h)
                j += 1
            }
            if j < b.count, b[j] == UInt8(ascii: ".") {
                guard groups.count <= 6, let v4 = ipv4(UnsafeBufferPointer(rebasing: b[i...])) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                i = b.count
                break
            }
            guard j > i, j - i <= 4, groups.count < 8 else { return nil }
            groups.append(UInt16(value))
            if j == b.count { i = j; break }
            guard b[j] == UInt8(ascii: ":") else { return nil }
            if j + 1 < b.count, b[j + 1] == UInt8(ascii: ":") {
                guard gapAt == nil else { return nil }
                gapAt = groups.count
                i = j + 2
            } else {
                guard j + 1 < b.count else { return nil }   // a trailing single ':'
                i = j + 1
            }
        }
        if let gap = gapAt {
            guard groups.count <= 7 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for k in 0..<4 { high = high << 16 | UInt64(groups[k]) }
        for k in 4..<8 { low = low << 16 | UInt64(groups[k]) }
        return IPv6Address(high: high, low: low)
    }

    /// Either family: IPv4 when there is no ':'.
    static func address(_ b: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        if b.contains(UInt8(ascii: ":")) { return ipv6(b).map(IPAddress.v6) }
        return ipv4(b).map { .v4(IPv4Address($0)) }
    }

    /// A plain decimal number that fits in UInt32 (no sign, no spaces, at most 10 digits).
    static func decimal(_ b: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard !b.isEmpty, b.count <= 10 else { return nil }
        var v: UInt64 = 0
        for c in b {
            guard c >= 0x30, c <= 0x39 else { return nil }
            v = v * 10 + UInt64(c - 0x30)
        }
        return v <= UInt64(UInt32.max) ? UInt32(v) : nil
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
