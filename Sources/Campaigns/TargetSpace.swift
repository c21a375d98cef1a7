import Packets

/// Many targets held compactly: sorted, merged, non-overlapping blocks of consecutive
/// addresses, each target numbered from 0 in address order (IPv4 first). A /8 costs one
/// block; a list of scattered addresses 24 bytes each. Answers are mapped back to their
/// target's number by binary search, so no table per probe is needed.
public struct TargetSpace: Sendable, Equatable {
    /// `first` is the address as a 128-bit number (an IPv4 address is its 32-bit value, so
    /// the IPv4 blocks sort before every IPv6 one; IPv6 targets inside ::/96 are refused).
    public struct Block: Sendable, Equatable {
        var high: UInt64
        var low: UInt64
        public var count: UInt32
        /// The number of the block's first target.
        public var base: UInt32

        public var first: UInt128 { UInt128(high) << 64 | UInt128(low) }
    }

    public private(set) var blocks: [Block]
    public private(set) var count: Int
    /// The most targets a space holds (numbers are 32-bit).
    public static let maximumCount = Int(UInt32.max)

    /// From addresses and prefixes in any order, duplicates and overlaps merged.
    public init(addresses: [IPAddress], prefixes: [IPPrefix]) throws(TargetSpaceError) {
        var ranges: [(UInt128, UInt128)] = []   // first, last
        for a in addresses {
            let k = try Self.key(a)
            ranges.append((k, k))
        }
        for p in prefixes {
            let first = try Self.key(TargetSyntax.networkAddress(p))
            let bits = TargetSyntax.hostBits(p)
            guard bits < 32 else { throw TargetSpaceError("\(p) holds 2^\(bits) addresses; a sweep takes at most \(Self.maximumCount)") }
            ranges.append((first, first + (UInt128(1) << UInt128(bits)) - 1))
        }
        ranges.sort { $0.0 < $1.0 }
        var merged: [(UInt128, UInt128)] = []
        for r in ranges {
            if let last = merged.last, r.0 <= last.1 &+ 1, last.1 != .max {
                merged[merged.count - 1].1 = max(last.1, r.1)
            } else {
                merged.append(r)
            }
        }
        var out: [Block] = []
        var total: UInt64 = 0
        for (first, last) in merged {
            var start = first
            // A block counts at most 2^31 addresses; larger runs split.
            while start <= last {
                let size = min(last - start + 1, 1 << 31)
                guard total + UInt64(size) <= UInt64(Self.maximumCount) else {
                    throw TargetSpaceError("the targets hold more than \(Self.maximumCount) addresses")
                }
                out.append(Block(high: UInt64(start >> 64), low: UInt64(truncatingIfNeeded: start), count: UInt32(size), base: UInt32(total)))
                total += UInt64(size)
                if last - start + 1 == size { break }
                start += size
            }
        }
        blocks = out
        count = Int(total)
    }

    /// The address with number `index` (0 ..< count).
    public func address(at index: Int) -> IPAddress {
        Self.address(key: key(at: index))
    }

    /// The 128-bit form of target `index`'s address.
    public func key(at index: Int) -> UInt128 {
        let i = UInt32(truncatingIfNeeded: index)
        var lo = 0, hi = blocks.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if blocks[mid].base <= i { lo = mid } else { hi = mid - 1 }
        }
        let b = blocks[lo]
        return b.first + UInt128(i - b.base)
    }

    /// The number of the target with this address, nil when it is not one.
    public func index(ofKey key: UInt128) -> Int? {
        var lo = 0, hi = blocks.count - 1
        guard hi >= 0 else { return nil }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if blocks[mid].first <= key { lo = mid } else { hi = mid - 1 }
        }
        let b = blocks[lo]
        guard key >= b.first, key - b.first < UInt128(b.count) else { return nil }
        return Int(b.base) + Int(key - b.first)
    }

    /// The IPv4 targets alone, or the IPv6 ones, numbered from 0 again.
    public func family(ipv4: Bool) -> TargetSpace {
        var copy = self
        copy.blocks = []
        var total: UInt32 = 0
        for var b in blocks where (b.first <= UInt128(UInt32.max)) == ipv4 {
            b.base = total
            total += b.count
            copy.blocks.append(b)
        }
        copy.count = Int(total)
        return copy
    }

    public func index(of address: IPAddress) -> Int? {
        guard let k = try? Self.key(address) else { return nil }
        return index(ofKey: k)
    }

    /// True when some target is IPv4 / IPv6.
    public var hasIPv4: Bool { blocks.first.map { $0.first <= UInt128(UInt32.max) } ?? false }
    public var hasIPv6: Bool { blocks.last.map { $0.first > UInt128(UInt32.max) } ?? false }

    /// Whether any target lies inside `prefix`.
    public func overlaps(_ prefix: IPPrefix) -> Bool {
        guard let first = try? Self.key(TargetSyntax.networkAddress(prefix)) else { return false }
        let bits = TargetSyntax.hostBits(prefix)
        let last = bits >= 128 ? UInt128.max : first + (UInt128(1) << UInt128(bits)) - 1
        // IPv4 prefixes stay in the IPv4 keys, IPv6 ones in theirs.
        return blocks.contains { b in b.first <= last && b.first + UInt128(b.count) - 1 >= first }
    }

    public static func key(_ address: IPAddress) throws(TargetSpaceError) -> UInt128 {
        switch address {
        case .v4(let a): return UInt128(a.value)
        case .v6(let a):
            let k = UInt128(a.high) << 64 | UInt128(a.low)
            guard k > UInt128(UInt32.max) else {
                throw TargetSpaceError("\(address) is in ::/96 (IPv4-compatible, deprecated); write the IPv4 address itself")
            }
            return k
        }
    }

    public static func address(key: UInt128) -> IPAddress {
        if key <= UInt128(UInt32.max) { return .v4(IPv4Address(UInt32(key))) }
        return .v6(IPv6Address(high: UInt64(key >> 64), low: UInt64(truncatingIfNeeded: key)))
    }
}

public struct TargetSpaceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension TargetSpace {
    /// Parses a target list (the campaign syntax: addresses, CIDR prefixes, host names, `#`
    /// comments) without expanding prefixes. Ports on a line are refused: a sweep's port is
    /// its own option. Names are resolved once each with `resolve`.
    public static func parse(_ text: String, source: String, maxAddresses: Int,
                             resolve: (String) throws -> [IPAddress]) throws(CampaignError) -> TargetSpace {
        let lines = try TargetList.targetLines(text, source: source)
        guard !lines.isEmpty else {
            throw CampaignError(file: source, line: nil, message: "no targets, only comments and blank lines; write one address, CIDR prefix or host name per line")
        }
        if let withPorts = lines.first(where: { $0.ports != nil }) {
            throw CampaignError(file: source, line: withPorts.line, message: "'\(withPorts.input)' names ports; a sweep probes the port given with --port, so write the address alone")
        }
        try TargetList.checkSize(lines.map { TargetList.size(of: $0.host, resolved: [:]) }, lines: lines, limit: maxAddresses, source: source)
        let resolved = try TargetList.resolveNames(lines, source: source, resolve: resolve)
        var addresses: [IPAddress] = resolved.flatMap(\.addresses)
        var prefixes: [IPPrefix] = []
        for line in lines {
            switch line.host {
            case .address(let a): addresses.append(a)
            case .prefix(let p): prefixes.append(p)
            case .name: break
            }
        }
        do throws(TargetSpaceError) {
            let space = try TargetSpace(addresses: addresses, prefixes: prefixes)
            guard space.count <= maxAddresses else {
                throw TargetSpaceError("the targets hold \(space.count) addresses, more than the limit of \(maxAddresses) (raise it with --max-targets)")
            }
            return space
        } catch {
            throw CampaignError(file: source, line: nil, message: error.description)
        }
    }
}
