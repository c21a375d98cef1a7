import JSONSupport
import Packets

/// The QUIC probe kind ("quic"): a client's first datagram — a long-header Initial of at
/// least 1200 bytes — offering a reserved version (0x?a?a?a?a). Any QUIC server must answer
/// it with Version Negotiation listing the versions it speaks (RFC 9000 §6, RFC 8999), so
/// an answer shows QUIC reachable without a handshake or any cryptography. The transaction
/// is the pair of connection IDs, which the answer echoes swapped (RFC 9000 §17.2.1).
public enum QUICKind: DatagramKind {
    public static let name = "quic"
    public static let summary = "Send a QUIC Initial with a reserved version and report the versions the server offers."
    public static let defaultPort: UInt16 = 443
    public static let responseKind = AnswerKind.versionNegotiation
    public static let parameters: [KindParameter] = [
        KindParameter(name: "offered_version", type: .integer(0...0xFFFF_FFFF), defaultValue: .chosen("random"),
                      help: "The version offered: reserved, so the server must negotiate.",
                      valueName: "VERSION", allowed: "0x?a?a?a?a"),
        KindParameter(name: "dcid_length", type: .integer(8...QUICInitial.maximumConnectionIDLength),
                      defaultValue: .value(.integer(8)), help: "Bytes of the random destination connection ID."),
        KindParameter(name: "scid_length", type: .integer(0...QUICInitial.maximumConnectionIDLength),
                      defaultValue: .value(.integer(8)), help: "Bytes of the random source connection ID."),
        KindParameter(name: "size", type: .integer(QUICInitial.minimumDatagramSize...1452),
                      defaultValue: .value(.integer(QUICInitial.minimumDatagramSize)),
                      help: "UDP payload bytes; a first datagram has at least 1200 (RFC 9000 §14.1)."),
    ]

    public static func validate(_ arguments: KindArguments) throws(KindParameterError) {
        if let v = arguments.integer("offered_version"), !QUICVersion.isReserved(UInt32(truncatingIfNeeded: v)) {
            throw KindParameterError(parameter: "offered_version",
                                     problem: "must be a reserved version of the form 0x?a?a?a?a (RFC 9000 §15), which no server speaks, not \(QUICVersion.hex(UInt32(truncatingIfNeeded: v)))")
        }
    }

    public static func request(_ arguments: KindArguments, random: inout some RandomNumberGenerator) throws(ProbeBuildError) -> DatagramRequest {
        let version = arguments.integer("offered_version").map { UInt32(truncatingIfNeeded: $0) }
            ?? QUICVersion.reserved(UInt16.random(in: 0...UInt16.max, using: &random))
        func randomBytes(_ n: Int) -> [UInt8] { (0..<max(0, n)).map { _ in UInt8.random(in: 0...255, using: &random) } }
        let dcid = randomBytes(arguments.integer("dcid_length") ?? 8)
        let scid = randomBytes(arguments.integer("scid_length") ?? 8)
        let size = arguments.integer("size") ?? QUICInitial.minimumDatagramSize
        do {
            // Random bytes after the packet number, as ciphertext looks.
            let payload = try QUICInitial.encode(version: version, destinationConnectionID: dcid, sourceConnectionID: scid,
                                                 size: size, filler: randomBytes(size))
            return DatagramRequest(payload: payload, label: "quic initial \(QUICVersion.hex(version))")
        } catch {
            throw .inconsistentPacket("QUIC Initial: \(error)")
        }
    }

    /// The transaction key: each connection ID with its length, destination first.
    static func key(destination: [UInt8], source: [UInt8]) -> TransactionID? {
        TransactionID([UInt8(truncatingIfNeeded: destination.count)] + destination + [UInt8(truncatingIfNeeded: source.count)] + source)
    }

    /// A long header with a version other than 0 (not a Version Negotiation).
    public static func requestTransaction(_ payload: ArraySlice<UInt8>) -> TransactionID? {
        guard let header = QUICLongHeader(parsing: payload), header.version != QUICVersion.negotiation else { return nil }
        return key(destination: header.destinationConnectionID, source: header.sourceConnectionID)
    }

    /// A Version Negotiation: its source connection ID is our destination one, and the
    /// other way round.
    public static func responseTransaction(_ payload: ArraySlice<UInt8>) -> TransactionID? {
        guard let vn = QUICVersionNegotiation(decoding: payload) else { return nil }
        return key(destination: vn.sourceConnectionID, source: vn.destinationConnectionID)
    }

    /// The version a QUIC probe offers.
    public static func offeredVersion(of probe: Probe) -> UInt32? {
        guard let udp = probe.packet.transport.udp, let header = QUICLongHeader(parsing: udp.payload) else { return nil }
        return header.version
    }

    /// The versions a Version Negotiation answer lists.
    public static func versions(_ answer: Answer?) -> [UInt32]? {
        guard let payload = payload(of: answer) else { return nil }
        return QUICVersionNegotiation(decoding: payload)?.supportedVersions
    }

    /// `offered_version`, and `versions` as "0x00000001" strings (null without a Version Negotiation).
    public static func resultFields(probe: Probe, answer: Answer?) -> [(key: String, value: JSONValue)] {
        [("offered_version", .optional(offeredVersion(of: probe).map(QUICVersion.hex))),
         ("versions", versions(answer).map { .array($0.map { .string(QUICVersion.hex($0)) }) } ?? .null)]
    }

    public static func textDetail(_ answer: Answer) -> String? {
        versions(answer).map { "versions " + $0.map(QUICVersion.hex).joined(separator: ", ") }
    }
}

extension AnswerKind {
    /// A QUIC Version Negotiation echoing the Initial's connection IDs.
    public static let versionNegotiation = AnswerKind(rawValue: "version-negotiation")
}
