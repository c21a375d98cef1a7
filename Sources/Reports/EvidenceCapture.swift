import Capture
import Records

/// The pcapng report: the investigations' evidence files copied packet by packet, each
/// packet keeping its comment, and packets that an evidence claim names gaining a
/// "proves: <claim>" line, so Wireshark shows why each packet matters.
public enum EvidenceCapture {
    /// What was written.
    public struct Outcome: Sendable, Equatable {
        public var packetsWritten: Int
        /// Packets that gained at least one "proves:" line.
        public var packetsAnnotated: Int
        /// Frame numbers that claims named but the evidence file does not hold, per endpoint.
        public var missingFrames: [(endpoint: String, frames: [Int])]

        public static func == (a: Outcome, b: Outcome) -> Bool {
            a.packetsWritten == b.packetsWritten && a.packetsAnnotated == b.packetsAnnotated
                && a.missingFrames.map(\.endpoint) == b.missingFrames.map(\.endpoint)
                && a.missingFrames.map(\.frames) == b.missingFrames.map(\.frames)
        }
    }

    /// The comment a packet carries in the report: its own, then one line per claim.
    public static func comment(original: String?, claims: [String]) -> String? {
        let lines = (original.map { [$0] } ?? []) + claims.map { "proves: " + $0 }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    /// Writes one pcapng holding every investigation's evidence, in order. With several
    /// investigations each packet's comment also names the endpoint it belongs to.
    @discardableResult
    public static func write(_ investigations: [InvestigationRecord], to path: String) throws(ReportError) -> Outcome {
        // Read everything first, so a missing or damaged file leaves no half-written output.
        var sources: [(inv: InvestigationRecord, packets: [CapturedPacket])] = []
        for inv in investigations {
            guard let file = inv.evidenceFile else {
                throw ReportError("the result for \(inv.endpoint) names no evidence_file, so there are no packets to export")
            }
            let (packets, error) = CaptureFileReader.readAll(path: file)
            if let error {
                throw ReportError("cannot read the evidence file of \(inv.endpoint): \(error)")
            }
            sources.append((inv, packets))
        }
        let writer: PcapngWriter
        do { writer = try PcapngWriter(path: path) } catch {
            throw ReportError("cannot write \(path): \(error)")
        }
        var outcome = Outcome(packetsWritten: 0, packetsAnnotated: 0, missingFrames: [])
        // Interfaces are re-declared per source file, in order of first use.
        var interfaces: [String: Int] = [:]
        do {
            for (fileIndex, source) in sources.enumerated() {
                var claims: [Int: [String]] = [:]
                for claim in source.inv.evidence {
                    for frame in Set(claim.packets) { claims[frame, default: []].append(claim.claim) }
                }
                let missing = claims.keys.filter { $0 > source.packets.count }.sorted()
                if !missing.isEmpty { outcome.missingFrames.append((source.inv.endpoint, missing)) }
                for (i, packet) in source.packets.enumerated() {
                    let key = "\(fileIndex)/\(packet.interfaceIndex)"
                    let interface: Int
                    if let known = interfaces[key] {
                        interface = known
                    } else {
                        interface = try writer.addInterface(linkType: packet.linkType, snaplen: 0)
                        interfaces[key] = interface
                    }
                    let proves = claims[i + 1] ?? []
                    var text = comment(original: packet.comment, claims: proves)
                    if sources.count > 1 { text = (text.map { $0 + "\n" } ?? "") + "investigation: " + source.inv.endpoint }
                    try writer.write(data: packet.data, timestamp: packet.timestamp, originalLength: packet.originalLength,
                                     interface: interface, comment: text)
                    outcome.packetsWritten += 1
                    if !proves.isEmpty { outcome.packetsAnnotated += 1 }
                }
            }
            try writer.close()
        } catch {
            throw ReportError("cannot write \(path): \(error)")
        }
        return outcome
    }
}
