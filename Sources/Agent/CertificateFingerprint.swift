import Crypto
import Packets

/// The SHA-256 of a certificate's DER encoding, written `SHA256:` and 64 lower-case hex
/// digits, as `agent serve` prints it and `--agent-pin` takes it.
public struct CertificateFingerprint: Hashable, Sendable, CustomStringConvertible {
    public let digest: [UInt8]

    /// Nil unless `digest` is 32 bytes.
    public init?(digest: [UInt8]) {
        guard digest.count == 32 else { return nil }
        self.digest = digest
    }

    /// The fingerprint of a certificate given as its DER bytes.
    public init(der: [UInt8]) {
        digest = Array(SHA256.hash(data: der))
    }

    /// Parses `SHA256:HEX`, plain hex, or colon-separated hex (openssl's `-fingerprint`).
    public init(parsing text: String) throws(AgentClientError) {
        var body = Substring(text.trimmingSpaces)
        if body.lowercased().hasPrefix("sha256:") { body = body.dropFirst(7) }
        else if body.lowercased().hasPrefix("sha256=") { body = body.dropFirst(7) }
        guard body.utf8.count <= 200, let bytes = try? Hex.decode(String(body)), bytes.count == 32 else {
            throw AgentClientError("'\(RequestFields.printable(text))' is not a certificate fingerprint: give SHA256: and 64 hex digits, as `agent serve` prints it")
        }
        digest = bytes
    }

    public var description: String { "SHA256:" + Hex.encode(digest) }
}

/// A failure on the client side of the agent protocol; one sentence.
public struct AgentClientError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
