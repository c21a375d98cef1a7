import Analysis
import Foundation
import Packets

/// `--asn FILE`: load time and lookups per second of the offline ASN database. When FILE
/// does not exist, a synthetic database shaped like the real one is written there first:
/// iptoasn-combined (~70% IPv4 ranges of /24…/18 size with "Not routed" gaps, ~30% IPv6
/// /32…/48 ranges, ~70k ASNs with long descriptions) or pfx2as (nested prefixes: /16s
/// holding more-specific /24s, some multi-origin), `lines` lines.
enum ASNBenchmark {
    static func run(path: String, lines: Int, format: String, lookups: Int, runs: Int) {
        if !FileManager.default.fileExists(atPath: path) {
            let start = ContinuousClock.now
            let text = format == "pfx2as" ? pfx2as(lines: lines) : iptoasn(lines: lines)
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                say("error: cannot write \(path)")
                exit(1)
            }
            say(String(format: "wrote synthetic %@ database %@ (%d lines, %.1f MiB) in %.2f s", format, path, lines,
                       Double(text.utf8.count) / 1_048_576, seconds(ContinuousClock.now - start)))
        }
        var bestLoad = Double.infinity
        var database: ASNDatabase?
        for _ in 0..<max(1, runs) {
            let start = ContinuousClock.now
            do { database = try ASNDatabase(contentsOf: path) } catch {
                say("error: \(error)")
                exit(1)
            }
            bestLoad = min(bestLoad, seconds(ContinuousClock.now - start))
        }
        guard let database else { exit(1) }
        let lineCount = database.entryCount + database.malformedLineCount
        let segments = database.segmentCounts
        say(String(format: "load (%@, %d entries, %d malformed, %d+%d segments): %.3f s, %.2f M lines/s (best of %d)",
                   database.format.rawValue, database.entryCount, database.malformedLineCount, segments.v4, segments.v6,
                   bestLoad, Double(lineCount) / bestLoad / 1e6, max(1, runs)))

        // Addresses a trace meets: 80% IPv4 anywhere in 1.0.0.0–223.255.255.255, 20% IPv6 in 2000::/4.
        var rng = SyntheticRNG(seed: 64500)
        let addresses: [IPAddress] = (0..<lookups).map { _ in
            let r = rng.next()
            if r % 5 == 0 { return .v6(IPv6Address(high: 0x2000_0000_0000_0000 | (rng.next() >> 8), low: rng.next())) }
            return .v4(IPv4Address(0x0100_0000 + UInt32(truncatingIfNeeded: r >> 32) % 0xDF00_0000))
        }
        var bestLookup = Double.infinity
        var hits = 0, checksum: UInt64 = 0
        for _ in 0..<max(1, runs) {
            let start = ContinuousClock.now
            hits = 0
            checksum = 0
            for a in addresses {
                if let record = database.lookup(a) {
                    hits += 1
                    checksum &+= UInt64(record.asn)
                }
            }
            bestLookup = min(bestLookup, seconds(ContinuousClock.now - start))
        }
        say(String(format: "%d lookups: %.3f s, %.2f M lookups/s, %d hits (checksum %llu)",
                   lookups, bestLookup, Double(lookups) / bestLookup / 1e6, hits, checksum))
        say(String(format: "peak RSS of the benchmark process: %.0f MiB", peakRSSMiB()))
    }

    static let countries = ["US", "RU", "DE", "CN", "BR", "IN", "GB", "FR", "JP", "NL", "IR", "TR", "UA", "KZ", "ID", "ZA"]
    static let words = ["TELECOM", "NET", "BROADBAND", "HOSTING", "CLOUD", "TRANSIT", "ISP", "MOBILE", "DATA", "FIBER", "UNIVERSITY", "BACKBONE"]

    static func name(_ asn: UInt32, _ rng: inout SyntheticRNG) -> String {
        let w1 = words[Int(rng.next() % UInt64(words.count))], w2 = words[Int(rng.next() % UInt64(words.count))]
        return "AS\(asn)-\(w1) \(w2.capitalized) Communications Ltd."
    }

    /// iptoasn-combined: IPv4 ranges from 1.0.0.0 upwards, then IPv6 ranges from 2001::.
    static func iptoasn(lines: Int) -> String {
        var rng = SyntheticRNG(seed: 13335)
        let asnCount = 70_000
        var names: [String] = []
        names.reserveCapacity(asnCount)
        for i in 0..<asnCount { names.append(name(UInt32(1000 + i), &rng)) }
        var out = ""
        out.reserveCapacity(lines * 60)
        let v4Lines = lines * 7 / 10
        var next: UInt64 = 0x0100_0000
        for _ in 0..<v4Lines {
            let size = UInt64(256) << (rng.next() % 7)
            let first = next, last = min(next + size - 1, 0xDFFF_FFFF)
            if rng.next() % 10 == 0 {
                out += "\(IPv4Address(UInt32(first)))\t\(IPv4Address(UInt32(last)))\t0\tNone\tNot routed\n"
            } else {
                let i = Int(rng.next() % UInt64(asnCount))
                out += "\(IPv4Address(UInt32(first)))\t\(IPv4Address(UInt32(last)))\t\(1000 + i)\t\(countries[i % countries.count])\t\(names[i])\n"
            }
            next = last >= 0xDFFF_FFFF ? 0x0100_0000 : last + 1
        }
        var high: UInt64 = 0x2001_0000_0000_0000
        for _ in v4Lines..<lines {
            let span = UInt64(1) << (16 - rng.next() % 17)   // /32 … /48 in units of /48
            let first = IPv6Address(high: high, low: 0), last = IPv6Address(high: high + span * 0x1_0000 - 1, low: .max)
            let i = Int(rng.next() % UInt64(asnCount))
            out += "\(first)\t\(last)\t\(1000 + i)\t\(countries[i % countries.count])\t\(names[i])\n"
            high += span * 0x1_0000 * (1 + rng.next() % 2)
        }
        return out
    }

    /// pfx2as: each /16 announced, with a few more-specific /24s inside, some multi-origin.
    static func pfx2as(lines: Int) -> String {
        var rng = SyntheticRNG(seed: 174)
        var out = ""
        out.reserveCapacity(lines * 24)
        var count = 0
        var block: UInt32 = 0x0100
        while count < lines {
            out += "\(IPv4Address(block << 16))\t16\t\(1000 + rng.next() % 70_000)\n"
            count += 1
            for _ in 0..<Int(rng.next() % 12) where count < lines {
                let sub = (block << 16) | UInt32(rng.next() % 256) << 8
                let asn = 1000 + rng.next() % 70_000
                out += "\(IPv4Address(sub))\t24\t\(asn)" + (rng.next() % 50 == 0 ? "_\(asn + 1)" : "") + "\n"
                count += 1
            }
            block = block >= 0xDFFF ? 0x0100 : block + 1
        }
        return out
    }
}
