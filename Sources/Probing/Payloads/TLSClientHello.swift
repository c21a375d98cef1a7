import Packets

/// A TLS 1.3-capable ClientHello record naming a server (SNI), shaped like a browser's or
/// curl's: what an SNI censor reads. It is never completed, so its random, session id and
/// x25519 key share are only random-looking bytes drawn from `seed` (reproducible runs,
/// byte-identical test and control apart from the name). A real server answers it with a
/// ServerHello, which is how a control connection shows it reached the server.
public struct TLSClientHello: Hashable, Sendable {
    /// The host_name in server_name; nil sends no SNI extension.
    public let serverName: String?
    /// ALPN protocols, in preference order; empty sends no ALPN extension.
    public let alpn: [String]
    public let seed: UInt64

    /// A DNS name is at most 253 bytes; longer is refused rather than cut.
    public static let maximumServerNameLength = 253

    /// Browsers' order: TLS 1.3 suites first, then ECDHE with AEAD, then the CBC fallbacks.
    public static let cipherSuites: [UInt16] = [
        0x1301, 0x1303, 0x1302,                  // TLS_AES_128_GCM, CHACHA20_POLY1305, AES_256_GCM
        0xC02B, 0xC02F, 0xCCA9, 0xCCA8, 0xC02C, 0xC030,
        0xC00A, 0xC009, 0xC013, 0xC014,
        0x009C, 0x009D, 0x002F, 0x0035,
    ]
    /// x25519, secp256r1, secp384r1, secp521r1, ffdhe2048, ffdhe3072.
    public static let supportedGroups: [UInt16] = [0x001D, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101]
    /// ECDSA, RSA-PSS and RSA PKCS#1 with SHA-256/384/512, then the SHA-1 legacy pair.
    public static let signatureAlgorithms: [UInt16] = [
        0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201,
    ]

    /// Nil when `serverName` is empty or longer than 253 bytes, or an ALPN name is empty
    /// or longer than 255 bytes.
    public init?(serverName: String?, alpn: [String] = ["h2", "http/1.1"], seed: UInt64 = 0) {
        if let serverName, serverName.utf8.isEmpty || serverName.utf8.count > Self.maximumServerNameLength { return nil }
        guard alpn.allSatisfy({ (1...255).contains($0.utf8.count) }) else { return nil }
        self.serverName = serverName
        self.alpn = alpn
        self.seed = seed
    }

    /// The whole TLS record (content type 22, legacy version 3.1), ready to send.
    public var bytes: [UInt8] {
        let handshake = handshakeMessage
        var out: [UInt8] = [0x16, 0x03, 0x01]
        out.appendLength16(handshake.count)
        out += handshake
        return out
    }

    /// The handshake message: type 1 (ClientHello), 24-bit length, body.
    public var handshakeMessage: [UInt8] {
        var generator = SplitMix64(seed: seed)
        var body: [UInt8] = [0x03, 0x03]                      // legacy_version TLS 1.2
        body += generator.bytes(32)                          // random
        body.append(32)
        body += generator.bytes(32)                          // legacy_session_id (middlebox compatibility)
        body.appendLength16(Self.cipherSuites.count * 2)
        for suite in Self.cipherSuites { body.appendU16BE(suite) }
        body += [0x01, 0x00]                                 // compression: null only
        let ext = extensions(keyShare: generator.bytes(32))
        body.appendLength16(ext.count)
        body += ext
        var out: [UInt8] = [0x01, UInt8(truncatingIfNeeded: body.count >> 16),
                            UInt8(truncatingIfNeeded: body.count >> 8), UInt8(truncatingIfNeeded: body.count)]
        out += body
        return out
    }

    private func extensions(keyShare: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        func add(_ type: UInt16, _ data: [UInt8]) {
            out.appendU16BE(type)
            out.appendLength16(data.count)
            out += data
        }
        if let serverName {
            var entry: [UInt8] = [0x00]                      // name_type host_name
            entry.appendLength16(serverName.utf8.count)
            entry += Array(serverName.utf8)
            var list: [UInt8] = []
            list.appendLength16(entry.count)
            add(0x0000, list + entry)                        // server_name (RFC 6066)
        }
        add(0x0017, [])                                      // extended_master_secret
        add(0xFF01, [0x00])                                  // renegotiation_info, empty
        add(0x000A, Self.u16List(Self.supportedGroups))      // supported_groups
        add(0x000B, [0x01, 0x00])                            // ec_point_formats: uncompressed
        add(0x0023, [])                                      // session_ticket, none held
        if !alpn.isEmpty {
            var names: [UInt8] = []
            for name in alpn {
                names.append(UInt8(truncatingIfNeeded: name.utf8.count))
                names += Array(name.utf8)
            }
            var data: [UInt8] = []
            data.appendLength16(names.count)
            add(0x0010, data + names)                        // application_layer_protocol_negotiation
        }
        add(0x0005, [0x01, 0x00, 0x00, 0x00, 0x00])          // status_request (OCSP)
        add(0x000D, Self.u16List(Self.signatureAlgorithms))  // signature_algorithms
        var share: [UInt8] = []
        share.appendU16BE(0x001D)                            // x25519
        share.appendLength16(keyShare.count)
        share += keyShare
        var shares: [UInt8] = []
        shares.appendLength16(share.count)
        add(0x0033, shares + share)                          // key_share
        add(0x002D, [0x01, 0x01])                            // psk_key_exchange_modes: psk_dhe_ke
        add(0x002B, [0x04, 0x03, 0x04, 0x03, 0x03])          // supported_versions: 1.3, 1.2
        return out
    }

    private static func u16List(_ values: [UInt16]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLength16(values.count * 2)
        for v in values { out.appendU16BE(v) }
        return out
    }
}

/// Bytes that only have to look random (the ClientHello's random and session id).
extension SplitMix64 {
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            var word = next()
            for _ in 0..<min(8, count - out.count) {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }
}

private extension Array where Element == UInt8 {
    mutating func appendU16BE(_ v: UInt16) {
        append(UInt8(v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }

    /// A 16-bit length; callers keep lengths far below 65536 (names ≤ 253 bytes).
    mutating func appendLength16(_ n: Int) { appendU16BE(UInt16(truncatingIfNeeded: n)) }
}
