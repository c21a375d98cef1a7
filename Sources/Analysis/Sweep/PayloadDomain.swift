/// The domain a probe's payload names: the Host header of an HTTP request or the SNI of
/// a TLS ClientHello. Every read is bounds-checked; hostile bytes give nil, never a trap.
public enum PayloadDomain {
    /// The Host or SNI in `payload`, lowercased, without a port; nil if neither is found.
    public static func name(in payload: ArraySlice<UInt8>) -> String? {
        let bytes = Array(payload.prefix(16_384))
        if let sni = serverName(inClientHello: bytes) { return sni }
        return httpHost(bytes)
    }

    /// The Host header of an HTTP/1.x request.
    static func httpHost(_ bytes: [UInt8]) -> String? {
        guard let first = bytes.first, (0x41...0x5A).contains(first) else { return nil }   // a method: GET, POST, …
        var lineStart = 0
        var i = 0
        while i <= bytes.count {
            if i == bytes.count || bytes[i] == 0x0A {
                var line = bytes[lineStart..<i]
                if line.last == 0x0D { line = line.dropLast() }
                if line.isEmpty, lineStart > 0 { return nil }   // end of headers
                if let value = headerValue(line, name: "host") { return clean(value) }
                lineStart = i + 1
            }
            i += 1
        }
        return nil
    }

    private static func headerValue(_ line: ArraySlice<UInt8>, name: String) -> ArraySlice<UInt8>? {
        guard let colon = line.firstIndex(of: 0x3A) else { return nil }
        let key = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
        guard key.trimmingSpaces == name else { return nil }
        return line[(colon + 1)...]
    }

    /// Trimmed, lowercased, port removed; nil if empty or not printable.
    private static func clean(_ value: ArraySlice<UInt8>) -> String? {
        var text = String(decoding: value, as: UTF8.self).trimmingSpaces.lowercased()
        if !text.hasPrefix("["), let colon = text.lastIndex(of: ":"), text[text.index(after: colon)...].allSatisfy(\.isNumber) {
            text = String(text[..<colon])
        }
        guard !text.isEmpty, text.count <= 253, text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            return nil
        }
        return text
    }

    /// The host_name of the server_name extension of a ClientHello in a TLS record.
    static func serverName(inClientHello b: [UInt8]) -> String? {
        var r = ByteReader(b)
        // Record header: type 22 (handshake), version 3.x, length.
        guard r.u8() == 22, r.u8() == 3, r.skip(1), r.u16() != nil else { return nil }
        // Handshake header: type 1 (ClientHello), 24-bit length.
        guard r.u8() == 1, r.skip(3) else { return nil }
        guard r.skip(2 + 32) else { return nil }                          // version, random
        guard let sessionLength = r.u8(), r.skip(Int(sessionLength)) else { return nil }
        guard let suitesLength = r.u16(), r.skip(Int(suitesLength)) else { return nil }
        guard let compressionLength = r.u8(), r.skip(Int(compressionLength)) else { return nil }
        guard let extensionsLength = r.u16() else { return nil }
        let end = min(b.count, r.position + Int(extensionsLength))
        while r.position + 4 <= end {
            guard let type = r.u16(), let length = r.u16() else { return nil }
            let next = r.position + Int(length)
            if type == 0 {
                // server_name_list: length, then entries of (type, length, name).
                guard r.skip(2), r.u8() == 0, let nameLength = r.u16(), let name = r.bytes(Int(nameLength)) else { return nil }
                return clean(name[...])
            }
            guard r.skip(Int(length)), r.position == next else { return nil }
        }
        return nil
    }
}

/// Big-endian reads that return nil past the end instead of trapping.
private struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func u8() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() -> UInt16? {
        guard position + 2 <= bytes.count else { return nil }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func skip(_ n: Int) -> Bool {
        guard n >= 0, position + n <= bytes.count else { return false }
        position += n
        return true
    }

    mutating func bytes(_ n: Int) -> [UInt8]? {
        guard n >= 0, position + n <= bytes.count else { return nil }
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }
}

fileprivate extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(scalars[first...last])
    }
}
