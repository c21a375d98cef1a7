import Analysis
import Capture
import Foundation
import Packets
import Probing

/// The investigation's evidence pcapng: the parts written by each phase, merged in order,
/// and an index from packets to their 1-based frame numbers (as Wireshark numbers them).
public struct EvidenceBundle: Sendable {
    public let path: String
    public let directory: String
    public private(set) var parts: [String] = []

    /// `path` nil puts the file in the temporary directory, named after the target and time.
    public init(path: String?, target: IPAddress, port: UInt16, started: Date) throws(MeasurementError) {
        let stamp = utcText(started, format: "yyyyMMdd'T'HHmmss'Z'")
        let temp = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let name = "censorscope-\(target.description.replacingOccurrences(of: ":", with: "-"))-\(port)-\(stamp).pcapng"
        self.path = path ?? temp + "/" + name
        directory = temp + "/censorscope-parts-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw MeasurementError("cannot create a temporary directory in \(temp): \(error.localizedDescription)")
        }
    }

    /// A new part's path.
    public mutating func part(_ name: String) -> String {
        let p = directory + "/\(parts.count)-\(name).pcapng"
        parts.append(p)
        return p
    }

    /// Writes the merged file and returns the frame index. Each part (one run or sweep of
    /// the engine, in order) is one pcapng interface named after it, empty when the part
    /// captured nothing: a recorded run can be replayed part by part (`RecordedNetwork`).
    public func merge() throws(MeasurementError) -> FrameIndex {
        let writer: PcapngWriter
        do { writer = try PcapngWriter(path: path) } catch { throw MeasurementError("cannot write the evidence file \(path): \(error.description)") }
        var index = FrameIndex()
        do {
            for part in parts {
                let packets = FileManager.default.fileExists(atPath: part) ? CaptureFileReader.readAll(path: part).0 : []
                let name = (part as NSString).lastPathComponent.replacingOccurrences(of: ".pcapng", with: "")
                let interface = try writer.addInterface(linkType: packets.first?.linkType ?? .raw, name: name)
                for var p in packets {
                    p.interfaceIndex = interface
                    try writer.write(p)
                    index.add(p, frame: writer.packetsWritten)
                }
            }
            try writer.close()
        } catch {
            throw MeasurementError("cannot write the evidence file \(path): \(error.description)")
        }
        try? FileManager.default.removeItem(atPath: directory)
        return index
    }

    /// Forgets the last part (a run measured again): the recording keeps the runs the
    /// verdict rests on, so a replay follows the same runs.
    public mutating func dropLastPart() {
        guard let last = parts.popLast() else { return }
        try? FileManager.default.removeItem(atPath: last)
    }

    public func discard() { try? FileManager.default.removeItem(atPath: directory) }

}

/// `date` in UTC, formatted with a DateFormatter pattern.
public func utcText(_ date: Date, format: String) -> String {
    // The two formats every item writes, without a DateFormatter: building one per item
    // (ICU's locale data) was a fifth of a campaign's CPU.
    var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
    var t = tm()
    if (format == "yyyy-MM-dd HH:mm:ss" || format == "yyyyMMdd'T'HHmmss'Z'"), gmtime_r(&seconds, &t) != nil {
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let (y, mo, d, h, mi, se) = ("\(t.tm_year + 1900)", two(t.tm_mon + 1), two(t.tm_mday), two(t.tm_hour), two(t.tm_min), two(t.tm_sec))
        return format.hasPrefix("yyyy-") ? "\(y)-\(mo)-\(d) \(h):\(mi):\(se)" : "\(y)\(mo)\(d)T\(h)\(mi)\(se)Z"
    }
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = format
    return f.string(from: date)
}

/// Packets of the evidence file by content, to name an evidence item's frames.
public struct FrameIndex: Sendable {
    public init() {}

    private var byPacket: [IPPacket: [(Int64, Int)]] = [:]
    private var byLabel: [String: [(IPAddress, UInt8, Int)]] = [:]

    public mutating func add(_ captured: CapturedPacket, frame: Int) {
        guard let ip = (try? captured.decode())?.ip else { return }
        byPacket[ip, default: []].append((captured.timestamp.totalNanoseconds, frame))
        if let label = captured.comment { byLabel[label, default: []].append((ip.source, ip.header.ttl, frame)) }
    }

    /// Answers by packet and capture time; probes by packet (their first capture).
    public func frames(_ item: EvidenceItem) -> [Int] {
        var out: [Int] = []
        for p in item.probes {
            if let f = byPacket[p.packet]?.first?.1 { out.append(f) }
        }
        for a in item.answers {
            let candidates = byPacket[a.packet] ?? []
            if let f = candidates.first(where: { $0.0 == a.timestamp.totalNanoseconds })?.1 ?? candidates.first?.1 { out.append(f) }
        }
        for l in item.labelled {
            if let f = byLabel[l.label]?.first(where: { $0.0 == l.source && $0.1 == l.ttl })?.2 { out.append(f) }
        }
        return Array(Set(out)).sorted()
    }
}
