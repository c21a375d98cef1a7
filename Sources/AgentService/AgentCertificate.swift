import Agent
import Measurement
import CTLSShim
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The agent's TLS identity in its state directory: `agent.crt` and `agent.key` (0600),
/// a self-signed ECDSA P-256 certificate made on first run with the listen address as its
/// IP SAN. Clients pin its fingerprint, so the name in it matters to no one.
public struct AgentCertificate: Sendable {
    public let certificatePath: String
    public let keyPath: String
    public let fingerprint: CertificateFingerprint
    /// Made on this run (else loaded).
    public let generated: Bool

    /// Loads or makes the certificate in `directory` (created 0700 when missing) for `name`.
    public init(directory: String, name: String) throws(MeasurementError) {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch { throw MeasurementError("cannot create the state directory \(directory): \(error.localizedDescription)") }
        } else if !isDirectory.boolValue {
            throw MeasurementError("--state-dir \(directory) is not a directory")
        }
        certificatePath = directory + "/agent.crt"
        keyPath = directory + "/agent.key"
        var info = stat()
        if stat(keyPath, &info) == 0, let problem = TokenFile.permissionProblem(mode: UInt32(info.st_mode), path: keyPath) {
            throw MeasurementError("the agent's private key " + problem)
        }
        var hex = [CChar](repeating: 0, count: 65)
        var error = [CChar](repeating: 0, count: 512)
        var made: Int32 = 0
        guard cs_tls_certificate(certificatePath, keyPath, name, &hex, &made, &error, error.count) == 1 else {
            throw MeasurementError(Self.text(error))
        }
        guard let f = try? CertificateFingerprint(parsing: Self.text(hex)) else {
            throw MeasurementError("cannot compute the fingerprint of \(certificatePath)")
        }
        fingerprint = f
        generated = made == 1
    }

    /// A NUL-terminated C buffer as text.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// SHA-256 of a certificate's DER bytes, as the client checks the agent's.
    public static func fingerprint(der: [UInt8]) -> CertificateFingerprint? {
        CertificateFingerprint(der: der)
    }
}
