// Shared helpers for the Packets tests: random values from a seeded RNG (TestSupport's
// SeededGenerator), an independent RFC 1071 checksum, and a generator of well-formed
// packets with their expected parse.
import Packets

// MARK: - Random values

extension RandomNumberGenerator {
    mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &self) }
    mutating func u8() -> UInt8 { UInt8.random(in: .min ... .max, using: &self) }
    mutating func u16() -> UInt16 { UInt16.random(in: .min ... .max, using: &self) }
    mutating func u32() -> UInt32 { UInt32.random(in: .min ... .max, using: &self) }
    mutating func u64() -> UInt64 { next() }
    mutating func bool(_ p: Double = 0.5) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    mutating func bytes(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        var i = 0
        while i < n {
            var x = next()
            var k = 0
            while k < 8, i < n { out[i] = UInt8(truncatingIfNeeded: x); x >>= 8; i += 1; k += 1 }
        }
        return out
    }
    mutating func bytes(_ r: ClosedRange<Int>) -> [UInt8] { bytes(int(r)) }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }
}

// MARK: - Independent checksum (RFC 1071), deliberately not using InternetChecksum

/// The one's-complement of the one's-complement sum of the 16-bit big-endian words
/// of `data`, an odd trailing byte padded with zero.
func rfc1071(_ data: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var i = 0
    while i + 1 < data.count {
        sum += UInt32(data[i]) << 8 + UInt32(data[i + 1])
        sum = (sum & 0xFFFF) + (sum >> 16)
        i += 2
    }
    if i < data.count {
        sum += UInt32(data[i]) << 8
        sum = (sum & 0xFFFF) + (sum >> 16)
    }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return ~UInt16(sum)
}

func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

func v4Bytes(_ a: IPv4Address) -> [UInt8] { be32(a.value) }
func v6Bytes(_ a: IPv6Address) -> [UInt8] {
    var out: [UInt8] = []
    for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((a.high >> UInt64(shift)) & 0xFF)) }
    for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((a.low >> UInt64(shift)) & 0xFF)) }
    return out
}

/// RFC 793/768 pseudo-header for IPv4.
func pseudoHeaderV4(src: IPv4Address, dst: IPv4Address, proto: UInt8, length: Int) -> [UInt8] {
    v4Bytes(src) + v4Bytes(dst) + [0, proto] + be16(UInt16(length))
}

/// RFC 8200 §8.1 pseudo-header for IPv6.
func pseudoHeaderV6(src: IPv6Address, dst: IPv6Address, proto: UInt8, length: Int) -> [UInt8] {
    v6Bytes(src) + v6Bytes(dst) + be32(UInt32(length)) + [0, 0, 0, proto]
}

/// Transport checksum of `segment` (its checksum field at `field` treated as zero).
func independentTransportChecksum(_ segment: [UInt8], field: Int, pseudo: [UInt8]?, isUDP: Bool) -> UInt16 {
    var seg = segment
    seg[field] = 0
    seg[field + 1] = 0
    let sum = rfc1071((pseudo ?? []) + seg)
    return isUDP && sum == 0 ? 0xFFFF : sum
}

func zeros(_ n: Int) -> [UInt8] { [UInt8](repeating: 0, count: n) }

func hexString(_ b: [UInt8]) -> String { b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

// MARK: - Packet generator

/// A generated packet: the bytes `serialized()` produced and the value `IPPacket.parse`
/// must return for them (lengths and checksums filled, computed independently).
struct BuiltPacket: Sendable, CustomStringConvertible {
    var expected: IPPacket
    var bytes: [UInt8]
    /// What `transportChecksumIsValid` must say.
    var transportCheckable: Bool
    /// For ICMP errors: the quoted packet's expected parse, the quote and the extension objects.
    var quote: Quote?
    var kind: String

    /// The quoted packet as built (kept apart to avoid a recursive value type).
    struct Inner: Sendable {
        var expected: IPPacket
        var bytes: [UInt8]
    }

    struct Quote: Sendable {
        var inner: Inner
        var quoteBytes: [UInt8]       // the original-datagram field, padding included
        var innerQuoted: Int          // how many of the inner packet's bytes are quoted
        var extensionObjects: [ICMPExtensionObject]?
        var compatibilityForm: Bool
    }

    var description: String { "\(kind) \(hexString(bytes))" }
}

struct GenConfig: Sendable {
    var allowV6MoreFragments = true
    /// Ports kept in the dynamic range so that no dissector reads the payload.
    var dynamicPortsOnly = false
    var maxDepth = 1
}

enum PacketGen {
    static let namedKinds: Set<UInt8> = [0, 1, 2, 3, 4, 5, 8, 19, 28, 29, 30, 34]

    static func port<R: RandomNumberGenerator>(_ rng: inout R, _ cfg: GenConfig) -> UInt16 {
        cfg.dynamicPortsOnly ? UInt16(rng.int(49152...65535)) : (rng.bool(0.3) ? rng.pick([80, 443, 53, 22, 5222, 6667, 3478]) : rng.u16())
    }

    static func v4Address<R: RandomNumberGenerator>(_ rng: inout R) -> IPv4Address { IPv4Address(rng.u32()) }
    static func v6Address<R: RandomNumberGenerator>(_ rng: inout R) -> IPv6Address {
        switch rng.int(0...3) {
        case 0: return IPv6Address(high: 0x2001_0db8_0000_0000 | UInt64(rng.u16()), low: UInt64(rng.u16()))
        case 1: return IPv6Address(high: 0xfe80_0000_0000_0000, low: rng.u64())
        default: return IPv6Address(high: rng.u64(), low: rng.u64())
        }
    }

    // MARK: TCP options

    /// One well-formed option that parses back to itself (never EOL/trailing).
    static func option<R: RandomNumberGenerator>(_ rng: inout R) -> TCPOption {
        switch rng.int(0...13) {
        case 0: return .noOperation
        case 1: return .maximumSegmentSize(rng.u16())
        case 2: return .windowScale(rng.u8())
        case 3: return .sackPermitted
        case 4: return .sack((0..<rng.int(1...3)).map { _ in .init(left: rng.u32(), right: rng.u32()) })
        case 5: return .timestamps(value: rng.u32(), echoReply: rng.u32())
        case 6: return .md5Signature(rng.bytes(16))
        case 7: return .userTimeout(rng.u16())
        case 8: return .authentication(rng.bytes(2...16))
        case 9: return .multipath(rng.bytes(1...12))
        case 10:
            let n = rng.bool(0.3) ? 0 : rng.pick([4, 6, 8, 10, 12, 14, 16])
            return .fastOpen(cookie: rng.bytes(n))
        case 11:
            // Unknown kind.
            var k: UInt8
            repeat { k = rng.u8() } while namedKinds.contains(k)
            return .unknown(kind: k, data: rng.bytes(0...8))
        case 12:
            // A named kind with a length its RFC does not allow.
            let choices: [(UInt8, [Int])] = [(2, [0, 1, 3]), (3, [0, 2]), (4, [1, 2]), (5, [0, 3, 7]),
                                              (8, [0, 4, 9]), (19, [0, 8, 15]), (28, [0, 1, 3]),
                                              (29, [0, 1]), (30, [0]), (34, [1, 2, 3, 5, 17])]
            let (k, lens) = rng.pick(choices)
            return .unknown(kind: k, data: rng.bytes(rng.pick(lens)))
        default:
            return .noOperation
        }
    }

    /// A list as `parseList` returns it for the padded options area: its wire length is a
    /// multiple of 4 and at most 40.
    static func optionList<R: RandomNumberGenerator>(_ rng: inout R) -> [TCPOption] {
        var opts: [TCPOption] = []
        let target = rng.int(0...8)
        for _ in 0..<target {
            let o = option(&rng)
            if opts.wireLength + o.wireLength > 38 { break }
            opts.append(o)
        }
        switch rng.int(0...5) {
        case 0:
            // EOL and junk after it.
            if opts.wireLength <= 36 { opts.append(.endOfList); opts.append(.trailing(rng.bytes(1...3))) }
        case 1:
            // An option whose length byte is unusable.
            if opts.wireLength <= 36 {
                var k: UInt8
                repeat { k = rng.u8() } while k < 2
                let badLen: UInt8 = rng.pick([0, 1, 200, 255])
                opts.append(.trailing([k, badLen] + rng.bytes(0...1)))
            }
        case 2:
            if opts.wireLength <= 39 { opts.append(.endOfList) }
        default:
            break
        }
        return normalized(opts)
    }

    /// What parseList returns for `opts` once the header has padded it with zeros.
    static func normalized(_ opts: [TCPOption]) -> [TCPOption] {
        let pad = (4 - opts.wireLength % 4) % 4
        guard pad > 0 else { return opts }
        var o = opts
        if case .trailing(let b)? = o.last {
            o[o.count - 1] = .trailing(b + zeros(pad))
        } else if case .endOfList? = o.last {
            o.append(.trailing(zeros(pad)))
        } else {
            o.append(.endOfList)
            if pad > 1 { o.append(.trailing(zeros(pad - 1))) }
        }
        return o
    }

    // MARK: Headers

    static func ipv4Options<R: RandomNumberGenerator>(_ rng: inout R) -> [UInt8] {
        guard rng.bool(0.4) else { return [] }
        var o: [UInt8] = []
        for _ in 0..<rng.int(1...3) {
            var opt: [UInt8]
            switch rng.int(0...3) {
            case 0: opt = [1]                                          // NOP
            case 1: opt = [148, 4, 0, 0]                               // router alert
            case 2:                                                   // record route, empty slots
                let slots = rng.int(1...3)
                opt = [7, UInt8(3 + 4 * slots), 4] + zeros(4 * slots)
            default:                                                  // timestamp, empty slots
                let slots = rng.int(1...2)
                opt = [68, UInt8(4 + 4 * slots), 5, 0] + zeros(4 * slots)
            }
            if o.count + opt.count > 40 { break }
            o += opt
        }
        while o.count % 4 != 0 { o.append(0) }                        // EOL padding, kept as raw bytes
        return o
    }

    static func ipv4Header<R: RandomNumberGenerator>(_ rng: inout R, proto: UInt8) -> IPv4Header {
        IPv4Header(tos: rng.bool(0.7) ? 0 : rng.u8(), totalLength: 0, identification: rng.u16(),
                   flags: rng.bool() ? [.dontFragment] : [], fragmentOffset: 0, ttl: rng.u8(),
                   proto: proto, checksum: rng.u16(),   // filled by serialized()
                   source: v4Address(&rng), destination: v4Address(&rng), options: ipv4Options(&rng))
    }

    /// Options area of a hop-by-hop / destination options header, `count` bytes.
    static func tlvOptions<R: RandomNumberGenerator>(_ rng: inout R, count: Int) -> [UInt8] {
        var o: [UInt8] = []
        while o.count < count {
            let room = count - o.count
            if room == 1 { o.append(0); break }                              // Pad1
            switch rng.int(0...2) {
            case 0 where room >= 4: o += [5, 2] + be16(rng.u16())             // router alert
            case 1 where room >= 3:
                let n = rng.int(1...(room - 2)); o += [0x1e, UInt8(n)] + rng.bytes(n)   // experimental, skip
            default: o += [1, UInt8(room - 2)] + zeros(room - 2)              // PadN to the end
            }
        }
        return o
    }

    static func extensionHeaders<R: RandomNumberGenerator>(_ rng: inout R, upper: UInt8, cfg: GenConfig) -> (first: UInt8, [IPv6ExtensionHeader]) {
        var types: [UInt8] = []
        if rng.bool(0.5) {
            if rng.bool(0.4) { types.append(0) }
            if rng.bool(0.4) { types.append(60) }
            if rng.bool(0.4) { types.append(43) }
            if rng.bool(0.4) { types.append(44) }
            if rng.bool(0.2) { types.append(60) }
        }
        var exts: [IPv6ExtensionHeader] = []
        for (i, t) in types.enumerated() {
            let next = i + 1 < types.count ? types[i + 1] : upper
            var body: [UInt8]
            switch t {
            case 44:
                let more = cfg.allowV6MoreFragments && rng.bool()
                body = [0] + be16(more ? 1 : 0) + be32(rng.u32())
            case 43:
                // Routing type 0/2/253 with segments left 0: the destination field is final.
                let rtype: UInt8 = rng.pick([0, 2, 253])
                let addrs = rtype == 2 ? 1 : rng.int(1...2)
                body = [UInt8(2 * addrs), rtype, 0, 0, 0, 0, 0]
                for _ in 0..<addrs { body += v6Bytes(v6Address(&rng)) }
            default:
                let units = rng.int(0...2)
                body = [UInt8(units)] + tlvOptions(&rng, count: 6 + 8 * units)
            }
            exts.append(IPv6ExtensionHeader(type: t, nextHeader: next, body: body))
        }
        return (types.first ?? upper, exts)
    }

    static func ipv6Header<R: RandomNumberGenerator>(_ rng: inout R, proto: UInt8, cfg: GenConfig) -> IPv6Header {
        let (first, exts) = extensionHeaders(&rng, upper: proto, cfg: cfg)
        return IPv6Header(trafficClass: rng.bool(0.7) ? 0 : rng.u8(), flowLabel: rng.bool() ? 0 : rng.u32() & 0xFFFFF,
                          payloadLength: 0, nextHeader: first, hopLimit: rng.u8(),
                          source: v6Address(&rng), destination: v6Address(&rng), extensionHeaders: exts)
    }

    // MARK: Transports

    static func tcp<R: RandomNumberGenerator>(_ rng: inout R, cfg: GenConfig) -> TCPSegment {
        let flagChoices: [TCPFlags] = [[.syn], [.syn, .ack], [.rst], [.rst, .ack], [.fin, .ack], [.psh, .ack], [.ack],
                                       TCPFlags(rawValue: rng.u16() & 0x1FF)]
        return TCPSegment(sourcePort: port(&rng, cfg), destinationPort: port(&rng, cfg),
                          sequenceNumber: rng.u32(), acknowledgmentNumber: rng.bool(0.3) ? 0 : rng.u32(),
                          flags: rng.pick(flagChoices), reservedBits: rng.bool(0.9) ? 0 : UInt8(rng.int(0...7)),
                          window: rng.u16(), checksum: rng.u16(), urgentPointer: rng.bool(0.9) ? 0 : rng.u16(),
                          options: optionList(&rng), payload: rng.bool(0.4) ? [] : rng.bytes(0...80)[...])
    }

    static func udp<R: RandomNumberGenerator>(_ rng: inout R, cfg: GenConfig) -> UDPDatagram {
        UDPDatagram(sourcePort: port(&rng, cfg), destinationPort: port(&rng, cfg), length: 0,
                    checksum: rng.u16(), payload: rng.bytes(0...80)[...])
    }

    /// A packet with TCP, UDP or an ICMP echo (no quote): what an ICMP error may quote.
    static func simple<R: RandomNumberGenerator>(_ rng: inout R, v6: Bool, cfg: GenConfig) -> BuiltPacket {
        let choice = rng.int(0...2)
        let proto: UInt8 = choice == 0 ? 6 : choice == 1 ? 17 : (v6 ? 58 : 1)
        let transport: TransportLayer
        switch choice {
        case 0: transport = .tcp(tcp(&rng, cfg: cfg))
        case 1: transport = .udp(udp(&rng, cfg: cfg))
        default:
            transport = .icmp(ICMPMessage(family: v6 ? .v6 : .v4, type: v6 ? rng.pick([128, 129]) : rng.pick([8, 0]),
                                          code: 0, checksum: rng.u16(), restOfHeader: rng.u32(),
                                          body: rng.bytes(0...64)[...]))
        }
        return finish(rng: &rng, v6: v6, proto: proto, transport: transport, cfg: cfg, quote: nil, kind: "")
    }

    /// Any packet: TCP, UDP, ICMP echo, ICMP error with a quote (and extensions), other ICMP.
    static func packet<R: RandomNumberGenerator>(_ rng: inout R, cfg: GenConfig = GenConfig()) -> BuiltPacket {
        let v6 = rng.bool()
        switch rng.int(0...5) {
        case 0, 1: return simple(&rng, v6: v6, cfg: cfg)
        case 2, 3, 4: return icmpError(&rng, v6: v6, cfg: cfg)
        default:
            // Some other ICMP type with an arbitrary body.
            let type: UInt8 = v6 ? rng.pick([133, 134, 135, 136, 200]) : rng.pick([13, 14, 9, 10, 42])
            let m = ICMPMessage(family: v6 ? .v6 : .v4, type: type, code: rng.bool(0.8) ? 0 : rng.u8(),
                                checksum: rng.u16(), restOfHeader: rng.u32(), body: rng.bytes(0...40)[...])
            return finish(rng: &rng, v6: v6, proto: v6 ? 58 : 1, transport: .icmp(m), cfg: cfg, quote: nil, kind: "")
        }
    }

    static func icmpError<R: RandomNumberGenerator>(_ rng: inout R, v6: Bool, cfg: GenConfig) -> BuiltPacket {
        let inner = simple(&rng, v6: v6, cfg: cfg)
        let innerHL = inner.expected.header.headerLength
        // How much of the inner packet is quoted: header + 8 bytes, everything, or something between.
        let minQ = min(inner.bytes.count, innerHL + 8)
        let quoted: Int
        switch rng.int(0...2) {
        case 0: quoted = minQ
        case 1: quoted = inner.bytes.count
        default: quoted = rng.int(minQ...inner.bytes.count)
        }
        var quote = Array(inner.bytes.prefix(quoted))

        let type: UInt8, code: UInt8
        var rest: UInt32 = 0
        if v6 {
            type = rng.pick([1, 2, 3, 4])
            code = type == 1 ? UInt8(rng.int(0...6)) : type == 3 ? UInt8(rng.int(0...1)) : type == 4 ? UInt8(rng.int(0...2)) : 0
            if type == 2 { rest = UInt32(rng.int(1280...9000)) }
            if type == 4 { rest = UInt32(rng.int(0...60)) }
        } else {
            type = rng.pick([3, 11, 12, 4, 5])
            code = type == 3 ? UInt8(rng.int(0...15)) : type == 11 ? UInt8(rng.int(0...1)) : type == 5 ? UInt8(rng.int(0...3)) : 0
            if type == 3, code == 4 { rest = UInt32(rng.int(68...1500)) }
            if type == 12 { rest = UInt32(rng.int(0...40)) << 24 }
            if type == 5 { rest = rng.u32() }
        }
        let rfc4884Types: Bool = v6 ? (type == 1 || type == 3) : (type == 3 || type == 11 || type == 12)
        var objects: [ICMPExtensionObject]? = nil
        var compat = false
        var body: [UInt8]
        if rfc4884Types, rng.bool(0.5) {
            var objs: [ICMPExtensionObject] = []
            for _ in 0..<rng.int(1...2) {
                if rng.bool(0.7) {
                    let depth = rng.int(1...3)
                    objs.append(.mpls((0..<depth).map { i in
                        MPLSLabelStackEntry(label: rng.u32() & 0xFFFFF, trafficClass: UInt8(rng.int(0...7)),
                                            bottomOfStack: i == depth - 1, ttl: rng.u8())
                    }))
                } else {
                    // Interface information object (RFC 5837) with an arbitrary payload.
                    objs.append(ICMPExtensionObject(classNumber: 2, classType: rng.u8(), payload: rng.bytes(4 * rng.int(1...4))))
                }
            }
            let ext = ICMPExtensionStructure.build(objects: objs)
            let unit = v6 ? 8 : 4
            compat = !v6 && rng.bool(0.3) && !(ext[2] == 0 && ext[3] == 0) && quote.count <= 128
            if compat {
                quote += zeros(128 - quote.count)        // pre-RFC 4884: 128 bytes, length field 0
            } else {
                var padded = max(128, quote.count)
                padded = (padded + unit - 1) / unit * unit
                quote += zeros(padded - quote.count)
                let words = UInt32(quote.count / unit)
                rest |= v6 ? words << 24 : words << 16
            }
            objects = objs
            body = quote + ext
        } else {
            if rfc4884Types, rng.bool(0.3) {
                // RFC 4884 length without extensions.
                let unit = v6 ? 8 : 4
                quote += zeros((quote.count + unit - 1) / unit * unit - quote.count)
                let words = UInt32(quote.count / unit)
                rest |= v6 ? words << 24 : words << 16
            }
            body = quote
        }
        let m = ICMPMessage(family: v6 ? .v6 : .v4, type: type, code: code, checksum: rng.u16(),
                            restOfHeader: rest, body: body[...])
        let q = BuiltPacket.Quote(inner: .init(expected: inner.expected, bytes: inner.bytes), quoteBytes: quote, innerQuoted: quoted,
                                  extensionObjects: objects, compatibilityForm: compat)
        return finish(rng: &rng, v6: v6, proto: v6 ? 58 : 1, transport: .icmp(m), cfg: cfg, quote: q, kind: "icmp-error ")
    }

    /// Wraps `transport` in a random IP header, serialises with `serialized()` and works
    /// out the expected parse with lengths and checksums computed independently.
    static func finish<R: RandomNumberGenerator>(rng: inout R, v6: Bool, proto: UInt8, transport: TransportLayer,
                                                 cfg: GenConfig, quote: BuiltPacket.Quote?, kind: String) -> BuiltPacket {
        let original: IPPacket = v6
            ? IPPacket(ipv6Header(&rng, proto: proto, cfg: cfg), transport)
            : IPPacket(ipv4Header(&rng, proto: proto), transport)
        let bytes = original.serialized()

        var expected = original
        let hl = original.header.headerLength
        let l4 = Array(bytes[hl...])
        var pseudo: [UInt8]? = nil
        var transportCheckable = true
        switch original.header {
        case .v4(var h):
            h.totalLength = UInt16(bytes.count)
            var hb = Array(bytes[0..<hl]); hb[10] = 0; hb[11] = 0
            h.checksum = rfc1071(hb)
            expected.header = .v4(h)
            pseudo = pseudoHeaderV4(src: h.source, dst: h.destination, proto: proto, length: l4.count)
        case .v6(var h):
            h.payloadLength = UInt16(bytes.count - 40)
            expected.header = .v6(h)
            pseudo = pseudoHeaderV6(src: h.source, dst: h.destination, proto: proto, length: l4.count)
            if let f = h.fragment, f.more { transportCheckable = false }
        }
        var kindName = kind
        switch transport {
        case .tcp(var t):
            t.checksum = independentTransportChecksum(l4, field: 16, pseudo: pseudo, isUDP: false)
            expected.transport = .tcp(t)
            kindName += "tcp"
        case .udp(var u):
            u.length = UInt16(8 + u.payload.count)
            u.checksum = independentTransportChecksum(l4, field: 6, pseudo: pseudo, isUDP: true)
            expected.transport = .udp(u)
            kindName += "udp"
        case .icmp(var m):
            m.checksum = independentTransportChecksum(l4, field: 2, pseudo: v6 ? pseudo : nil, isUDP: false)
            expected.transport = .icmp(m)
            kindName += v6 ? "icmpv6 \(m.type)/\(m.code)" : "icmp \(m.type)/\(m.code)"
        default:
            transportCheckable = false
        }
        return BuiltPacket(expected: expected, bytes: bytes, transportCheckable: transportCheckable,
                           quote: quote, kind: (v6 ? "v6 " : "v4 ") + kindName)
    }
}
