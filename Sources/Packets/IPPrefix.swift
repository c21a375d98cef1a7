/// An address prefix such as `198.18.1.0/24` or `2001:db8:1::/64`. A bare address is a
/// host prefix (/32 or /128). Host bits below the length are ignored when matching.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var length: Int

    public init?(address: IPAddress, length: Int) {
        switch address {
        case .v4: guard (0...32).contains(length) else { return nil }
        case .v6: guard (0...128).contains(length) else { return nil }
        }
        self.address = address
        self.length = length
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        let maxLength: Int
        if case .v4 = address { maxLength = 32 } else { maxLength = 128 }
        var length = maxLength
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy({ ("0"..."9").contains($0) }), let n = Int(parts[1]), n <= maxLength else { return nil }
            length = n
        }
        self.init(address: address, length: length)
    }

    public func contains(_ other: IPAddress) -> Bool {
        switch (address, other) {
        case let (.v4(p), .v4(a)):
            guard length > 0 else { return true }
            let mask: UInt32 = length >= 32 ? .max : ~(UInt32.max >> UInt32(length))
            return p.value & mask == a.value & mask
        case let (.v6(p), .v6(a)):
            return Self.matches(p.high, a.high, bits: min(length, 64))
                && Self.matches(p.low, a.low, bits: max(0, length - 64))
        default:
            return false
        }
    }

    private static func matches(_ a: UInt64, _ b: UInt64, bits: Int) -> Bool {
        guard bits > 0 else { return true }
        let mask: UInt64 = bits >= 64 ? .max : ~(UInt64.max >> UInt64(bits))
        return a & mask == b & mask
    }

    public var description: String { "\(address)/\(length)" }
}
