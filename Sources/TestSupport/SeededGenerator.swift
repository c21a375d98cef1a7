import Packets

/// The tests' seeded generator: the tool's SplitMix64, so a failing seed reproduces.
public typealias SeededGenerator = SplitMix64

extension SplitMix64 {
    public init(state: UInt64) { self.init(seed: state) }
}
