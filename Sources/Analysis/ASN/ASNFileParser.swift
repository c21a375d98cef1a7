import Packets

/// One pass over a database file's lines. The first line valid in either format fixes the
/// format; after that a line of the other format counts as malformed, like any other.
struct ASNFileParser {
    var format: ASNDatabase.Format?
    var entries: [ASNDatabase.Entry] = []
    var names: [String] = []
    var nameIndex: [String: Int32] = [:]
    var otherOrigins: [Int32: [UInt32]] = [:]
    var countries: [String] = []
    var countryIndex: [UInt16: Int16] = [:]
    var v4Ranges: [KeyedRange<UInt32>] = []
    var v6Ranges: [KeyedRange<IPv6Address>] = []
    var malformed = 0
    var firstMalformed: Int?

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ASNFileParser {
        var parser = ASNFileParser()
        var fields: [Range<Int>] = []
        fields.reserveCapacity(8)
        var lineStart = 0, lineNumber = 0
        while lineStart < bytes.count {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let next = lineEnd + 1
            var end = lineEnd
            if end > lineStart, bytes[end - 1] == 0x0D { end -= 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<end])
            lineStart = next
            let trimmed = trim(line, 0..<line.count)
            if trimmed.isEmpty || line[trimmed.lowerBound] == UInt8(ascii: "#") { continue }
            split(line, into: &fields)
            if !parser.add(line, fields) {
                parser.malformed += 1
                if parser.firstMalformed == nil { parser.firstMalformed = lineNumber }
            }
        }
        return parser
    }

    /// Fields separated by tabs (iptoasn descriptions contain spaces); a line without a tab
    /// is split on runs of spaces, which some pfx2as copies use.
    static func split(_ line: UnsafeBufferPointer<UInt8>, into fields: inout [Range<Int>]) {
        fields.removeAll(keepingCapacity: true)
        let separator: UInt8 = line.contains(0x09) ? 0x09 : 0x20
        var start = 0
        for i in 0..<line.count where line[i] == separator {
            if separator == 0x09 || i > start { fields.append(trim(line, start..<i)) }
            start = i + 1
        }
        if separator == 0x09 || line.count > start { fields.append(trim(line, start..<line.count)) }
        if separator == 0x20 { fields.removeAll { $0.isEmpty } }
    }

    static func trim(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        var a = r.lowerBound, b = r.upperBound
        while a < b, line[a] == 0x20 || line[a] == 0x09 { a += 1 }
        while b > a, line[b - 1] == 0x20 || line[b - 1] == 0x09 { b -= 1 }
        return a..<b
    }

    /// Adds the line's entry; false if it is valid in neither (or not in the chosen) format.
    mutating func add(_ line: UnsafeBufferPointer<UInt8>, _ fields: [Range<Int>]) -> Bool {
        func field(_ i: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: line[fields[i]]) }
        if fields.count >= 4, format != .pfx2as {
            guard let entry = iptoasnEntry(line, fields, field) else { return false }
            format = .iptoasn
            append(entry)
            return true
        }
        if fields.count == 3, format != .iptoasn {
            guard let entry = pfx2asEntry(field(0), field(1), field(2)) else { return false }
            format = .pfx2as
            append(entry)
            return true
        }
        return false
    }

    private struct Parsed {
        var entry: ASNDatabase.Entry
        var origins: [UInt32]
    }

    private mutating func iptoasnEntry(_ line: UnsafeBufferPointer<UInt8>, _ fields: [Range<Int>],
                                       _ field: (Int) -> UnsafeBufferPointer<UInt8>) -> Parsed? {
        guard let first = Self.rangeBound(field(0)), let last = Self.rangeBound(field(1)),
              let asn = AddressText.decimal(field(2)) else { return nil }
        var e = ASNDatabase.Entry(asn: asn, name: -1, country: country(field(3)), prefixLength: -1,
                                  isV6: false, hasMoreOrigins: false, firstHigh: 0, firstLow: 0, lastHigh: 0, lastLow: 0)
        switch (first, last) {
        case let (.v4(a), .v4(b)):
            guard a.value <= b.value else { return nil }
            e.firstLow = UInt64(a.value)
            e.lastLow = UInt64(b.value)
        case let (.v6(a), .v6(b)):
            guard a <= b else { return nil }
            e.isV6 = true
            (e.firstHigh, e.firstLow, e.lastHigh, e.lastLow) = (a.high, a.low, b.high, b.low)
        default:
            return nil
        }
        // The description is everything after the fourth field (a stray tab in it becomes "?").
        if fields.count >= 5 {
            let description = Self.trim(line, fields[4].lowerBound..<line.count)
            if !description.isEmpty { e.name = intern(UnsafeBufferPointer(rebasing: line[description])) }
        }
        return Parsed(entry: e, origins: [asn])
    }

    private func pfx2asEntry(_ prefix: UnsafeBufferPointer<UInt8>, _ lengthText: UnsafeBufferPointer<UInt8>,
                             _ asText: UnsafeBufferPointer<UInt8>) -> Parsed? {
        guard let address = AddressText.address(prefix), let length = AddressText.decimal(lengthText),
              let origins = Self.origins(asText), let asn = origins.first else { return nil }
        var e = ASNDatabase.Entry(asn: asn, name: -1, country: -1, prefixLength: 0, isV6: false,
                                  hasMoreOrigins: origins.count > 1, firstHigh: 0, firstLow: 0, lastHigh: 0, lastLow: 0)
        switch address {
        case .v4(let a):
            guard length <= 32 else { return nil }
            let host: UInt32 = length == 0 ? .max : (length >= 32 ? 0 : UInt32.max >> length)
            e.firstLow = UInt64(a.value & ~host)
            e.lastLow = UInt64(a.value | host)
        case .v6(let a):
            guard length <= 128 else { return nil }
            let hostHigh: UInt64 = length >= 64 ? 0 : (length == 0 ? .max : UInt64.max >> UInt64(length))
            let hostLow: UInt64 = length <= 64 ? .max : (length >= 128 ? 0 : UInt64.max >> UInt64(length - 64))
            e.isV6 = true
            (e.firstHigh, e.firstLow) = (a.high & ~hostHigh, a.low & ~hostLow)
            (e.lastHigh, e.lastLow) = (a.high | hostHigh, a.low | hostLow)
        }
        e.prefixLength = Int16(length)
        return Parsed(entry: e, origins: origins)
    }

    private mutating func append(_ parsed: Parsed) {
        let index = Int32(truncatingIfNeeded: entries.count)
        let e = parsed.entry
        entries.append(e)
        if e.hasMoreOrigins { otherOrigins[index] = Array(parsed.origins.dropFirst()) }
        if e.isV6 {
            v6Ranges.append(KeyedRange(start: IPv6Address(high: e.firstHigh, low: e.firstLow),
                                       end: IPv6Address(high: e.lastHigh, low: e.lastLow), entry: index))
        } else {
            v4Ranges.append(KeyedRange(start: UInt32(truncatingIfNeeded: e.firstLow),
                                       end: UInt32(truncatingIfNeeded: e.lastLow), entry: index))
        }
    }

    /// An iptoasn bound: an address, or (ip2asn-v4-u32.tsv) an IPv4 address as a decimal number.
    static func rangeBound(_ b: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        if !b.contains(UInt8(ascii: ".")), !b.contains(UInt8(ascii: ":")) {
            return AddressText.decimal(b).map { .v4(IPv4Address($0)) }
        }
        return AddressText.address(b)
    }

    /// pfx2as origins: `64500`, multi-origin `64500_64501`, AS set `64500,64501` (mixed too).
    static func origins(_ b: UnsafeBufferPointer<UInt8>) -> [UInt32]? {
        var out: [UInt32] = []
        var start = 0
        for i in 0...b.count where i == b.count || b[i] == UInt8(ascii: "_") || b[i] == UInt8(ascii: ",") {
            guard let asn = AddressText.decimal(UnsafeBufferPointer(rebasing: b[start..<i])) else { return nil }
            out.append(asn)
            start = i + 1
        }
        return out.isEmpty ? nil : out
    }

    /// Index of a two-letter country code; anything else ("None", "", "Unknown") is -1.
    private mutating func country(_ b: UnsafeBufferPointer<UInt8>) -> Int16 {
        guard b.count == 2 else { return -1 }
        func letter(_ c: UInt8) -> Bool { (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) }
        guard letter(b[0]), letter(b[1]) else { return -1 }
        let packed = UInt16(b[0]) << 8 | UInt16(b[1])
        if let i = countryIndex[packed] { return i }
        let i = Int16(truncatingIfNeeded: countries.count)   // at most 52 * 52 codes
        countries.append(String(decoding: b, as: UTF8.self))
        countryIndex[packed] = i
        return i
    }

    /// One String per distinct description; control characters become '?' so a hostile
    /// file cannot send escape sequences to the terminal.
    private mutating func intern(_ b: UnsafeBufferPointer<UInt8>) -> Int32 {
        var name = String(decoding: b, as: UTF8.self)
        // C0 and DEL are single bytes; C1 controls (U+0080–U+009F) are encoded 0xC2 0x80–0x9F.
        if b.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }) {
            name = String(String.UnicodeScalarView(name.unicodeScalars.map {
                $0.properties.generalCategory == .control ? "?" : $0
            }))
        }
        if let i = nameIndex[name] { return i }
        let i = Int32(truncatingIfNeeded: names.count)
        names.append(name)
        nameIndex[name] = i
        return i
    }
}
