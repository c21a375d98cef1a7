/// What the first bytes of a TCP stream are, as far as the censor cares.
/// Pure functions over the bytes seen so far; they never read out of bounds.
public enum StreamContent: Hashable, Sendable {
    /// Not enough bytes yet to tell.
    case needMore
    /// An HTTP request; `end` is the stream offset just past the Host header line
    /// (or past the headers when there is none).
    case http(host: String?, end: Int)
    /// A TLS ClientHello; `end` is the stream offset just past the record that completed it.
    case tls(sni: String?, end: Int)
    /// Something else: the censor stops looking at this stream.
    case other

    public static func inspect(_ bytes: [UInt8]) -> StreamContent {
        guard let first = bytes.first else { return .needMore }
        if first == 0x16 { return TLSClientHello.inspect(bytes) }
        return HTTPRequest.inspect(bytes)
    }
}

enum HTTPRequest {
    /// Methods are tokens (RFC 9110); real ones are short upper-case words.
    static func inspect(_ b: [UInt8]) -> StreamContent {
        var i = 0
        while i < b.count, i < 20, isUpperAlpha(b[i]) { i += 1 }
        if i == b.count { return i < 20 ? .needMore : .other }
        guard i > 0, b[i] == UInt8(ascii: " ") else { return .other }

        // Lines: the request line, then headers until an empty line.
        var lineStart = 0
        var requestTarget: ArraySlice<UInt8> = []
        var n = 0
        while let nl = b[lineStart...].firstIndex(of: 0x0A) {
            var line = b[lineStart..<nl]
            if line.last == 0x0D { line = line.dropLast() }
            if n == 0 {
                let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: true)
                if parts.count >= 2 { requestTarget = parts[1] }
            } else if line.isEmpty {
                return .http(host: absoluteURIHost(requestTarget), end: nl + 1)
            } else if let host = hostHeader(line) {
                return .http(host: host, end: nl + 1)
            }
            n += 1
            lineStart = nl + 1
        }
        return .needMore
    }

    private static func isUpperAlpha(_ c: UInt8) -> Bool { c >= 0x41 && c <= 0x5A }

    /// The value of a `Host:` line without port, or nil for any other line.
    static func hostHeader(_ line: ArraySlice<UInt8>) -> String? {
        let name = Array("host:".utf8)
        guard line.count >= name.count,
              zip(line.prefix(name.count), name).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        return hostWithoutPort(line.dropFirst(name.count))
    }

    static func hostWithoutPort(_ raw: ArraySlice<UInt8>) -> String {
        var v = raw
        while let f = v.first, f == 0x20 || f == 0x09 { v = v.dropFirst() }
        while let l = v.last, l == 0x20 || l == 0x09 { v = v.dropLast() }
        if v.first == UInt8(ascii: "["), let close = v.firstIndex(of: UInt8(ascii: "]")) {
            v = v[v.index(after: v.startIndex)..<close]
        } else if let colon = v.firstIndex(of: UInt8(ascii: ":")) {
            v = v[..<colon]
        }
        return String(decoding: v, as: UTF8.self)
    }

    /// `http://host[:port]/…` in the request line (proxy form).
    static func absoluteURIHost(_ target: ArraySlice<UInt8>) -> String? {
        let scheme = Array("http://".utf8)
        guard target.count > scheme.count, zip(target.prefix(scheme.count), scheme).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        let rest = target.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") }
        let host = hostWithoutPort(authority)
        return host.isEmpty ? nil : host
    }
}

enum TLSClientHello {
    /// Collects handshake bytes over as many records as it takes (a ClientHello may be
    /// split over records as well as over TCP segments), then reads the SNI.
    static func inspect(_ b: [UInt8]) -> StreamContent {
        var handshake: [UInt8] = []
        var i = 0
        while i < b.count {
            guard b[i] == 0x16 else { return .other }
            guard i + 5 <= b.count else { return .needMore }
            guard b[i + 1] == 3 else { return .other }
            let length = Int(b[i + 3]) << 8 | Int(b[i + 4])
            guard length > 0, length <= 18_432 else { return .other }
            let end = min(b.count, i + 5 + length)
            handshake.append(contentsOf: b[(i + 5)..<end])
            if handshake.count >= 4 {
                guard handshake[0] == 1 else { return .other }   // not a ClientHello
                let messageLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
                if handshake.count >= 4 + messageLength {
                    return .tls(sni: serverName(handshake[4..<(4 + messageLength)]), end: end)
                }
            }
            i += 5 + length
        }
        return .needMore
    }

    /// The host_name entry of the server_name extension (RFC 6066), or nil.
    static func serverName(_ body: ArraySlice<UInt8>) -> String? {
        var r = Reader(body)
        guard r.skip(2 + 32),                       // legacy_version, random
              let sid = r.u8(), r.skip(Int(sid)),
              let suites = r.u16(), r.skip(Int(suites)),
              let comp = r.u8(), r.skip(Int(comp)),
              let extLength = r.u16(), var exts = r.take(Int(extLength)).map(Reader.init) else { return nil }
        while let type = exts.u16(), let len = exts.u16(), let data = exts.take(Int(len)) {
            guard type == 0 else { continue }
            var list = Reader(data)
            guard let listLength = list.u16(), var names = list.take(Int(listLength)).map(Reader.init) else { return nil }
            while let nameType = names.u8(), let nameLength = names.u16(), let name = names.take(Int(nameLength)) {
                if nameType == 0 { return String(decoding: name, as: UTF8.self) }
            }
            return nil
        }
        return nil
    }

    /// Big-endian reads that return nil past the end.
    struct Reader {
        var bytes: ArraySlice<UInt8>
        init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

        mutating func take(_ n: Int) -> ArraySlice<UInt8>? {
            guard n >= 0, bytes.count >= n else { return nil }
            defer { bytes = bytes.dropFirst(n) }
            return bytes.prefix(n)
        }
        mutating func skip(_ n: Int) -> Bool { take(n) != nil }
        mutating func u8() -> UInt8? { take(1)?.first }
        mutating func u16() -> UInt16? {
            guard let s = take(2) else { return nil }
            return UInt16(s[s.startIndex]) << 8 | UInt16(s[s.startIndex + 1])
        }
    }
}

enum STUNMessage {
    /// An RFC 5389 header: top two bits zero, the magic cookie, a length that is a
    /// multiple of 4 and fits the payload.
    static func isSTUN(_ p: ArraySlice<UInt8>) -> Bool {
        guard p.count >= 20 else { return false }
        let s = p.startIndex
        guard p[s] & 0xC0 == 0 else { return false }
        let length = Int(p[s + 2]) << 8 | Int(p[s + 3])
        return p[s + 4] == 0x21 && p[s + 5] == 0x12 && p[s + 6] == 0xA4 && p[s + 7] == 0x42
            && length % 4 == 0 && 20 + length <= p.count
    }
}
