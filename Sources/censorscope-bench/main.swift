import Capture
import Decoding
import Foundation
import Packets

// Parse throughput of the packet layer on a large synthetic pcap, next to tcpdump -r.
// Usage: censorscope-bench [--packets N] [--runs R] [--file PATH] [--keep] [--parse-only]
//        censorscope-bench --correlate [--probes N] [--runs R]   (correlator throughput, see CorrelateBenchmark)
//        censorscope-bench --asn FILE [--asn-lines N] [--asn-format iptoasn|pfx2as] [--lookups N] [--runs R]
//            (ASN database load and lookups; FILE is generated when missing, see ASNBenchmark)
// Build in release mode: swift build -c release --product censorscope-bench

struct Options {
    var packets = 5_000_000
    var runs = 5
    var file = "/tmp/censorscope-bench.pcap"
    var keep = false
    /// Parse an existing file instead of writing one, and skip the comparisons (for profiling).
    var parseOnly = false
    /// Measure the correlator instead of the parser.
    var correlate = false
    var probes = 200_000
    /// Measure the ASN database instead: this file, generated when missing.
    var asnFile: String?
    var asnLines = 500_000
    var asnFormat = "iptoasn"
    var lookups = 1_000_000

    init(_ args: [String]) {
        var it = args.dropFirst().makeIterator()
        while let a = it.next() {
            switch a {
            case "--packets": packets = Int(it.next() ?? "") ?? packets
            case "--runs": runs = Int(it.next() ?? "") ?? runs
            case "--file": file = it.next() ?? file
            case "--keep": keep = true
            case "--parse-only": parseOnly = true; keep = true
            case "--correlate": correlate = true
            case "--probes": probes = Int(it.next() ?? "") ?? probes
            case "--asn": asnFile = it.next()
            case "--asn-lines": asnLines = Int(it.next() ?? "") ?? asnLines
            case "--asn-format": asnFormat = it.next() ?? asnFormat
            case "--lookups": lookups = Int(it.next() ?? "") ?? lookups
            default:
                say("usage: censorscope-bench [--packets N] [--runs R] [--file PATH] [--keep] [--parse-only] | --correlate [--probes N] [--runs R] | --asn FILE [--asn-lines N] [--asn-format iptoasn|pfx2as] [--lookups N] [--runs R]")
                exit(64)
            }
        }
    }
}

/// Unbuffered, so progress shows while the slow comparisons run.
func say(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func peakRSSMiB() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}

/// Runs a shell command with stdout to /dev/null; returns wall seconds, or nil if it failed.
func timeCommand(_ command: String) -> Double? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command + " >/dev/null 2>&1"]
    let start = ContinuousClock.now
    guard (try? p.run()) != nil else { return nil }
    p.waitUntilExit()
    return p.terminationStatus == 0 ? seconds(ContinuousClock.now - start) : nil
}

let options = Options(CommandLine.arguments)
if options.correlate {
    CorrelateBenchmark.run(probes: options.probes, runs: options.runs)
    exit(0)
}
if let asnFile = options.asnFile {
    ASNBenchmark.run(path: asnFile, lines: options.asnLines, format: options.asnFormat, lookups: options.lookups, runs: options.runs)
    exit(0)
}
say("censorscope-bench: \(options.packets) synthetic Ethernet/IPv4 packets, best of \(options.runs) runs, one core")

// 1. Write the capture.
let writeStart = ContinuousClock.now
if !options.parseOnly { do {
    let writer = try PcapWriter(path: options.file, linkType: .ethernet, nanosecond: false)
    var traffic = SyntheticTraffic(seed: 2018)
    for i in 0..<options.packets {
        let f = traffic.frame()
        try writer.write(data: f, timestamp: CaptureTimestamp(seconds: 1_524_557_226 + Int64(i / 100_000), nanoseconds: UInt32(i % 100_000) * 10_000))
    }
    try writer.close()
} catch {
    say("error: \(error)")
    exit(1)
} }
let fileSize = (try? FileManager.default.attributesOfItem(atPath: options.file)[.size] as? Int) ?? 0
if !options.parseOnly { say(String(format: "wrote %@ (%.1f MiB) in %.2f s", options.file, Double(fileSize) / 1_048_576, seconds(ContinuousClock.now - writeStart))) }

// 2. Parse: read the file, decode link layer, IP, transport, TCP options and ICMP quotes.
var best = Double.infinity
var checksum = 0
for _ in 0..<options.runs {
    let start = ContinuousClock.now
    var reader: CaptureFileReader
    do { reader = try CaptureFileReader(path: options.file) } catch {
        say("error: \(error)")
        exit(1)
    }
    var n = 0
    var acc = 0
    while let p = try? reader.next() {
        guard let frame = try? p.decode() else { continue }
        if let ip = frame.ip {
            acc &+= Int(ip.header.ttl)
            switch ip.transport {
            case .tcp(let t): acc &+= t.options.count &+ Int(t.flags.rawValue)
            case .icmp(let m): acc &+= Int(m.quotedPacket?.header.ttl ?? 0)
            default: break
            }
        }
        n += 1
    }
    let t = seconds(ContinuousClock.now - start)
    precondition(n == options.packets, "read \(n) of \(options.packets) packets")
    checksum = acc
    best = min(best, t)
}
let ours = Double(options.packets) / best
say(String(format: "censorscope parse (read + full decode): %.3f s, %.2f M packets/s (checksum %d)", best, ours / 1e6, checksum))

if options.parseOnly { exit(0) }

// 3. The same file through tcpdump and through our own text decoder.
if let tcpdump = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
    var bestDump = Double.infinity
    for _ in 0..<max(1, options.runs / 2) {
        if let t = timeCommand("\(tcpdump) -nn -S -r \(options.file)") { bestDump = min(bestDump, t) }
    }
    if bestDump.isFinite {
        say(String(format: "tcpdump -nn -S -r (one line per packet): %.3f s, %.2f M packets/s", bestDump, Double(options.packets) / bestDump / 1e6))
        say(String(format: "ratio censorscope parse / tcpdump: %.1fx", bestDump / best))
    }
    var bestDumpV = Double.infinity
    if let t = timeCommand("\(tcpdump) -nn -S -v -r \(options.file)") { bestDumpV = t }
    if bestDumpV.isFinite {
        say(String(format: "tcpdump -nn -S -v -r: %.3f s, %.2f M packets/s", bestDumpV, Double(options.packets) / bestDumpV / 1e6))
    }
} else {
    say("tcpdump not found: no comparison (apt-get install -y tcpdump)")
}
let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("censorscope").path
if FileManager.default.isExecutableFile(atPath: exe) {
    if let t = timeCommand("\(exe) decode --pcap \(options.file)") {
        say(String(format: "censorscope decode --pcap (text): %.3f s, %.2f M packets/s", t, Double(options.packets) / t / 1e6))
    }
    if let t = timeCommand("\(exe) decode --json --pcap \(options.file)") {
        say(String(format: "censorscope decode --json --pcap: %.3f s, %.2f M packets/s", t, Double(options.packets) / t / 1e6))
    }
}
say(String(format: "peak RSS of the benchmark process: %.0f MiB", peakRSSMiB()))
if !options.keep { try? FileManager.default.removeItem(atPath: options.file) }
