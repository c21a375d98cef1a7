/// Why a capture file could not be read or written. Readers that throw one of these
/// have already handed out every complete packet before the problem.
public enum CaptureFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read (`reason` is the system's message).
    case cannotOpen(path: String, reason: String)
    /// The first bytes are neither a pcap nor a pcapng magic number.
    case notACaptureFile(path: String, firstBytes: [UInt8])
    /// A pcap or pcapng version this reader does not understand.
    case unsupportedVersion(path: String, format: String, major: Int, minor: Int)
    /// The file ends inside the record or block starting at `offset`.
    case truncated(path: String, offset: Int, packetsRead: Int)
    /// The record or block at `offset` contradicts the format.
    case malformedBlock(path: String, offset: Int, reason: String)
    /// Creating or writing an output file failed.
    case writeFailed(path: String, reason: String)
    /// Not read at all: a device, a socket, or over the size limit (the whole sentence).
    case refused(String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "Cannot open \(path): \(reason)."
        case .notACaptureFile(let path, let bytes):
            if bytes.isEmpty { return "\(path) is empty, so it is not a pcap or pcapng file." }
            return "\(path) is not a pcap or pcapng file (it starts with 0x\(hex(bytes)))."
        case .unsupportedVersion(let path, let format, let major, let minor):
            let supported = format == "pcapng" ? "1.x" : "2.x"
            return "\(path) is a \(format) file of version \(major).\(minor), but only version \(supported) can be read."
        case .truncated(let path, let offset, let packetsRead):
            if offset == 0 && packetsRead == 0 {
                return "\(path) ends inside its file header: the file is truncated and holds no packets."
            }
            return "\(path) ends in the middle of the record at byte offset \(offset): the file is truncated; "
                + "the \(packetsRead == 1 ? "1 packet" : "\(packetsRead) packets") before it \(packetsRead == 1 ? "was" : "were") read."
        case .malformedBlock(let path, let offset, let reason):
            return "\(path) is damaged at byte offset \(offset): \(reason)."
        case .writeFailed(let path, let reason):
            return "Cannot write \(path): \(reason)."
        case .refused(let sentence):
            return sentence.prefix(1).uppercased() + sentence.dropFirst()
        }
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    var s = ""
    for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
    return s
}
