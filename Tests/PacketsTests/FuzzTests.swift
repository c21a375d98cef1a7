// Hostile bytes: random strings and mutations of valid packets through every parser.
// Nothing may trap; the test finishing is the main assertion. Seeds are fixed, so a
// failure reproduces; the failing input is printed in hex.
import Packets
import TestSupport
import Testing

/// Every link type the parser knows, plus the raw aliases and one it does not.
/// Every link type the parser knows (the distinct decoders first, then the raw-IP aliases),
/// and one it does not, last.
private let allLinkTypes: [LinkType] = [.null, .ethernet, .raw, .loop, .linuxSLL, .linuxSLL2,
                                        .ipv4, .ipv6, LinkType(rawValue: 12), LinkType(rawValue: 14),
                                        LinkType(rawValue: 147)]
private let firstRawAlias = 6

enum Fuzz {
    static let totalCases = 100_000
    static let shards = 8

    /// A pool of valid packets to mutate.
    static func pool(_ rng: inout SeededGenerator, count: Int) -> [[UInt8]] {
        (0..<count).map { _ in PacketGen.packet(&rng).bytes }
    }

    static func randomBytes(_ rng: inout SeededGenerator) -> [UInt8] {
        var b = rng.bytes(0...300)
        if !b.isEmpty {
            switch rng.int(0...3) {
            case 0: b[0] = 0x40 | (b[0] & 0x0F)               // IPv4, any IHL
            case 1: b[0] = 0x45
            case 2: b[0] = 0x60 | (b[0] & 0x0F)               // IPv6
            default: break
            }
        }
        if b.count > 9, rng.bool(0.5) { b[9] = rng.pick([1, 6, 17, 58, 0, 44, 43, 60]) }   // v4 protocol
        if b.count > 6, b[0] >> 4 == 6, rng.bool(0.5) { b[6] = rng.pick([0, 6, 17, 58, 43, 44, 60, 51]) }
        return b
    }

    /// Offset of the transport header for a buffer that starts with an IP header, if it can be guessed.
    static func transportOffset(_ b: [UInt8]) -> Int? {
        guard let f = b.first else { return nil }
        if f >> 4 == 4 { return Int(f & 0xF) * 4 }
        if f >> 4 == 6 { return 40 }
        return nil
    }

    static func mutate(_ original: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var b = original
        for _ in 0..<rng.int(1...3) {
            guard !b.isEmpty else { return b }
            switch rng.int(0...9) {
            case 0, 1:                                             // bit flips
                for _ in 0..<rng.int(1...8) {
                    let i = rng.int(0...(b.count - 1))
                    b[i] ^= 1 << UInt8(rng.int(0...7))
                }
            case 2:                                                // truncation
                b = Array(b.prefix(rng.int(0...b.count)))
            case 3:                                                // IP length fields
                if b[0] >> 4 == 4, b.count >= 4 {
                    let v: UInt16 = rng.pick([0, 1, 19, 20, UInt16(b.count), UInt16(b.count) + 1, UInt16(b.count) - 1, 0xFFFF, rng.u16()])
                    b[2] = UInt8(v >> 8); b[3] = UInt8(v & 0xFF)
                    if rng.bool(0.3) { b[0] = 0x40 | UInt8(rng.int(0...15)) }
                } else if b.count >= 6 {
                    let v: UInt16 = rng.pick([0, 1, 7, 8, UInt16(max(0, b.count - 40)), 0xFFFF, rng.u16()])
                    b[4] = UInt8(v >> 8); b[5] = UInt8(v & 0xFF)
                }
            case 4:                                                // transport length fields
                if let t = transportOffset(b), t + 14 <= b.count {
                    switch rng.int(0...3) {
                    case 0: b[t + 12] = UInt8(rng.int(0...15)) << 4 | (b[t + 12] & 0x0F)   // TCP data offset
                    case 1: b[t + 4] = rng.u8(); b[t + 5] = rng.u8()                         // UDP length
                    case 2: b[t + 5] = rng.u8()                                              // ICMPv4 RFC 4884 length
                    default: b[t + 4] = rng.u8()                                             // ICMPv6 RFC 4884 length
                    }
                }
            case 5:                                                // option / extension length bytes
                let i = rng.int(0...(b.count - 1))
                b[i] = rng.pick([0, 1, 2, 3, 4, 8, 10, 40, 0x7F, 0xFF])
            case 6:                                                // insert
                let i = rng.int(0...b.count)
                b.insert(contentsOf: rng.bytes(1...8), at: i)
            case 7:                                                // delete
                let i = rng.int(0...(b.count - 1))
                b.removeSubrange(i..<min(b.count, i + rng.int(1...8)))
            case 8:                                                // append junk / padding
                b += rng.bool() ? zeros(rng.int(1...20)) : rng.bytes(1...20)
            default:                                               // IPv6 next-header chain
                if b[0] >> 4 == 6, b.count > 48 {
                    b[6] = rng.pick([0, 43, 44, 60, 51, 59, 6, 17, 58])
                    b[41] = rng.u8()
                }
            }
        }
        return b
    }

    /// Every accessor of a parsed packet, recursively into ICMP quotes.
    static func exercise(_ p: IPPacket, depth: Int = 0) -> Bool {
        let wire = p.serialized(fillLengths: false, fillChecksums: false)
        _ = p.serialized()
        _ = p.headerChecksumIsValid
        _ = p.transportChecksumIsValid
        _ = p.header.ttl
        _ = p.header.headerLength
        if case .v6(let h) = p.header {
            _ = h.fragment
            _ = h.extensionHeaders.map(\.name)
        }
        switch p.transport {
        case .tcp(let t):
            _ = t.flags.letters
            _ = t.flags.tcpdumpNotation
            _ = t.options.map { ($0.name, $0.kind, $0.wireLength) }
            _ = t.headerLength
        case .tcpPrefix(let t):
            _ = (t.sourcePort, t.destinationPort, t.sequenceNumber, t.acknowledgmentNumber, t.flags, t.window, t.checksum)
        case .icmp(let m):
            exercise(m, depth: depth)
        case .udp(let u):
            _ = u.length
        case .malformed(_, let e, _):
            _ = e.description
        case .fragment, .other:
            break
        }
        // What was written can be read again.
        do {
            _ = try IPPacket.parse(wire[...], quoted: depth > 0)
        } catch {
            return false
        }
        return true
    }

    static func exercise(_ m: ICMPMessage, depth: Int) {
        _ = (m.name, m.mtu, m.identifier, m.sequence, m.isError, m.isEcho, m.originalDatagramLength)
        _ = m.quotedBytes
        if let e = m.extensions {
            _ = e.objects.map(\.mplsLabelStack)
        }
        if depth < 4, let q = m.quotedPacket {
            _ = exercise(q, depth: depth + 1)
        }
    }

    /// Runs every parser over `bytes`. Returns a complaint, or nil. Every link type parses
    /// the bytes; the one at `deepLink` also has its packet exercised in depth (the others
    /// only serialise), which keeps 100,000 cases affordable in a debug build.
    static func run(_ bytes: [UInt8], deepLink: Int = 0) -> String? {
        let slice = bytes[...]
        var plain: IPPacket?
        do {
            let p = try IPPacket.parse(slice)
            if !exercise(p) { return "re-serialised packet no longer parses" }
            plain = p
        } catch {
            let e: PacketError = error      // typed throws: nothing else can come out
            _ = e.description
        }
        do {
            let q = try IPPacket.parse(slice, quoted: true)
            if let plain {
                // Leniency for quotes only ever turns a rejection into a packet.
                if q != plain { return "quoted parse differs from plain parse" }
            } else if !exercise(q, depth: 1) {
                return "re-serialised quoted packet no longer parses"
            }
        } catch {
            _ = error.description
            if plain != nil { return "quoted parse rejects what plain parse accepts" }
        }
        // The raw-IP aliases share one decoder: each input goes through one of them, in turn.
        let alias = firstRawAlias + deepLink % (allLinkTypes.count - 1 - firstRawAlias)
        for i in 0..<allLinkTypes.count where i < firstRawAlias || i == alias || i == allLinkTypes.count - 1 {
            let lt = allLinkTypes[i]
            do {
                let f = try Frame.parse(slice, linkType: lt)
                _ = f.link
                switch f.payload {
                case .ip(let p) where i == deepLink % firstRawAlias: _ = exercise(p)
                case .ip(let p): _ = p.serialized(fillLengths: false, fillChecksums: false)
                case .notIP(let n, let b): _ = (n, b.count)
                case .undecodable(let e, _): _ = e.description
                }
            } catch {
                _ = error.description
            }
        }
        // Option parsing is total and lossless on any bytes.
        let area = slice.prefix(40)
        let opts = TCPOption.parseList(area)
        var back: [UInt8] = []
        for o in opts { o.write(into: &back) }
        if back != Array(area) { return "TCP options did not round-trip: \(opts)" }
        for fam in [ICMPMessage.Family.v4, .v6] {
            if let m = try? ICMPMessage.parse(slice, family: fam) { exercise(m, depth: 0) }
        }
        _ = ICMPExtensionStructure.parse(slice)
        _ = try? TCPSegment.parse(slice)
        _ = try? UDPDatagram.parse(slice)
        _ = try? IPv4Header.parse(slice)
        _ = try? IPv6Header.parse(slice)
        _ = TCPHeaderPrefix(bytes: bytes).acknowledgmentNumber
        // Slices that do not start at index 0.
        if bytes.count > 3 {
            let inner = slice.dropFirst(3)
            _ = try? IPPacket.parse(inner)
            _ = TCPOption.parseList(inner.prefix(40))
            _ = try? Frame.parse(inner, linkType: .ethernet)
        }
        return nil
    }
}

@Suite("Fuzzing")
struct FuzzTests {
    @Test(arguments: 0..<Fuzz.shards)
    func randomAndMutatedBytes(shard: Int) {
        var rng = SeededGenerator(seed: 0xC0FFEE_2018 &+ UInt64(shard) &* 0x9E37_79B9)
        let pool = Fuzz.pool(&rng, count: 300)
        var complaints = 0
        for i in 0..<(Fuzz.totalCases / Fuzz.shards) {
            let bytes = i % 2 == 0 ? Fuzz.randomBytes(&rng) : Fuzz.mutate(rng.pick(pool), &rng)
            if let complaint = Fuzz.run(bytes, deepLink: i / 2) {
                complaints += 1
                if complaints <= 5 { Issue.record("\(complaint) for input \(hexString(bytes))") }
            }
        }
        #expect(complaints == 0)
    }

    @Test func mutatedPacketsInsideLinkLayers() {
        var rng = SeededGenerator(seed: 0x11AA)
        let pool = Fuzz.pool(&rng, count: 200)
        for _ in 0..<5_000 {
            let lt = rng.pick([LinkType.ethernet, .linuxSLL, .linuxSLL2, .null, .loop])
            var framed = Frame.encapsulate(Fuzz.mutate(rng.pick(pool), &rng), linkType: lt)
            if rng.bool(0.2), lt == .ethernet, framed.count > 14 {     // insert VLAN tags
                framed.insert(contentsOf: [0x81, 0x00, rng.u8(), rng.u8()], at: 12)
            }
            if rng.bool(0.2) { framed = Array(framed.prefix(rng.int(0...framed.count))) }
            if let f = try? Frame.parse(framed, linkType: lt), let p = f.ip { _ = Fuzz.exercise(p) }
        }
    }

    @Test func hexDecodeRandomStrings() {
        var rng = SeededGenerator(seed: 0x4E58)
        let tokens = ["0", "1", "4", "5", "a", "f", "A", "F", "0x", "0X", " ", "  ", "\t", "\n", "\r\n", ":", "-", ",",
                      "0x0010:", "0x:", "x", "g", "é", "１", "ｆ", ".", "`", "\\", "E..,", "👍", "0x0000:  ", "::"]
        var decoded = 0
        for _ in 0..<20_000 {
            let s = (0..<rng.int(0...60)).map { _ in rng.pick(tokens) }.joined()
            do {
                let b = try Hex.decode(s)
                #expect(!b.isEmpty)
                decoded += 1
            } catch {
                _ = error.description
            }
        }
        #expect(decoded > 0)
    }

    /// tcpdump -X dumps of random bytes, with random printable ASCII columns, decode exactly.
    @Test func tcpdumpDumpsOfRandomBytes() throws {
        var rng = SeededGenerator(seed: 0xD0D0)
        for _ in 0..<2_000 {
            let bytes = rng.bytes(1...200)
            var lines: [String] = []
            var off = 0
            while off < bytes.count {
                let row = Array(bytes[off..<min(off + 16, bytes.count)])
                var groups: [String] = []
                var i = 0
                while i < row.count {
                    groups.append(hexString(Array(row[i..<min(i + 2, row.count)])))
                    i += 2
                }
                var hex = groups.joined(separator: " ")
                hex += String(repeating: " ", count: 39 - hex.count)
                let ascii = String(row.map { (0x20...0x7E).contains($0) ? Character(UnicodeScalar($0)) : "." })
                let offset = String(off, radix: 16)
                let indent = rng.bool() ? "\t" : "  "
                let withASCII = rng.bool(0.7)
                lines.append(indent + "0x" + String(repeating: "0", count: 4 - offset.count) + offset + ":  " + hex
                             + (withASCII ? "  " + ascii : ""))
                off += 16
            }
            let text = lines.joined(separator: rng.bool() ? "\n" : "\r\n")
            #expect(try Hex.decode(text) == bytes, "\(text)")
        }
    }
}
