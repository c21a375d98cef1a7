import Packets

/// An IPv4 network such as `198.18.1.0/24`. Host bits must be zero.
public struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible {
    public let network: IPv4Address
    public let length: Int

    /// The lab's only IPv4 range (RFC 2544 benchmarking).
    public static let lab = IPv4Prefix(checked: IPv4Address(198, 18, 0, 0), 16)

    init(checked network: IPv4Address, _ length: Int) {
        self.network = network
        self.length = length
    }

    /// `nil` with a reason when the text is not a prefix or has host bits set.
    public static func parse(_ text: String) -> Result<IPv4Prefix, PrefixProblem> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])),
              parts[1].count <= 2, parts[1].allSatisfy(\.isASCII), let length = Int(parts[1]), (0...32).contains(length)
        else { return .failure(.malformed) }
        let masked = IPv4Address(address.value & IPv4Prefix.mask(length))
        guard masked == address else { return .failure(.hostBitsSet(suggestion: "\(masked)/\(length)")) }
        return .success(IPv4Prefix(checked: address, length))
    }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }

    public func contains(_ a: IPv4Address) -> Bool { a.value & IPv4Prefix.mask(length) == network.value }
    public func contains(_ p: IPv4Prefix) -> Bool { p.length >= length && contains(p.network) }
    public func overlaps(_ p: IPv4Prefix) -> Bool { contains(p) || p.contains(self) }

    /// The n-th address after the network address (1 = first host).
    public func host(_ n: UInt32) -> IPv4Address? {
        let size: UInt64 = 1 << UInt64(32 - length)
        guard UInt64(n) < size else { return nil }
        return IPv4Address(network.value + n)
    }

    /// Network and broadcast addresses cannot be given to an interface (except in /31, /32).
    public func isUsableHost(_ a: IPv4Address) -> Bool {
        guard contains(a) else { return false }
        if length >= 31 { return true }
        let broadcast = network.value | ~IPv4Prefix.mask(length)
        return a != network && a.value != broadcast
    }

    public var description: String { "\(network)/\(length)" }
}

/// An IPv6 network such as `2001:db8:1::/64`. Host bits must be zero.
public struct IPv6Prefix: Hashable, Sendable, CustomStringConvertible {
    public let network: IPv6Address
    public let length: Int

    /// The lab's only IPv6 range (RFC 3849 documentation).
    public static let lab = IPv6Prefix(checked: IPv6Address("2001:db8::")!, 32)

    init(checked network: IPv6Address, _ length: Int) {
        self.network = network
        self.length = length
    }

    public static func parse(_ text: String) -> Result<IPv6Prefix, PrefixProblem> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv6Address(String(parts[0])),
              parts[1].count <= 3, parts[1].allSatisfy(\.isASCII), let length = Int(parts[1]), (0...128).contains(length)
        else { return .failure(.malformed) }
        let masked = IPv6Prefix.masked(address, length)
        guard masked == address else { return .failure(.hostBitsSet(suggestion: "\(masked)/\(length)")) }
        return .success(IPv6Prefix(checked: address, length))
    }

    static func masked(_ a: IPv6Address, _ length: Int) -> IPv6Address {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? UInt64.max : UInt64.max << UInt64(64 - bits) }
        return IPv6Address(high: a.high & mask(length), low: a.low & mask(length - 64))
    }

    public func contains(_ a: IPv6Address) -> Bool { IPv6Prefix.masked(a, length) == network }
    public func contains(_ p: IPv6Prefix) -> Bool { p.length >= length && contains(p.network) }
    public func overlaps(_ p: IPv6Prefix) -> Bool { contains(p) || p.contains(self) }

    /// The n-th address after the network address (small n only: the low 64 bits).
    public func host(_ n: UInt64) -> IPv6Address? {
        guard length <= 64 || n < (UInt64(1) << UInt64(128 - length)) else { return nil }
        return IPv6Address(high: network.high, low: network.low + n)
    }

    /// The subnet-router anycast address (all host bits zero) is not given to interfaces.
    public func isUsableHost(_ a: IPv6Address) -> Bool { contains(a) && (length >= 127 || a != network) }

    public var description: String { "\(network)/\(length)" }
}

public enum PrefixProblem: Error, Hashable, Sendable {
    case malformed
    case hostBitsSet(suggestion: String)
}
