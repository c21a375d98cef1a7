/// SipHash-2-4 (Aumasson and Bernstein): the keyed hash that puts a probe's identifiers in
/// its sequence number and source port, so an answer is checked by recomputing it, without
/// a table of what was sent (the ZMap way). The key is random per sweep and recorded with it.
public struct SipHashKey: Sendable, Equatable {
    public var k0: UInt64
    public var k1: UInt64

    public init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    public static func random() -> SipHashKey {
        var g = SystemRandomNumberGenerator()
        return SipHashKey(k0: g.next(), k1: g.next())
    }

    /// The hash of three little-endian words (a 24-byte message): the sweep's fast path.
    @inline(__always)
    public func hash(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64) -> UInt64 {
        var s = SipState(self)
        s.absorb(w0)
        s.absorb(w1)
        s.absorb(w2)
        return s.finish(24 << 56)
    }

    /// The hash of any bytes (the reference form; the tests check the fast path against it).
    public func hash(bytes: [UInt8]) -> UInt64 {
        var s = SipState(self)
        var i = 0
        while i + 8 <= bytes.count {
            var m: UInt64 = 0
            for j in 0..<8 { m |= UInt64(bytes[i + j]) << UInt64(8 * j) }
            s.absorb(m)
            i += 8
        }
        var last = UInt64(truncatingIfNeeded: bytes.count) << 56
        for j in 0..<(bytes.count - i) { last |= UInt64(bytes[i + j]) << UInt64(8 * j) }
        return s.finish(last)
    }
}

private struct SipState {
    var v0: UInt64, v1: UInt64, v2: UInt64, v3: UInt64

    @inline(__always)
    init(_ key: SipHashKey) {
        v0 = key.k0 ^ 0x736f_6d65_7073_6575
        v1 = key.k1 ^ 0x646f_7261_6e64_6f6d
        v2 = key.k0 ^ 0x6c79_6765_6e65_7261
        v3 = key.k1 ^ 0x7465_6462_7974_6573
    }

    @inline(__always)
    mutating func round() {
        v0 &+= v1; v1 = v1.rotated(13); v1 ^= v0; v0 = v0.rotated(32)
        v2 &+= v3; v3 = v3.rotated(16); v3 ^= v2
        v0 &+= v3; v3 = v3.rotated(21); v3 ^= v0
        v2 &+= v1; v1 = v1.rotated(17); v1 ^= v2; v2 = v2.rotated(32)
    }

    @inline(__always)
    mutating func absorb(_ m: UInt64) {
        v3 ^= m
        round(); round()
        v0 ^= m
    }

    @inline(__always)
    mutating func finish(_ last: UInt64) -> UInt64 {
        absorb(last)
        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotated(_ n: UInt64) -> UInt64 { self << n | self >> (64 - n) }
}
