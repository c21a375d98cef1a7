import Foundation
import FuzzHarnesses
import Testing

/// The fuzzers' harnesses over their seed corpora (Fuzz/Corpus) and seeded mutations of
/// them, in the ordinary test build: a parser that traps on one of these fails the run
/// (it takes the test process down), without the fuzzer's instrumentation.
@Suite struct CorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus")

    static func seeds(_ harness: Harness) -> [[UInt8]] {
        let dir = corpus.appendingPathComponent(harness.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().compactMap { name in
            (try? Data(contentsOf: dir.appendingPathComponent(name))).map { [UInt8]($0) }
        }
    }

    @Test("every harness has seeds", arguments: Harness.allCases)
    func seeded(_ harness: Harness) {
        #expect(!Self.seeds(harness).isEmpty, "Fuzz/Corpus/\(harness.rawValue) is empty: run Fuzz/make-corpus.py")
    }

    @Test("seeds and 3,000 mutations of them parse or are refused", arguments: Harness.allCases)
    func mutations(_ harness: Harness) {
        let seeds = Self.seeds(harness)
        for seed in seeds { harness.run(seed) }
        guard !seeds.isEmpty else { return }
        var mutator = Mutator(seed: UInt64(harness.rawValue.utf8.reduce(5381) { ($0 &* 33) &+ UInt64($1) }))
        for _ in 0..<3_000 {
            harness.run(mutator.mutate(seeds, maxLength: 1 << 16))
        }
    }

    @Test("the mutator is deterministic and changes its input")
    func mutatorWorks() {
        let seeds: [[UInt8]] = [Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8)]
        var a = Mutator(seed: 7), b = Mutator(seed: 7)
        let first = (0..<50).map { _ in a.mutate(seeds, maxLength: 4096) }
        #expect(first == (0..<50).map { _ in b.mutate(seeds, maxLength: 4096) })
        #expect(first.contains { $0 != seeds[0] })
        #expect(first.allSatisfy { $0.count <= 4096 })
    }
}

/// libFuzzer's simplest mutations (flip, replace with a boundary value, insert, erase,
/// duplicate a range, splice two seeds), deterministic from a seed.
struct Mutator {
    var state: UInt64

    init(seed: UInt64) { state = seed | 1 }

    mutating func next(_ bound: Int) -> Int {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return bound <= 0 ? 0 : Int(state % UInt64(bound))
    }

    mutating func mutate(_ seeds: [[UInt8]], maxLength: Int) -> [UInt8] {
        var bytes = seeds[next(seeds.count)]
        for _ in 0...next(4) {
            let at = next(bytes.count + 1)
            switch next(7) {
            case 0 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] ^= UInt8(1 << next(8))
            case 1 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] = [0, 0xff, 0x7f, 0x80, 1, 0x20, 0x22, 0x5b][next(8)]
            case 2: bytes.insert(contentsOf: Array(repeating: UInt8(next(256)), count: 1 + next(64)), at: at)
            case 3: bytes.removeSubrange(at..<min(bytes.count, at + 1 + next(32)))
            case 4:
                let end = min(bytes.count, at + 1 + next(64))
                bytes.insert(contentsOf: Array(bytes[at..<end]), at: next(bytes.count + 1))
            case 5:
                let other = seeds[next(seeds.count)]
                let cut = next(other.count + 1)
                bytes = Array(bytes[..<at]) + other[cut...]
            default: bytes = Array(bytes[..<at])
            }
        }
        return Array(bytes.prefix(maxLength))
    }
}
