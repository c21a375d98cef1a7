import Packets

/// A disturb rule's generator: seeded, so its decisions can be reproduced for the same
/// packets in the same order.
public typealias SeededRandom = SplitMix64

/// The random part of a disturb decision for one packet, on the engine's clock.
public struct Disturbance: Hashable, Sendable {
    /// When the packet is let go (`now` when it is not held).
    public var release: Double
    /// When each extra copy is sent: after the release, each with its own random delay.
    public var copies: [Double]

    /// Draws the hold and, with the spec's probability, the copies; `copiable` false
    /// (see `ForwardedCopy.isForwardable`) draws no copies.
    public static func draw(_ spec: DisturbSpec, copiable: Bool, at now: Double, using random: inout SeededRandom) -> Disturbance {
        let release = now + hold(spec, &random)
        var copies: [Double] = []
        if spec.duplicate > 0, copiable, Double.random(in: 0..<1, using: &random) < spec.duplicate {
            for _ in 0..<spec.copies { copies.append(release + hold(spec, &random)) }
        }
        return Disturbance(release: release, copies: copies)
    }

    /// A uniform time in the spec's range, in seconds.
    private static func hold(_ spec: DisturbSpec, _ random: inout SeededRandom) -> Double {
        let range = spec.delayMilliseconds
        guard range.upperBound > range.lowerBound else { return range.lowerBound / 1000 }
        return Double.random(in: range, using: &random) / 1000
    }
}

/// Copies of a forwarded packet, made from the bytes NFQUEUE handed over.
public enum ForwardedCopy {
    /// Whether a router forwards the packet, so that a copy of it makes sense: TTL (hop
    /// limit) above 1 (else the router answers time-exceeded), and a unicast destination
    /// beyond the link (no multicast, broadcast, link-local, loopback or unspecified
    /// address: neighbour discovery and the like stay on their link).
    public static func isForwardable(_ packet: IPPacket) -> Bool {
        guard packet.header.ttl > 1 else { return false }
        switch packet.destination {
        case .v4(let a):
            let v = a.value
            return v >> 28 != 0xE && v != 0xFFFF_FFFF && v >> 16 != 0xA9FE && v >> 24 != 127 && v >> 24 != 0
        case .v6(let a):
            return a.high >> 56 != 0xFF && a.high >> 54 != 0x3FA && !(a.high == 0 && a.low <= 1)
        }
    }

    /// The packet as this router forwards it: TTL (IPv6 hop limit) one less, the IPv4
    /// header checksum updated, everything else byte for byte. nil for a packet that is
    /// not IPv4/IPv6 or would not be forwarded (TTL 1 or less).
    public static func bytes(of packet: [UInt8]) -> [UInt8]? {
        guard let first = packet.first else { return nil }
        var copy = packet
        switch first >> 4 {
        case 4:
            let headerLength = Int(first & 0x0F) * 4
            guard headerLength >= 20, packet.count >= headerLength, copy[8] > 1 else { return nil }
            copy[8] -= 1
            copy[10] = 0
            copy[11] = 0
            let sum = InternetChecksum.compute(copy[0..<headerLength])
            copy[10] = UInt8(sum >> 8)
            copy[11] = UInt8(sum & 0xFF)
        case 6:
            guard packet.count >= 40, copy[7] > 1 else { return nil }
            copy[7] -= 1
        default:
            return nil
        }
        return copy
    }
}
