import Packets
import Testing
@testable import Analysis

/// A small deterministic generator, so a failure reproduces.
struct ASNTestRNG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
}

@Suite struct ASNRobustnessTests {
    /// The segment table against a brute-force scan: for every point, the narrowest range
    /// holding it, the earliest entry on ties.
    @Test func rangeTableMatchesBruteForce() {
        var rng = ASNTestRNG(state: 7)
        for round in 0..<300 {
            var ranges: [KeyedRange<UInt32>] = []
            for i in 0..<(1 + rng.below(12)) {
                let a = UInt32(rng.below(200)), b = UInt32(rng.below(200))
                ranges.append(KeyedRange(start: min(a, b), end: max(a, b), entry: Int32(i)))
            }
            let table = RangeTable(ranges)
            for point in UInt32(0)...210 {
                let expected = ranges.filter { $0.start <= point && point <= $0.end }
                    .min { ($0.end - $0.start, $0.entry) < ($1.end - $1.start, $1.entry) }?.entry
                #expect(table.entry(for: point) == expected, "round \(round) point \(point)")
            }
        }
    }

    @Test func rangeTableAtTheEdgesOfTheSpace() {
        let v4 = RangeTable([KeyedRange<UInt32>(start: 0, end: .max, entry: 0), KeyedRange(start: .max, end: .max, entry: 1),
                             KeyedRange(start: 0, end: 0, entry: 2)])
        #expect(v4.entry(for: 0) == 2 && v4.entry(for: 1) == 0 && v4.entry(for: .max) == 1 && v4.entry(for: .max - 1) == 0)
        let top = IPv6Address(high: .max, low: .max)
        let v6 = RangeTable([KeyedRange(start: IPv6Address(high: 0, low: 0), end: top, entry: 0),
                             KeyedRange(start: IPv6Address(high: 5, low: .max), end: IPv6Address(high: 6, low: 0), entry: 1)])
        #expect(v6.entry(for: top) == 0)
        #expect(v6.entry(for: IPv6Address(high: 6, low: 0)) == 1)
        #expect(v6.entry(for: IPv6Address(high: 5, low: .max - 1)) == 0)
        #expect(v6.entry(for: IPv6Address(high: 6, low: 1)) == 0)
    }

    /// The byte parsers agree with the Packets parsers on random strings from the alphabet
    /// addresses are written in, and on every address's canonical text.
    @Test func addressParsersAgreeWithPackets() {
        var rng = ASNTestRNG(state: 11)
        let alphabet = Array("0123456789abcdefABCDEFg:.:.:".utf8)
        for _ in 0..<40_000 {
            let length = rng.below(46)
            let bytes = (0..<length).map { _ in alphabet[rng.below(alphabet.count)] }
            let text = String(decoding: bytes, as: UTF8.self)
            bytes.withUnsafeBufferPointer { b in
                #expect(AddressText.ipv6(b) == IPv6Address(text), "\(text)")
                #expect(AddressText.ipv4(b) == IPv4Address(text).map(\.value), "\(text)")
            }
        }
        for _ in 0..<5_000 {
            // Sparse addresses, so `::` compression and IPv4-mapped forms come up.
            var words = (0..<8).map { _ in rng.below(3) == 0 ? UInt16(truncatingIfNeeded: rng.next()) : 0 }
            if rng.below(10) == 0 { words = [0, 0, 0, 0, 0, 0xFFFF] + words.suffix(2) }
            let a = IPv6Address(high: words[0..<4].reduce(0) { $0 << 16 | UInt64($1) }, low: words[4..<8].reduce(0) { $0 << 16 | UInt64($1) })
            let text = Array(a.description.utf8)
            #expect(text.withUnsafeBufferPointer { AddressText.ipv6($0) } == a, "\(a)")
            let v4 = IPv4Address(UInt32(truncatingIfNeeded: rng.next()))
            #expect(Array(v4.description.utf8).withUnsafeBufferPointer { AddressText.ipv4($0) } == v4.value)
        }
    }

    /// Valid lines mutated with hostile bytes, and plain noise: loading never traps, counts
    /// add up, and every answer's range holds the address asked about.
    @Test func hostileLinesNeverTrap() throws {
        var rng = ASNTestRNG(state: 2018)
        let seeds = (ASNSamples.iptoasn + "\n" + ASNSamples.pfx2as).split(separator: "\n").map { Array($0.utf8) }
        let hostile: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x20, 0x23, 0x2C, 0x2E, 0x2F, 0x3A, 0x5F, 0x7F, 0x80, 0xC2, 0xFF, 0x30, 0x39]
        for round in 0..<400 {
            var bytes: [UInt8] = []
            for _ in 0..<(1 + rng.below(20)) {
                var line = seeds[rng.below(seeds.count)]
                for _ in 0..<rng.below(4) where !line.isEmpty {
                    let at = rng.below(line.count)
                    switch rng.below(4) {
                    case 0: line[at] = hostile[rng.below(hostile.count)]
                    case 1: line.remove(at: at)
                    case 2: line.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                    default: line.insert(contentsOf: line[at...].prefix(6), at: at)
                    }
                }
                if rng.below(8) == 0 { line = (0..<rng.below(80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
                bytes += line + [0x0A]
            }
            let lineCount = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
            do {
                let db = try ASNDatabase(bytes: bytes, source: "fuzz round \(round)")
                #expect(db.entryCount + db.malformedLineCount <= lineCount)
                for _ in 0..<50 {
                    let address: IPAddress = rng.below(2) == 0
                        ? .v4(IPv4Address(0x0100_0000 | UInt32(truncatingIfNeeded: rng.next()) & 0x0000_FFFF))
                        : .v6(IPv6Address(high: 0x2001_0200_0000_0000 | rng.next() >> 40, low: rng.next()))
                    if let r = db.lookup(address) {
                        #expect(r.asn != 0)
                        #expect(contains(r.first, r.last, address), "\(address) outside \(r.range)")
                        #expect(r.origins.first == r.asn)
                    }
                }
            } catch let failure as ASNDatabase.Failure {
                #expect(failure.description.hasPrefix("fuzz round \(round) "))
            }
        }
    }

    private func contains(_ first: IPAddress, _ last: IPAddress, _ a: IPAddress) -> Bool {
        switch (first, last, a) {
        case let (.v4(f), .v4(l), .v4(x)): return f <= x && x <= l
        case let (.v6(f), .v6(l), .v6(x)): return f <= x && x <= l
        default: return false
        }
    }
}
