/// RFC 1071 Internet checksum, accumulated over any number of pieces.
public struct InternetChecksum: Sendable {
    private var sum: UInt64 = 0
    /// Set when an odd-length piece was added; the next byte is the low half of a word.
    private var pendingOdd = false

    public init() {}

    public mutating func add<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var it = bytes.makeIterator()
        if pendingOdd, let b = it.next() {
            sum &+= UInt64(b)
            pendingOdd = false
        }
        while let hi = it.next() {
            if let lo = it.next() {
                sum &+= UInt64(hi) << 8 | UInt64(lo)
            } else {
                sum &+= UInt64(hi) << 8
                pendingOdd = true
            }
        }
    }

    public mutating func add(_ word: UInt16) { sum &+= UInt64(word) }
    public mutating func add(_ word: UInt32) { sum &+= UInt64(word >> 16) &+ UInt64(word & 0xFFFF) }

    /// The one's-complement of the folded sum, as it goes into a header.
    public var value: UInt16 {
        var s = sum
        while s >> 16 != 0 { s = (s & 0xFFFF) &+ (s >> 16) }
        return ~UInt16(truncatingIfNeeded: s)
    }

    public static func compute<C: Collection>(_ bytes: C) -> UInt16 where C.Element == UInt8 {
        var c = InternetChecksum()
        c.add(bytes)
        return c.value
    }

    /// Checksum of an upper-layer message with the pseudo-header of `header`
    /// (RFC 793/768 for IPv4, RFC 8200 §8.1 for IPv6).
    public static func transport(_ message: [UInt8], proto: UInt8, header: NetworkHeader) -> UInt16 {
        var c = InternetChecksum()
        switch header {
        case .v4(let h):
            c.add(h.source.value)
            c.add(h.destination.value)
            c.add(UInt16(proto))
            c.add(UInt16(truncatingIfNeeded: message.count))
        case .v6(let h):
            for w in h.source.words32 { c.add(w) }
            for w in h.finalDestination.words32 { c.add(w) }
            c.add(UInt32(truncatingIfNeeded: message.count))
            c.add(UInt16(proto))
        }
        c.add(message)
        return c.value
    }
}

