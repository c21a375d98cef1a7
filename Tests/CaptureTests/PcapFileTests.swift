import Capture
import Foundation
import ChildProcess
import Packets
import TestSupport
import Testing

// MARK: - Shared helpers (also used by PcapngFileTests)

/// `<repo>/../shared/centrace-sample`, located from this source file.
let centraceDirectory = Repository.root.deletingLastPathComponent().appendingPathComponent("shared/centrace-sample").path

let centraceAvailable = FileManager.default.fileExists(atPath: centraceDirectory)

/// The absolute path of a tool on PATH (plus the sbin directories), if installed.
func findTool(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/usr/local/bin"]
    return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs a tool and returns its exit status and standard output.
func runTool(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let r = Subprocess.run([tool] + arguments, timeout: 120)
    return (r.status, r.stdout)
}

/// A fresh path in the temporary directory.
func temporaryPath(_ suffix: String) -> String {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("censorscope-\(UUID().uuidString)-\(suffix)").path
}

/// A minimal IPv4/UDP packet inside an Ethernet frame, `extra` payload bytes long.
func sampleFrame(_ seed: Int, extra: Int = 8) -> [UInt8] {
    var ip: [UInt8] = [0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, UInt8(seed & 0xFF)]
    ip += [0x30, 0x39, 0x00, 0x35, 0, UInt8(8 + extra), 0, 0] + (0..<extra).map { UInt8(truncatingIfNeeded: $0 &+ seed) }
    let total = ip.count
    ip[2] = UInt8(total >> 8)
    ip[3] = UInt8(total & 0xFF)
    return Frame.encapsulate(ip, linkType: .ethernet)
}

func samplePackets(_ count: Int, linkType: LinkType = .ethernet) -> [CapturedPacket] {
    (0..<count).map { i in
        CapturedPacket(timestamp: CaptureTimestamp(seconds: 1_700_000_000 + Int64(i), nanoseconds: UInt32(i * 123_456_789 % 1_000_000_000)),
                       linkType: linkType, data: sampleFrame(i, extra: i % 7 * 13)[...],
                       originalLength: nil)
    }
}

func fileBytes(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path) ?? Data()) }

/// Builds pcap bytes by hand in either byte order.
func pcapBytes(bigEndian: Bool, nanosecond: Bool = false, linkType: UInt32 = 1, major: UInt16 = 2,
               records: [(sec: UInt32, frac: UInt32, incl: UInt32, orig: UInt32, data: [UInt8])]) -> [UInt8] {
    func u16(_ v: UInt16) -> [UInt8] { let b = withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian, Array.init); return b }
    func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian, Array.init) }
    var out = u32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4) + u16(major) + u16(4) + u32(0) + u32(0) + u32(65535) + u32(linkType)
    for r in records { out += u32(r.sec) + u32(r.frac) + u32(r.incl) + u32(r.orig) + r.data }
    return out
}

// MARK: - Real captures

/// Packet counts as printed by `tcpdump -nn -r FILE | wc -l`, and each file's link type.
let centraceFiles: [(name: String, packets: Int, linkType: LinkType)] = [
    ("103.93.208.20_bisexual.org_bisexual.org.pcap", 183, .linuxSLL),
    ("103.93.208.20_bisexual.org_example.com.pcap", 217, .linuxSLL),
    ("188.65.24.82_www.nifty.org_example.com.pcap", 215, .linuxSLL),
    ("188.65.24.82_www.nifty.org_www.nifty.org.pcap", 163, .linuxSLL),
    ("195.64.201.42_psiphon.ca_example.com_0.pcap", 243, .ethernet),
    ("195.64.201.42_psiphon.ca_psiphon.ca_0.pcap", 381, .ethernet),
    ("221.120.163.243_quora.com_example.com.pcap", 227, .linuxSLL),
    ("221.120.163.243_quora.com_quora.com.pcap", 87, .linuxSLL),
    ("222.138.4.221_archive.org_archive.org.pcap", 183, .linuxSLL),
    ("222.138.4.221_archive.org_example.com.pcap", 157, .linuxSLL),
    ("85.209.148.79_bridges.torproject.org_bridges.torproject.org.pcap", 209, .linuxSLL),
    ("85.209.148.79_bridges.torproject.org_example.com.pcap", 217, .linuxSLL),
    ("91.199.201.114_www.bitcomet.com_example.com.pcap", 145, .linuxSLL),
    ("91.199.201.114_www.bitcomet.com_www.bitcomet.com.pcap", 167, .linuxSLL),
]

@Suite("pcap files")
struct PcapFileTests {
    @Test("CenTrace captures read completely and decode to IP",
          .enabled(if: centraceAvailable, "the CenTrace sample directory ../shared/centrace-sample is absent"),
          arguments: centraceFiles.map(\.name))
    func centraceCapture(name: String) throws {
        let expected = try #require(centraceFiles.first { $0.name == name })
        let path = centraceDirectory + "/" + name
        let (packets, error) = CaptureFileReader.readAll(path: path)
        #expect(error == nil)
        #expect(packets.count == expected.packets)
        let reader = try CaptureFileReader(path: path)
        #expect(reader.format == .pcap(nanosecond: false))
        #expect(reader.linkType == expected.linkType)
        for (i, packet) in packets.enumerated() {
            #expect(packet.linkType == expected.linkType)
            #expect(packet.data.count <= packet.originalLength)
            let frame = try packet.decode()
            guard case .ip = frame.payload else {
                Issue.record("packet \(i + 1) of \(name) is not IP: \(frame.payload)")
                continue
            }
        }
        #expect(packets.map(\.timestamp) == packets.map(\.timestamp).sorted())
    }

    @Test("Every CenTrace capture has as many packets as tcpdump prints",
          .enabled(if: centraceAvailable, "the CenTrace sample directory ../shared/centrace-sample is absent"))
    func centraceAgainstTcpdump() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: centraceDirectory)
            .filter { $0.hasSuffix(".pcap") }.sorted()
        #expect(!names.isEmpty)
        let tcpdump = findTool("tcpdump")
        for name in names {
            let path = centraceDirectory + "/" + name
            let (packets, error) = CaptureFileReader.readAll(path: path)
            #expect(error == nil, "\(name)")
            if let known = centraceFiles.first(where: { $0.name == name }) {
                #expect(packets.count == known.packets, "\(name)")
            }
            if let tcpdump {
                let result = try runTool(tcpdump, ["-nn", "-r", path])
                let lines = result.output.split(separator: "\n").count
                #expect(packets.count == lines, "\(name): tcpdump prints \(lines) packets")
            } else if centraceFiles.first(where: { $0.name == name }) == nil {
                Issue.record("\(name) has no recorded packet count and tcpdump is not installed")
            }
        }
    }

    // MARK: Round trips

    @Test("PcapWriter round trips", arguments: [true, false])
    func roundTrip(nanosecond: Bool) throws {
        let path = temporaryPath("roundtrip.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var packets = samplePackets(2000)
        packets.append(CapturedPacket(timestamp: CaptureTimestamp(seconds: 5, nanoseconds: 999_999_999),
                                      linkType: .ethernet, data: [], originalLength: 1500))
        let writer = try PcapWriter(path: path, linkType: .ethernet, nanosecond: nanosecond)
        for p in packets { try writer.write(p) }
        try writer.close()
        try writer.close()  // a second close does nothing

        var reader = try CaptureFileReader(path: path)
        #expect(reader.format == .pcap(nanosecond: nanosecond))
        #expect(reader.linkType == .ethernet)
        var read: [CapturedPacket] = []
        while let p = try reader.next() { read.append(p) }
        #expect(try reader.next() == nil)
        #expect(read.count == packets.count)
        for (a, b) in zip(packets, read) {
            let ns = nanosecond ? a.timestamp.nanoseconds : a.timestamp.nanoseconds / 1000 * 1000
            #expect(b.timestamp == CaptureTimestamp(seconds: a.timestamp.seconds, nanoseconds: ns))
            #expect(b.data == a.data)
            #expect(b.originalLength == a.originalLength)
            #expect(b.linkType == .ethernet)
            #expect(b.interfaceIndex == 0 && b.comment == nil)
        }
        #expect(reader.packetsRead == packets.count)
    }

    @Test("tcpdump reads what PcapWriter writes", .enabled(if: findTool("tcpdump") != nil, "tcpdump is not installed"),
          arguments: [true, false])
    func tcpdumpReadsOurFiles(nanosecond: Bool) throws {
        let path = temporaryPath("tcpdump.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapWriter(path: path, linkType: .ethernet, nanosecond: nanosecond)
        for p in samplePackets(25) { try writer.write(p) }
        try writer.close()
        let result = try runTool(try #require(findTool("tcpdump")), ["-nn", "--nano", "-tt", "-r", path])
        let lines = result.output.split(separator: "\n")
        #expect(result.status == 0)
        #expect(lines.count == 25)
        #expect(lines.first?.hasPrefix("1700000000.000000000 IP 10.0.0.1.12345 > 10.0.0.0.53") == true)
        #expect(lines.dropFirst().first?.hasPrefix(nanosecond ? "1700000001.123456789" : "1700000001.123456000") == true)
    }

    @Test("Snap length cuts packets and keeps the original length")
    func snaplen() throws {
        let path = temporaryPath("snap.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapWriter(path: path, linkType: .raw, snaplen: 20)
        try writer.write(data: [UInt8](repeating: 7, count: 100), timestamp: CaptureTimestamp(seconds: 1, nanoseconds: 2))
        try writer.close()
        let (packets, error) = CaptureFileReader.readAll(path: path)
        #expect(error == nil)
        #expect(packets.first?.data.count == 20 && packets.first?.originalLength == 100)
        #expect(packets.first?.linkType == .raw)
    }

    @Test("Big-endian pcap, nanosecond and microsecond, link type without FCS bits", arguments: [true, false])
    func bigEndian(nanosecond: Bool) throws {
        let frame = sampleFrame(3)
        let bytes = pcapBytes(bigEndian: true, nanosecond: nanosecond, linkType: 0x1000_0001, records: [
            (1_600_000_000, 999, UInt32(frame.count), 1514, frame),
            (1_600_000_001, 0, 0, 0, []),
        ])
        var reader = try CaptureFileReader(bytes: bytes, name: "be.pcap")
        #expect(reader.format == .pcap(nanosecond: nanosecond))
        #expect(reader.linkType == .ethernet)
        let first = try #require(try reader.next())
        #expect(first.timestamp == CaptureTimestamp(seconds: 1_600_000_000, nanoseconds: nanosecond ? 999 : 999_000))
        #expect(Array(first.data) == frame && first.originalLength == 1514)
        #expect(try first.decode().ip != nil)
        let second = try #require(try reader.next())
        #expect(second.data.isEmpty)
        #expect(try reader.next() == nil)
    }

    @Test("An out-of-range microsecond field carries into the seconds")
    func microsecondOverflow() throws {
        let bytes = pcapBytes(bigEndian: false, records: [(10, 2_500_000, 1, 1, [0])])
        let (packets, error) = CaptureFileReader.readAll(bytes: bytes)
        #expect(error == nil)
        #expect(packets.first?.timestamp == CaptureTimestamp(seconds: 12, nanoseconds: 500_000_000))
    }

    // MARK: Hostile input

    @Test("A pcap cut at every byte offset gives its complete packets and then .truncated")
    func truncatedEverywhere() throws {
        let path = temporaryPath("cut.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapWriter(path: path, linkType: .ethernet)
        for p in samplePackets(4) { try writer.write(p) }
        try writer.close()
        let whole = fileBytes(path)
        let full = CaptureFileReader.readAll(bytes: whole)
        #expect(full.error == nil && full.packets.count == 4)
        var boundaries: Set<Int> = [24]
        var offset = 24
        for p in full.packets { offset += 16 + p.data.count; boundaries.insert(offset) }
        #expect(offset == whole.count)

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

    @Test("A huge incl_len is rejected after the packets before it")
    func hugeRecordLength() throws {
        let frame = sampleFrame(1)
        let bytes = pcapBytes(bigEndian: false, records: [
            (1, 0, UInt32(frame.count), UInt32(frame.count), frame),
            (2, 0, 0xFFFF_FFFF, 0xFFFF_FFFF, [1, 2, 3, 4]),
        ])
        var reader = try CaptureFileReader(bytes: bytes, name: "huge.pcap")
        #expect(try reader.next() != nil)
        let error = #expect(throws: CaptureFileError.self) { try reader.next() }
        #expect(error == .malformedBlock(path: "huge.pcap", offset: 24 + 16 + frame.count, reason:
            "packet 2 claims 4294967295 captured bytes, more than the 262144 this file allows"))
        // Later calls repeat the error instead of reading on.
        #expect(throws: error!) { try reader.next() }

        // A plausible length that runs past the end is a truncation.
        let short = pcapBytes(bigEndian: false, records: [(1, 0, 1000, 1000, [1, 2, 3])])
        #expect(CaptureFileReader.readAll(bytes: short).error == .truncated(path: "<memory>", offset: 24, packetsRead: 0))
    }

    @Test("Random bytes behind a valid pcap magic never crash the reader")
    func randomBytes() {
        var rng = SeededGenerator(state: 42)
        let magics: [[UInt8]] = [[0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0x4D, 0x3C, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D]]
        for i in 0..<4000 {
            var bytes = magics[i % 4]
            bytes += i % 3 == 0 ? [2, 0, 4, 0] : [0, 2, 0, 4]  // a valid version half the time
            bytes += (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let (packets, _) = CaptureFileReader.readAll(bytes: bytes)
            for p in packets { #expect(p.data.count <= 0x40000) }
        }
    }

    @Test("Errors describe the problem in one sentence")
    func errorDescriptions() throws {
        let text = Array("hello world\n".utf8)
        #expect(throws: CaptureFileError.notACaptureFile(path: "t.txt", firstBytes: Array(text.prefix(8)))) {
            try CaptureFileReader(bytes: text, name: "t.txt")
        }
        #expect(CaptureFileError.notACaptureFile(path: "t.txt", firstBytes: Array(text.prefix(8))).description
            == "t.txt is not a pcap or pcapng file (it starts with 0x68656c6c6f20776f).")
        #expect(CaptureFileError.truncated(path: "a.pcap", offset: 1234, packetsRead: 41).description
            == "a.pcap ends in the middle of the record at byte offset 1234: the file is truncated; the 41 packets before it were read.")
        #expect(throws: CaptureFileError.unsupportedVersion(path: "<memory>", format: "pcap", major: 3, minor: 4)) {
            try CaptureFileReader(bytes: pcapBytes(bigEndian: false, major: 3, records: []))
        }
        let missing = CaptureFileReader.readAll(path: "/nonexistent/x.pcap")
        #expect(missing.error?.description == "Cannot read the capture file /nonexistent/x.pcap: No such file or directory.")
        #expect(CaptureFileReader.readAll(path: "/tmp").error?.description == "The capture file /tmp is a directory, not a file.")
        #expect(CaptureFileReader.readAll(path: "/dev/zero").error?.description == "The capture file /dev/zero is a device, not a file.")
    }

    @Test("Writer errors: unwritable path, wrong link type, write after close")
    func writerErrors() throws {
        #expect(throws: CaptureFileError.self) { try PcapWriter(path: "/nonexistent/dir/x.pcap", linkType: .ethernet) }
        let path = temporaryPath("w.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapWriter(path: path, linkType: .ethernet)
        #expect(throws: CaptureFileError.self) { try writer.write(samplePackets(1, linkType: .linuxSLL)[0]) }
        try writer.close()
        #expect(throws: CaptureFileError.writeFailed(path: path, reason: "the file was already closed")) {
            try writer.write(samplePackets(1)[0])
        }
        #expect(CaptureFileReader.readAll(path: path).packets.isEmpty)
    }
}
