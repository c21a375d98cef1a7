import Campaigns
import Capture
import Foundation
import JSONSupport
import Packets

/// What a sweep's capture file needs to be judged again offline: the key its identifiers were
/// hashed with, our address, the port and the probes. `sweep --pcap FILE` writes it beside the
/// capture as `FILE.sweep.json` (`censorscope.sweep-run/1`); `sweep --replay FILE` reads both.
public struct SweepRunFile: Sendable, Equatable {
    public static let schema = "censorscope.sweep-run/1"
    public var key: SipHashKey
    public var source: IPAddress
    /// `tcp` when the file does not say (files written before ICMP and UDP sweeps).
    public var sweepProtocol: SweepProtocol
    /// 0 for ICMP.
    public var port: UInt16
    public var variants: [String]
    public var repeats: Int
    /// Addresses swept (of this family): a replay must be given the same targets.
    public var targets: Int
    /// The datagram of `sweep --payload` (hex in the file); nil for named variants.
    public var payload: [UInt8]?

    public init(key: SipHashKey, source: IPAddress, protocol kind: SweepProtocol = .tcp, port: UInt16, variants: [String], repeats: Int,
                targets: Int) {
        self.key = key
        self.source = source
        self.sweepProtocol = kind
        self.port = port
        self.variants = variants
        self.repeats = repeats
        self.targets = targets
    }

    public static func path(forCapture path: String) -> String { path + ".sweep.json" }

    public var json: JSONValue {
        .object([("schema", .string(Self.schema)), ("key", .string(Self.hex(key.k0) + Self.hex(key.k1))),
                 ("source", .string(source.description)), ("protocol", .string(sweepProtocol.rawValue)), ("port", .int(Int64(port))),
                 ("variants", .array(variants.map { .string($0) })), ("repeat", .int(Int64(repeats))), ("targets", .int(Int64(targets)))]
                + (payload.map { [("payload", JSONValue.string(Hex.encode($0)))] } ?? []))
    }

    /// Reads the file, one sentence for whatever is wrong with it.
    public static func read(_ bytes: [UInt8], path: String) throws(SweepError) -> SweepRunFile {
        let v: JSONValue
        do { v = try JSONParser.parse(bytes: bytes) } catch {
            throw .setup("\(path) is not a sweep's run file (\(error)); it is written by `sweep --pcap` beside the capture")
        }
        guard case .string(Self.schema)? = v["schema"] else {
            throw .setup("\(path) is not a \(schema) file; it is written by `sweep --pcap` beside the capture")
        }
        func string(_ k: String) throws(SweepError) -> String {
            guard case .string(let s)? = v[k] else { throw .setup("\(path): `\(k)` is missing or not a string") }
            return s
        }
        func int(_ k: String, _ range: ClosedRange<Int64>) throws(SweepError) -> Int {
            guard case .int(let n)? = v[k], range.contains(n) else { throw .setup("\(path): `\(k)` is missing or not a number in \(range)") }
            return Int(n)
        }
        let keyText = try string("key")
        guard keyText.utf8.count == 32, let k0 = UInt64(keyText.prefix(16), radix: 16), let k1 = UInt64(keyText.suffix(16), radix: 16) else {
            throw .setup("\(path): `key` must be 32 hexadecimal digits")
        }
        guard let source = IPAddress(try string("source")) else { throw .setup("\(path): `source` is not an IP address") }
        var kind = SweepProtocol.tcp
        if v["protocol"] != nil {
            guard let k = SweepProtocol(rawValue: try string("protocol")) else { throw .setup("\(path): `protocol` is not tcp, icmp or udp") }
            kind = k
        }
        guard case .array(let list)? = v["variants"], (1...64).contains(list.count) else {
            throw .setup("\(path): `variants` must list 1 to 64 probe names")
        }
        var variants: [String] = []
        for item in list {
            guard case .string(let s) = item else { throw .setup("\(path): `variants` must list names") }
            variants.append(s)
        }
        var payload: [UInt8]?
        if v["payload"] != nil {
            guard kind == .udp, let bytes = SweepProbe.Variant.bytes(hex: try string("payload")), bytes.count <= SweepProbe.Variant.maximumPayload else {
                throw .setup("\(path): `payload` must be hexadecimal, at most \(SweepProbe.Variant.maximumPayload) bytes, in a UDP sweep")
            }
            payload = bytes
        }
        var file = SweepRunFile(key: SipHashKey(k0: k0, k1: k1), source: source, protocol: kind,
                            port: UInt16(try int("port", kind == .icmp ? 0...65535 : 1...65535)), variants: variants,
                            repeats: try int("repeat", 1...64), targets: try int("targets", 1...Int64(Int32.max)))
        file.payload = payload
        return file
    }

    private static func hex(_ n: UInt64) -> String {
        let digits = String(n, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// A sweep judged again from its capture file: every packet validated with the run's key and
/// filed as the live receiver files it. The capture holds answers only (the probes leaving were
/// not captured), so which probes went out and when is not known: every probe counts as sent,
/// and no round trip is given.
public enum SweepReplay {
    public static func run(_ space: TargetSpace, probe: SweepProbe, path: String) throws(SweepError) -> SweepOutcome {
        var file: CaptureFileReader
        do { file = try CaptureFileReader(path: path) } catch { throw .setup(error.description) }
        let total = space.count * probe.probesPerTarget
        let slots = SweepSlots(count: total)
        for i in 0..<total { slots.markSent(i, micros: 0) }
        var filing = SweepFiling(space: space, probe: probe, slots: slots)
        var stats = SweepStatistics()
        stats.sender = "replay"
        stats.probes = total
        stats.replayed = true
        do {
            while let packet = try file.next() {
                _ = packet.data.withUnsafeBytes { filing.file($0, linkType: packet.linkType.rawValue, timestamp: packet.timestamp) }
            }
        } catch {
            // What came before a damaged record is kept; the damage is said.
            stats.replayError = error.description
        }
        filing.fill(&stats)
        return SweepOutcome(space: space, probe: probe, slots: slots, routers: filing.routerList, statistics: stats)
    }
}
