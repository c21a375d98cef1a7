/// An IPv4 address, held as its 32-bit value in host order.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Dotted quad, exactly four decimal parts of 0...255, no leading `+`.
    public init?(_ text: String) {
        var parts: [UInt32] = []
        var current: UInt32 = 0
        var digits = 0
        for ch in text.utf8 {
            if ch == UInt8(ascii: ".") {
                guard digits > 0 else { return nil }
                parts.append(current)
                current = 0
                digits = 0
            } else if ch >= UInt8(ascii: "0"), ch <= UInt8(ascii: "9") {
                digits += 1
                guard digits <= 3 else { return nil }
                current = current * 10 + UInt32(ch - UInt8(ascii: "0"))
                guard current <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        parts.append(current)
        guard parts.count == 4 else { return nil }
        value = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
    }

    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    public var description: String {
        "\(value >> 24).\((value >> 16) & 0xFF).\((value >> 8) & 0xFF).\(value & 0xFF)"
    }

    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
}

/// An IPv6 address as two 64-bit halves in host order.
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// From 16 bytes in network order; `nil` unless exactly 16.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 16 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h
        low = l
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return out
    }

    /// The eight 16-bit groups.
    public var groups: [UInt16] {
        (0..<8).map { i in
            let half = i < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (i % 4)))
        }
    }

    /// The four 32-bit words, for checksums.
    public var words32: [UInt32] {
        [UInt32(truncatingIfNeeded: high >> 32), UInt32(truncatingIfNeeded: high),
         UInt32(truncatingIfNeeded: low >> 32), UInt32(truncatingIfNeeded: low)]
    }

    /// Text form per RFC 4291 §2.2: groups, one `::`, optional dotted IPv4 tail.
    public init?(_ text: String) {
        if text.isEmpty || text.count > 45 { return nil }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func groupsOf(_ part: String, allowV4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt16] = []
            for (i, f) in fields.enumerated() {
                if i == fields.count - 1, allowV4Tail, f.contains(".") {
                    guard let v4 = IPv4Address(String(f)) else { return nil }
                    out.append(UInt16(v4.value >> 16))
                    out.append(UInt16(v4.value & 0xFFFF))
                    continue
                }
                guard (1...4).contains(f.count), f.allSatisfy(\.isHexDigit), let v = UInt16(f, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        var groups: [UInt16]
        if halves.count == 2 {
            guard let head = groupsOf(halves[0], allowV4Tail: false),
                  let tail = groupsOf(halves[1], allowV4Tail: true),
                  head.count + tail.count <= 7 else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let all = groupsOf(halves[0], allowV4Tail: true), all.count == 8 else { return nil }
            groups = all
        }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        high = h
        low = l
    }

    /// RFC 5952 canonical text: lower case, longest run (>= 2) of zero groups as `::`.
    public var description: String {
        let g = groups
        if high == 0, low >> 32 == 0xFFFF {
            return "::ffff:" + IPv4Address(UInt32(truncatingIfNeeded: low)).description
        }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8, g[j] == 0 { j += 1 }
                if j - i > bestLen, j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ v: UInt16) -> String { String(v, radix: 16) }
        if bestStart < 0 { return g.map(hex).joined(separator: ":") }
        let head = g[..<bestStart].map(hex).joined(separator: ":")
        let tail = g[(bestStart + bestLen)...].map(hex).joined(separator: ":")
        return head + "::" + tail
    }

    public static func < (a: Self, b: Self) -> Bool { (a.high, a.low) < (b.high, b.low) }
}

/// Either family.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public init?(_ text: String) {
        if let a = IPv4Address(text) { self = .v4(a) } else if let a = IPv6Address(text) { self = .v6(a) } else { return nil }
    }

    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): return a.bytes
        case .v6(let a): return a.bytes
        }
    }
}

/// A link-layer address of up to 8 bytes (48-bit MAC, or what Linux cooked captures carry),
/// held inline so decoding a frame allocates nothing for it.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address bytes, big-endian, in the low `length` bytes.
    public var value: UInt64
    public var length: UInt8

    public init(value: UInt64, length: UInt8 = 6) {
        self.length = min(length, 8)
        self.value = self.length == 8 ? value : value & ((1 << (8 * UInt64(self.length))) - 1)
    }

    public init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var v: UInt64 = 0
        var n: UInt8 = 0
        for b in bytes.prefix(8) { v = v << 8 | UInt64(b); n += 1 }
        self.init(value: v, length: n)
    }

    public var bytes: [UInt8] {
        (0..<Int(length)).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(Int(length) - 1 - $0))) }
    }

    public var description: String {
        bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined(separator: ":")
    }
}
