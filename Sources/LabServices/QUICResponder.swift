import JSONSupport
import Packets

/// The lab servers' QUIC front door: it speaks no QUIC, but answers as every QUIC server
/// must when offered a version it does not support — with Version Negotiation (RFC 9000
/// §6.1) listing `versions`. Pure: bytes in, bytes out.
///
/// RFC 9000's rules against amplification and loops are kept: only a long header with a
/// version other than 0 and not in `versions` is answered, and only in a datagram of at
/// least 1200 bytes (§5.2.2, §14.1); a Version Negotiation is never answered (§6.1). The
/// answer echoes at most 2 × 255 bytes of connection IDs, so it is always smaller than
/// what asked for it.
public struct QUICResponder: Sendable {
    public var versions: [UInt32]

    /// QUIC v1 (RFC 9000) and v2 (RFC 9369), as servers list them today.
    public static let defaultVersions: [UInt32] = [QUICVersion.v1, QUICVersion.v2]

    public init(versions: [UInt32] = QUICResponder.defaultVersions) { self.versions = versions }

    public struct Outcome: Sendable {
        /// Nil: send nothing.
        public var response: [UInt8]?
        public var version: UInt32?
        /// Why nothing was sent, for the log.
        public var ignored: String?
    }

    public func respond(to datagram: [UInt8]) -> Outcome {
        guard let header = QUICLongHeader(parsing: datagram[...]) else {
            return Outcome(ignored: datagram.first.map { $0 & 0x80 == 0 } == true ? "short header" : "not a QUIC long header")
        }
        guard header.version != QUICVersion.negotiation else {
            return Outcome(version: header.version, ignored: "a version negotiation packet")
        }
        guard !versions.contains(header.version) else {
            return Outcome(version: header.version, ignored: "a supported version (no QUIC stack here)")
        }
        guard datagram.count >= QUICInitial.minimumDatagramSize else {
            return Outcome(version: header.version, ignored: "shorter than 1200 bytes")
        }
        let answer = QUICVersionNegotiation.answering(header, supportedVersions: versions)
        return Outcome(response: answer.encoded(), version: header.version)
    }
}

/// QUIC on UDP: `QUICResponder`, logged like the other services.
struct QUICService: Sendable {
    let log: RequestLog
    let responder: QUICResponder

    func answer(_ datagram: [UInt8], from peer: Endpoint, to local: Endpoint) -> [UInt8]? {
        let outcome = responder.respond(to: datagram)
        var fields: [(String, JSONValue)] = [("length", .int(Int64(datagram.count)))]
        if let v = outcome.version { fields.append(("version", .string(QUICVersion.hex(v)))) }
        if let reason = outcome.ignored {
            fields.append(("ignored", .string(reason)))
        } else {
            fields.append(("answer", .string("version-negotiation")))
        }
        log.record("quic", client: peer, local: local, fields)
        return outcome.response
    }
}
