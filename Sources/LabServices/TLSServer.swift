import CTLSShim

/// An OpenSSL server context with a self-signed certificate; shared by every TLS connection
/// (SSL_CTX is safe to use from many threads once set up).
public final class TLSServer: @unchecked Sendable {
    let handle: OpaquePointer

    /// With a state directory, the certificate and key are kept there (`tls-cert.pem`,
    /// `tls-key.pem`) and reused on the next start; otherwise they live only in memory.
    public init(stateDirectory: String?, commonName: String) throws(ServiceError) {
        var error = [CChar](repeating: 0, count: 512)
        let cert = stateDirectory.map { $0 + "/tls-cert.pem" }
        let key = stateDirectory.map { $0 + "/tls-key.pem" }
        let made: OpaquePointer? = cert.withOptionalCString { c in
            key.withOptionalCString { k in cs_tls_server_new(c, k, commonName, &error, error.count) }
        }
        guard let made else {
            throw ServiceError(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + ".")
        }
        handle = made
    }

    deinit { cs_tls_server_free(handle) }

    /// SHA-256 of the certificate, lowercase hex: lets a client pin it.
    public var fingerprint: String {
        var out = [CChar](repeating: 0, count: 65)
        cs_tls_server_fingerprint(handle, &out)
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Optional where Wrapped == String {
    func withOptionalCString<R>(_ body: (UnsafePointer<CChar>?) -> R) -> R {
        switch self {
        case .some(let s): return s.withCString { body($0) }
        case .none: return body(nil)
        }
    }
}
