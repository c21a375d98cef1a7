import Packets
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An offline IP-to-AS table loaded from an iptoasn.com TSV or a CAIDA Routeviews pfx2as
/// file (the format is detected from the content). Lookups are one binary search: at load,
/// overlapping ranges are cut into disjoint segments, each owned by the narrowest range
/// covering it, which for pfx2as is exactly the longest-prefix match.
public struct ASNDatabase: Sendable {
    /// The two file formats understood.
    public enum Format: String, Sendable {
        /// iptoasn.com: `range_start TAB range_end TAB AS_number TAB country TAB description`.
        case iptoasn
        /// CAIDA Routeviews prefix-to-AS: `prefix TAB length TAB ASN` (`A_B` multi-origin, `A,B` AS set).
        case pfx2as
    }

    /// A database that cannot be used, described in one sentence naming the file.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The detected format.
    public let format: Format
    /// Lines that held a valid entry (not-routed AS 0 ranges included).
    public let entryCount: Int
    /// Lines neither blank, comment nor valid, which were skipped.
    public let malformedLineCount: Int
    /// The 1-based number of the first malformed line, if any.
    public let firstMalformedLine: Int?

    struct Entry: Sendable {
        var asn: UInt32
        /// Index into `names`, or -1.
        var name: Int32
        /// Index into `countries`, or -1 when unknown.
        var country: Int16
        /// -1 for an iptoasn range.
        var prefixLength: Int16
        var isV6: Bool
        var hasMoreOrigins: Bool
        var firstHigh: UInt64, firstLow: UInt64
        var lastHigh: UInt64, lastLow: UInt64
    }

    let entries: [Entry]
    let names: [String]
    /// The distinct two-letter country codes.
    let countries: [String]
    /// Origins after the first of the few multi-origin entries, by entry index.
    let otherOrigins: [Int32: [UInt32]]
    let v4: RangeTable<UInt32>
    let v6: RangeTable<IPv6Address>

    /// Loads a database file; throws `Failure` if it cannot be read or holds no valid line.
    public init(contentsOf path: String) throws {
        try self.init(bytes: try Self.readFile(path), source: "ASN database '\(path)'")
    }

    /// Parses a database held in memory (tests, or a file already read).
    public init(text: String) throws {
        try self.init(bytes: Array(text.utf8), source: "the ASN database text")
    }

    /// Parses database bytes; `source` names them in error messages ("ASN database 'x.tsv'").
    public init(bytes: [UInt8], source: String) throws {
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B {
            throw Failure("\(source) is gzip-compressed; decompress it first (gunzip), since only plain text is read.")
        }
        let parsed = bytes.withUnsafeBufferPointer { ASNFileParser.parse($0) }
        guard let format = parsed.format, !parsed.entries.isEmpty else {
            let expected = "expected iptoasn TSV lines (start, end, AS number, country, description) or CAIDA pfx2as lines (prefix, length, AS)"
            if parsed.malformed == 0 { throw Failure("\(source) holds no entries: \(expected).") }
            let first = parsed.firstMalformed.map { ", the first at line \($0)" } ?? ""
            throw Failure("\(source) has no valid line (\(parsed.malformed) malformed\(first)): \(expected).")
        }
        self.format = format
        entries = parsed.entries
        names = parsed.names
        countries = parsed.countries
        otherOrigins = parsed.otherOrigins
        entryCount = parsed.entries.count
        malformedLineCount = parsed.malformed
        firstMalformedLine = parsed.firstMalformed
        v4 = RangeTable(parsed.v4Ranges)
        v6 = RangeTable(parsed.v6Ranges)
    }

    /// The AS announcing `address`, from the narrowest range or longest prefix holding it;
    /// nil when no entry holds it or the entry is AS 0 ("Not routed"). An IPv4-mapped IPv6
    /// address is looked up as IPv4.
    public func lookup(_ address: IPAddress) -> ASNRecord? {
        let index: Int32?
        switch address {
        case .v4(let a): index = v4.entry(for: a.value)
        case .v6(let a):
            if a.high == 0, a.low >> 32 == 0xFFFF {
                index = v4.entry(for: UInt32(truncatingIfNeeded: a.low))
            } else {
                index = v6.entry(for: a)
            }
        }
        guard let index, index >= 0, Int(index) < entries.count else { return nil }
        return record(at: Int(index))
    }

    private func record(at index: Int) -> ASNRecord? {
        let e = entries[index]
        guard e.asn != 0 else { return nil }
        let first: IPAddress, last: IPAddress
        if e.isV6 {
            first = .v6(IPv6Address(high: e.firstHigh, low: e.firstLow))
            last = .v6(IPv6Address(high: e.lastHigh, low: e.lastLow))
        } else {
            first = .v4(IPv4Address(UInt32(truncatingIfNeeded: e.firstLow)))
            last = .v4(IPv4Address(UInt32(truncatingIfNeeded: e.lastLow)))
        }
        let name = e.name >= 0 && Int(e.name) < names.count ? names[Int(e.name)] : nil
        let country = e.country >= 0 && Int(e.country) < countries.count ? countries[Int(e.country)] : nil
        var record = ASNRecord(asn: e.asn, name: name, country: country,
                               first: first, last: last, prefixLength: e.prefixLength >= 0 ? Int(e.prefixLength) : nil)
        if e.hasMoreOrigins { record.otherOrigins = otherOrigins[Int32(index)] ?? [] }
        return record
    }

    /// Number of disjoint segments the lookup tables hold (IPv4, IPv6), for diagnostics.
    public var segmentCounts: (v4: Int, v6: Int) { (v4.segmentCount, v6.segmentCount) }

    /// The whole file, or a `Failure` sentence naming it and the system's reason.
    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure("cannot open ASN database '\(path)': \(String(cString: strerror(errno))).") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure("cannot read ASN database '\(path)': \(String(cString: strerror(errno))).") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Failure("ASN database '\(path)' is not a regular file.") }
        // Today's iptoasn and pfx2as files are tens of MB; a larger one is not a database.
        guard info.st_size <= 512 << 20 else {
            throw Failure("ASN database '\(path)' is \(info.st_size) bytes; the most an ASN database may be is \(512 << 20) bytes.")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure("cannot read ASN database '\(path)': \(String(cString: strerror(errno))).")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}
