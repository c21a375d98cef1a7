import Capture
import Foundation
import Packets
import TestSupport
import Testing

/// Builds pcapng bytes by hand, in either byte order.
struct PcapngBuilder {
    var bigEndian: Bool
    var bytes: [UInt8] = []

    func u16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian, Array.init) }
    func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian, Array.init) }
    func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian, Array.init) }
    func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4) }
    func option(_ code: UInt16, _ value: [UInt8]) -> [UInt8] { u16(code) + u16(UInt16(value.count)) + padded(value) }
    var endOfOptions: [UInt8] { [0, 0, 0, 0] }

    mutating func block(_ type: UInt32, _ body: [UInt8]) {
        let body = padded(body)
        let length = UInt32(12 + body.count)
        bytes += u32(type) + u32(length) + body + u32(length)
    }

    mutating func section(major: UInt16 = 1) {
        block(0x0A0D_0D0A, u32(0x1A2B_3C4D) + u16(major) + u16(0) + u64(.max)
            + option(4, Array("builder".utf8)) + endOfOptions)
    }

    mutating func interface(_ linkType: UInt16, snaplen: UInt32 = 0, options: [[UInt8]] = []) {
        block(1, u16(linkType) + u16(0) + u32(snaplen) + (options.isEmpty ? [] : options.joined() + endOfOptions))
    }

    mutating func packet(interface: UInt32, units: UInt64, data: [UInt8], original: UInt32? = nil, comment: String? = nil) {
        var body = u32(interface) + u32(UInt32(units >> 32)) + u32(UInt32(truncatingIfNeeded: units))
            + u32(UInt32(data.count)) + u32(original ?? UInt32(data.count)) + padded(data)
        if let comment { body += option(1, Array(comment.utf8)) + endOfOptions }
        block(6, body)
    }
}

@Suite("pcapng files")
struct PcapngFileTests {
    /// Packets on two interfaces, some with comments.
    static func mixedPackets() -> [CapturedPacket] {
        var packets = samplePackets(300)
        for i in packets.indices where i % 3 == 1 {
            let sll = Frame.encapsulate(Array(sampleFrame(i).dropFirst(14)), linkType: .linuxSLL)
            packets[i] = CapturedPacket(timestamp: packets[i].timestamp, linkType: .linuxSLL, data: sll[...],
                                        originalLength: sll.count + i % 5, interfaceIndex: 1)
        }
        for i in packets.indices where i % 4 == 0 {
            packets[i].comment = i == 0 ? "injected RST: TTL 58, genuine 52 — évidence ✓" : "probe \(i)"
        }
        return packets
    }

    static func writeMixed(_ path: String) throws -> [CapturedPacket] {
        let packets = mixedPackets()
        let writer = try PcapngWriter(path: path)
        #expect(try writer.addInterface(linkType: .ethernet, name: "eth0") == 0)
        #expect(try writer.addInterface(linkType: .linuxSLL, name: "any", snaplen: 0) == 1)
        for p in packets { try writer.write(p) }
        try writer.close()
        return packets
    }

    @Test("PcapngWriter round trips timestamps, bytes, lengths, interfaces and comments")
    func roundTrip() throws {
        let path = temporaryPath("roundtrip.pcapng")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let packets = try Self.writeMixed(path)
        var reader = try CaptureFileReader(path: path)
        #expect(reader.format == .pcapng)
        #expect(reader.linkType == .ethernet)
        var read: [CapturedPacket] = []
        while let p = try reader.next() { read.append(p) }
        try #require(read.count == packets.count)
        for (i, (a, b)) in zip(read, packets).enumerated() where a != b {
            Issue.record("packet \(i) differs: read \(a), wrote \(b)")
        }
        #expect(read[0].comment == "injected RST: TTL 58, genuine 52 — évidence ✓")
        #expect(try read[1].decode().ip != nil)
    }

    @Test("tshark reads our pcapng and shows the packet comments",
          .enabled(if: findTool("tshark") != nil, "tshark is not installed"))
    func tsharkShowsComments() throws {
        let path = temporaryPath("tshark.pcapng")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let packets = try Self.writeMixed(path)
        let tshark = try #require(findTool("tshark"))
        let result = try runTool(tshark, ["-r", path, "-T", "fields", "-E", "separator=|",
                                          "-e", "frame.time_epoch", "-e", "frame.interface_id", "-e", "frame.comment"])
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == packets.count)
        for (line, packet) in zip(lines, packets) {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            #expect(fields.count == 3)
            #expect(fields.first == packet.timestamp.description)
            #expect(fields.dropFirst().first == String(packet.interfaceIndex))
            #expect(fields.last == (packet.comment ?? ""))
        }
    }

    @Test("A big-endian pcapng reads correctly")
    func bigEndian() throws {
        var b = PcapngBuilder(bigEndian: true)
        b.section()
        b.interface(1, snaplen: 65535, options: [b.option(2, Array("en0".utf8))])  // default resolution: µs
        let frame = sampleFrame(9)
        b.packet(interface: 0, units: 1_600_000_000_123_456, data: frame, original: 1514, comment: "big")
        var reader = try CaptureFileReader(bytes: b.bytes)
        #expect(reader.format == .pcapng && reader.linkType == .ethernet)
        let p = try #require(try reader.next())
        #expect(p.timestamp == CaptureTimestamp(seconds: 1_600_000_000, nanoseconds: 123_456_000))
        #expect(Array(p.data) == frame && p.originalLength == 1514 && p.comment == "big")
        #expect(try p.decode().ip != nil)
        #expect(try reader.next() == nil)
    }

    @Test("Two interfaces, resolutions 10^-6, 10^-9 and 2^-20, offsets, other block types, two sections")
    func interfacesAndBlocks() throws {
        var b = PcapngBuilder(bigEndian: false)
        b.section()
        b.interface(113, options: [b.option(9, [6])])
        b.interface(1, options: [b.option(9, [9]), b.option(14, b.u64(100))])
        b.interface(101, options: [b.option(9, [0x80 | 20])])
        b.block(4, b.u16(1) + b.u16(8) + [10, 0, 0, 1] + Array("a.b\0".utf8) + [0, 0, 0, 0])  // name resolution
        b.packet(interface: 0, units: 1_000_000_500_000, data: [1, 2, 3])
        b.packet(interface: 1, units: 2_000_000_000_000_000_007, data: [4, 5, 6, 7, 8], original: 60)
        b.packet(interface: 2, units: 3 << 20 | 1 << 19, data: [9])
        b.block(5, b.u32(0) + b.u32(0) + b.u32(0))                   // interface statistics
        b.block(0x0000_0BAD, b.u32(32473) + [1, 2, 3, 4, 5])         // custom
        b.block(0x4000_0BAD, b.u32(32473))                           // custom, not to be copied
        b.block(0x1234_5678, [0xFF, 0xFF])                           // unknown
        b.block(3, b.u32(10) + [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])      // simple packet, interface 0
        var obsolete = b.u16(1) + b.u16(0) + b.u32(0) + b.u32(1_000_000_123) + b.u32(2) + b.u32(2) + [0xAA, 0xBB, 0, 0]
        obsolete += b.option(1, Array("old".utf8)) + b.endOfOptions
        b.block(2, obsolete)                                         // obsolete packet block
        // A second section in the other byte order restarts interface numbering.
        var be = PcapngBuilder(bigEndian: true)
        be.section()
        be.interface(228, options: [be.option(9, [3])])
        be.packet(interface: 0, units: 42_001, data: [0x45])

        var reader = try CaptureFileReader(bytes: b.bytes + be.bytes, name: "multi.pcapng")
        #expect(reader.linkType == .linuxSLL)
        var read: [CapturedPacket] = []
        while let p = try reader.next() { read.append(p) }
        try #require(read.count == 6)
        #expect(read[0].timestamp == CaptureTimestamp(seconds: 1_000_000, nanoseconds: 500_000_000))
        #expect(read[0].linkType == .linuxSLL && read[0].interfaceIndex == 0 && Array(read[0].data) == [1, 2, 3])
        #expect(read[1].timestamp == CaptureTimestamp(seconds: 2_000_000_100, nanoseconds: 7))
        #expect(read[1].linkType == .ethernet && read[1].interfaceIndex == 1 && read[1].originalLength == 60)
        #expect(read[2].timestamp == CaptureTimestamp(seconds: 3, nanoseconds: 500_000_000))
        #expect(read[2].linkType == .raw && read[2].interfaceIndex == 2)
        #expect(read[3].timestamp == CaptureTimestamp(seconds: 0, nanoseconds: 0))
        #expect(Array(read[3].data) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] && read[3].linkType == .linuxSLL)
        #expect(read[4].interfaceIndex == 1 && read[4].linkType == .ethernet && Array(read[4].data) == [0xAA, 0xBB])
        #expect(read[4].comment == "old" && read[4].timestamp == CaptureTimestamp(seconds: 101, nanoseconds: 123))
        #expect(read[5].linkType == .ipv4 && read[5].interfaceIndex == 0)
        #expect(read[5].timestamp == CaptureTimestamp(seconds: 42, nanoseconds: 1_000_000))
    }

    // MARK: Hostile input

    @Test("A pcapng cut at every byte offset gives its complete packets and then .truncated")
    func truncatedEverywhere() throws {
        let path = temporaryPath("cut.pcapng")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapngWriter(path: path)
        try writer.addInterface(linkType: .ethernet)
        try writer.addInterface(linkType: .linuxSLL)
        for p in Self.mixedPackets().prefix(5) { try writer.write(p) }
        try writer.close()
        let whole = fileBytes(path)
        let full = CaptureFileReader.readAll(bytes: whole)
        #expect(full.error == nil && full.packets.count == 5)
        var boundaries: Set<Int> = []
        var offset = 0
        while offset < whole.count {
            offset += Int(whole[offset + 4]) | Int(whole[offset + 5]) << 8 | Int(whole[offset + 6]) << 16
            boundaries.insert(offset)
        }
        for n in 0...whole.count {
            let (packets, error) = CaptureFileReader.readAll(bytes: Array(whole.prefix(n)), name: "cut")
            #expect(packets == Array(full.packets.prefix(packets.count)))
            switch error {
            case nil: #expect(boundaries.contains(n), "clean end at \(n)")
            case .notACaptureFile?: #expect(n < 4)
            case .truncated(_, let at, let read)?:
                #expect(!boundaries.contains(n) && read == packets.count && at <= n)
            default: Issue.record("unexpected error at \(n): \(String(describing: error))")
            }
        }
    }

    @Test("A block length of 0xFFFFFFF0 is rejected after the packets before it")
    func hugeBlockLength() throws {
        var b = PcapngBuilder(bigEndian: false)
        b.section()
        b.interface(1)
        b.packet(interface: 0, units: 1, data: [1, 2, 3, 4])
        let at = b.bytes.count
        b.bytes += b.u32(6) + b.u32(0xFFFF_FFF0) + [UInt8](repeating: 0, count: 40)
        let (packets, error) = CaptureFileReader.readAll(bytes: b.bytes, name: "huge.pcapng")
        #expect(packets.count == 1)
        guard case .malformedBlock(_, let offset, _)? = error else {
            Issue.record("expected malformedBlock, got \(String(describing: error))")
            return
        }
        #expect(offset == at)
        #expect(error?.description.hasPrefix("huge.pcapng is damaged at byte offset \(at): a block claims") == true)
    }

    @Test("Malformed blocks throw errors, not traps")
    func malformedBlocks() throws {
        func read(_ edit: (inout PcapngBuilder) -> Void) -> (packets: Int, error: CaptureFileError?) {
            var b = PcapngBuilder(bigEndian: false)
            b.section()
            b.interface(1)
            b.packet(interface: 0, units: 1, data: [1])
            edit(&b)
            let result = CaptureFileReader.readAll(bytes: b.bytes)
            return (result.packets.count, result.error)
        }
        func isMalformed(_ e: CaptureFileError?) -> Bool { if case .malformedBlock? = e { return true }; return false }
        // Length not a multiple of 4, and too short.
        #expect(isMalformed(read { $0.bytes += $0.u32(6) + $0.u32(13) + [UInt8](repeating: 0, count: 9) }.error))
        #expect(isMalformed(read { $0.bytes += $0.u32(6) + $0.u32(8) + [UInt8](repeating: 0, count: 4) }.error))
        // Trailing length differs from the leading one.
        #expect(isMalformed(read { $0.bytes += $0.u32(6) + $0.u32(32) + [UInt8](repeating: 0, count: 20) + $0.u32(36) }.error))
        // Unknown interface; captured length beyond the block; option beyond the block.
        #expect(isMalformed(read { $0.packet(interface: 5, units: 0, data: []) }.error))
        #expect(isMalformed(read { $0.block(6, $0.u32(0) + $0.u32(0) + $0.u32(0) + $0.u32(100) + $0.u32(100) + [1, 2, 3, 4]) }.error))
        #expect(isMalformed(read { $0.block(6, $0.u32(0) + $0.u32(0) + $0.u32(0) + $0.u32(0) + $0.u32(0) + $0.u16(1) + $0.u16(200)) }.error))
        // A bad byte-order magic in a later section; a packet before any interface.
        #expect(isMalformed(read { $0.block(0x0A0D_0D0A, $0.u32(0x11223344) + [UInt8](repeating: 0, count: 12)) }.error))
        #expect(isMalformed(read { $0.section(); $0.packet(interface: 0, units: 0, data: []) }.error))
        #expect(read { $0.section(); $0.packet(interface: 0, units: 0, data: []) }.packets == 1)
        // An impossible timestamp resolution.
        #expect(isMalformed(read { $0.interface(1, options: [$0.option(9, [40])]) }.error))
        // Version 2 of the format.
        var v2 = PcapngBuilder(bigEndian: true)
        v2.section(major: 2)
        #expect(throws: CaptureFileError.unsupportedVersion(path: "<memory>", format: "pcapng", major: 2, minor: 0)) {
            try CaptureFileReader(bytes: v2.bytes)
        }
    }

    @Test("Random bytes behind a valid section header magic, and damaged real files, never crash the reader")
    func fuzz() throws {
        var rng = SeededGenerator(state: 7)
        for i in 0..<4000 {
            var bytes: [UInt8] = [0x0A, 0x0D, 0x0D, 0x0A]
            if i % 2 == 0 { bytes += [28, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0] }
            bytes += (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = CaptureFileReader.readAll(bytes: bytes)
        }
        let path = temporaryPath("fuzz.pcapng")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapngWriter(path: path)
        try writer.addInterface(linkType: .ethernet)
        try writer.addInterface(linkType: .linuxSLL)
        for p in Self.mixedPackets().prefix(12) { try writer.write(p) }
        try writer.close()
        let whole = fileBytes(path)
        for _ in 0..<4000 {
            var damaged = whole
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                damaged[Int.random(in: 0..<damaged.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            let (packets, _) = CaptureFileReader.readAll(bytes: damaged)
            #expect(packets.count <= 12)
        }
    }

    @Test("Writer errors: unknown interface, wrong link type; long comments are cut at a character")
    func writerEdges() throws {
        let path = temporaryPath("w.pcapng")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapngWriter(path: path, application: "tests")
        var packet = samplePackets(1)[0]
        #expect(throws: CaptureFileError.self) { try writer.write(packet) }
        try writer.addInterface(linkType: .linuxSLL)
        #expect(throws: CaptureFileError.self) { try writer.write(packet) }
        packet.linkType = .linuxSLL
        packet.comment = String(repeating: "é", count: 40_000)  // 80,000 UTF-8 bytes
        try writer.write(packet)
        try writer.close()
        let (packets, error) = CaptureFileReader.readAll(path: path)
        #expect(error == nil && packets.count == 1)
        #expect(packets.first?.comment == String(repeating: "é", count: 32_767))
    }
}
