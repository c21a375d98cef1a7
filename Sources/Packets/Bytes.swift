// Big-endian field access on byte slices. Offsets are relative to the slice start;
// callers check lengths first so these never read out of bounds.

extension ArraySlice where Element == UInt8 {
    @inline(__always)
    func u8(_ offset: Int) -> UInt8 { self[startIndex &+ offset] }

    @inline(__always)
    func u16(_ offset: Int) -> UInt16 {
        let i = startIndex &+ offset
        return UInt16(self[i]) << 8 | UInt16(self[i &+ 1])
    }

    @inline(__always)
    func u32(_ offset: Int) -> UInt32 {
        let i = startIndex &+ offset
        return UInt32(self[i]) << 24 | UInt32(self[i &+ 1]) << 16 | UInt32(self[i &+ 2]) << 8 | UInt32(self[i &+ 3])
    }

    @inline(__always)
    func u64(_ offset: Int) -> UInt64 {
        UInt64(u32(offset)) << 32 | UInt64(u32(offset &+ 4))
    }

    /// The sub-slice `[offset, offset+count)` relative to the start.
    @inline(__always)
    func sub(_ offset: Int, _ count: Int) -> ArraySlice<UInt8> {
        self[(startIndex &+ offset)..<(startIndex &+ offset &+ count)]
    }

    /// Everything from `offset` to the end.
    @inline(__always)
    func dropping(_ offset: Int) -> ArraySlice<UInt8> {
        self[(startIndex &+ offset)...]
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendU16(_ v: UInt16) {
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always)
    mutating func appendU32(_ v: UInt32) {
        append(UInt8(truncatingIfNeeded: v >> 24))
        append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always)
    mutating func setU16(_ v: UInt16, at i: Int) {
        self[i] = UInt8(truncatingIfNeeded: v >> 8)
        self[i + 1] = UInt8(truncatingIfNeeded: v)
    }
}

/// Hex text in and out: plain hex, `0x` prefixes, separators, and tcpdump `-x`/`-X` dumps.
public enum Hex {
    /// Lower-case hex of `bytes`, no separators.
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits: [Character] = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0xF)])
        }
        return s
    }

    /// Parses hex text. Accepts whitespace, `:`/`-`/`,` separators, `0x` prefixes, and
    /// tcpdump `-x`/`-X` dumps (offset column and ASCII column are ignored).
    public static func decode(_ text: String) throws(PacketError) -> [UInt8] {
        var digits: [UInt8] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline })
        for line in lines {
            var body = Substring(line)
            // tcpdump dump line: "  0x0010:  9f59 b80a ...  .Y....". Drop the offset and ASCII columns.
            let trimmed = body.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.hasPrefix("0x"), let colon = trimmed.firstIndex(of: ":"),
               trimmed[trimmed.index(trimmed.startIndex, offsetBy: 2)..<colon].allSatisfy(\.isHexDigit),
               trimmed.distance(from: trimmed.startIndex, to: colon) >= 6,   // tcpdump prints 0x%04x
               trimmed[trimmed.index(after: colon)...].first.map({ $0 == " " || $0 == "\t" }) == true {
                body = trimmed[trimmed.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
                if let ascii = body.firstRange(of: "  ") { body = body[..<ascii.lowerBound] }
            }
            var i = body.startIndex
            while i < body.endIndex {
                let c = body[i]
                if c == "0", body.index(after: i) < body.endIndex,
                   body[body.index(after: i)] == "x" || body[body.index(after: i)] == "X" {
                    i = body.index(i, offsetBy: 2)
                    continue
                }
                if let v = c.hexDigitValue {
                    digits.append(UInt8(v))
                } else if !(c == " " || c == "\t" || c == ":" || c == "-" || c == ",") {
                    throw .invalid(layer: "hex input", reason: "unexpected character '\(c)'")
                }
                i = body.index(after: i)
            }
        }
        if digits.isEmpty { throw .invalid(layer: "hex input", reason: "no hex digits found") }
        if digits.count % 2 != 0 {
            throw .invalid(layer: "hex input", reason: "odd number of hex digits (\(digits.count))")
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var j = 0
        while j < digits.count {
            out.append(digits[j] << 4 | digits[j + 1])
            j += 2
        }
        return out
    }
}
