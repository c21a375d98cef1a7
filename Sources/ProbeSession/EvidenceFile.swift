import Capture
import Packets

/// Writes the run's evidence: every packet sent and received, pcapng, each with a comment (e.g. naming its probe).
///
/// Packets of different link types (an Ethernet capture, raw IP for probes written as
/// built) go on one interface block per link type, added the first time the type is seen.
public final class EvidenceFile {
    public let path: String
    private let writer: PcapngWriter
    private let interfaceName: String?
    private var interfaces: [LinkType: Int] = [:]

    /// Creates the file; `interfaceName` (e.g. the capture interface) names its interface blocks.
    public init(path: String, interfaceName: String? = nil) throws(ProbeSessionError) {
        self.path = path
        self.interfaceName = interfaceName
        do {
            writer = try PcapngWriter(path: path)
        } catch {
            throw .evidence(reason(error))
        }
    }

    /// Packets written so far.
    public var packetsWritten: Int { writer.packetsWritten }

    /// Appends a packet with an optional comment (it replaces any comment the packet had).
    public func write(_ packet: CapturedPacket, comment: String?) throws(ProbeSessionError) {
        var packet = packet
        do {
            packet.interfaceIndex = try interface(for: packet.linkType)
            packet.comment = comment
            try writer.write(packet)
        } catch {
            throw .evidence(reason(error))
        }
    }

    /// Appends an IP packet as built (raw IP link type), e.g. a probe the capture did not see leave.
    public func write(ipPacket bytes: [UInt8], timestamp: CaptureTimestamp, comment: String?) throws(ProbeSessionError) {
        try write(CapturedPacket(timestamp: timestamp, linkType: .raw, data: bytes[...]), comment: comment)
    }

    /// Flushes and closes the file; later writes fail.
    public func close() throws(ProbeSessionError) {
        do {
            try writer.close()
        } catch {
            throw .evidence(reason(error))
        }
    }

    private func interface(for linkType: LinkType) throws(CaptureFileError) -> Int {
        if let index = interfaces[linkType] { return index }
        let index = try writer.addInterface(linkType: linkType, name: interfaceName)
        interfaces[linkType] = index
        return index
    }
}

/// The path and the system's reason, without CaptureFileError's own "Cannot write" sentence.
private func reason(_ error: CaptureFileError) -> String {
    switch error {
    case .writeFailed(let path, let why), .cannotOpen(let path, let why): return "\(path): \(why)"
    default: return error.description
    }
}
