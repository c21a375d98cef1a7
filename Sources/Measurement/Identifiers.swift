import Packets
import Probing

/// Where a measurement's identifiers come from (sequence numbers, IP IDs, echo ids, source
/// ports, trace seeds, transaction ids). Seeded, so a run can be repeated probe for probe:
/// the same seed, target and source give the same packets, which is what lets a recorded
/// run be replayed through the engine.
public struct IdentifierSource: Sendable {
    private var generator: SplitMix64
    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        generator = SplitMix64(seed: seed)
    }

    /// A source seeded from the system's generator. Seeds stay below 2^53, so the JSON
    /// number that records one reads back exactly everywhere.
    public static func random() -> IdentifierSource {
        var system = SystemRandomNumberGenerator()
        return IdentifierSource(seed: system.next() & (1 << 53 - 1))
    }

    public mutating func next<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type = T.self) -> T {
        T.random(in: T.min...T.max, using: &generator)
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A source port from above the kernel's ephemeral range.
    public mutating func sourcePort() -> UInt16 { UInt16.random(in: SourcePorts.range, using: &generator) }

    /// A seed for something that draws its own randomness (a ClientHello, a campaign item).
    public mutating func childSeed() -> UInt64 { generator.next() }
}

/// Source ports come from above the kernel's ephemeral range (32768–60999), so a probe's
/// port is never one of the host's own connections.
public enum SourcePorts {
    public static let range: ClosedRange<UInt16> = 61000...65535

    /// The i-th port of a run starting at `first`, wrapping within the range (past 4536
    /// probes ports repeat; the sequence numbers still keep probes apart).
    public static func port(_ first: UInt16, _ i: Int) -> UInt16 {
        let base = Int(max(first, range.lowerBound)) - Int(range.lowerBound)
        let size = Int(range.upperBound) - Int(range.lowerBound) + 1
        return UInt16(Int(range.lowerBound) + (base + i) % size)
    }
}

/// Consecutive source ports for one measurement's probes.
public struct SourcePortCounter: Sendable {
    public let first: UInt16
    public private(set) var offset = 0

    public init(first: UInt16) { self.first = first }

    public mutating func next() -> UInt16 {
        defer { offset += 1 }
        return SourcePorts.port(first, offset)
    }
}
