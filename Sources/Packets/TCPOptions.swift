/// One TCP option. Known kinds with the length their RFC requires get a named case;
/// anything else, or a known kind with a wrong length, is kept raw as `.unknown`.
public enum TCPOption: Hashable, Sendable {
    case endOfList                                   // kind 0
    case noOperation                                 // kind 1
    case maximumSegmentSize(UInt16)                  // kind 2, RFC 9293
    case windowScale(UInt8)                          // kind 3, RFC 7323
    case sackPermitted                               // kind 4, RFC 2018
    case sack([SACKBlock])                           // kind 5, RFC 2018
    case timestamps(value: UInt32, echoReply: UInt32) // kind 8, RFC 7323
    case md5Signature([UInt8])                       // kind 19, RFC 2385
    case userTimeout(UInt16)                         // kind 28, RFC 5482
    case authentication([UInt8])                     // kind 29, RFC 5925
    case multipath([UInt8])                          // kind 30, RFC 8684; first 4 bits are the subtype
    case fastOpen(cookie: [UInt8])                   // kind 34, RFC 7413; empty cookie = request
    case unknown(kind: UInt8, data: [UInt8])
    /// Bytes that cannot be read as options: a bad length, or whatever follows end-of-list.
    case trailing([UInt8])

    public struct SACKBlock: Hashable, Sendable {
        public var left: UInt32
        public var right: UInt32
        public init(left: UInt32, right: UInt32) { self.left = left; self.right = right }
    }

    public var kind: UInt8? {
        switch self {
        case .endOfList: return 0
        case .noOperation: return 1
        case .maximumSegmentSize: return 2
        case .windowScale: return 3
        case .sackPermitted: return 4
        case .sack: return 5
        case .timestamps: return 8
        case .md5Signature: return 19
        case .userTimeout: return 28
        case .authentication: return 29
        case .multipath: return 30
        case .fastOpen: return 34
        case .unknown(let k, _): return k
        case .trailing: return nil
        }
    }

    /// Short name as tcpdump prints it, used in JSON `options` lists.
    public var name: String {
        switch self {
        case .endOfList: return "eol"
        case .noOperation: return "nop"
        case .maximumSegmentSize: return "mss"
        case .windowScale: return "wscale"
        case .sackPermitted: return "sackOK"
        case .sack: return "sack"
        case .timestamps: return "TS"
        case .md5Signature: return "md5"
        case .userTimeout: return "uto"
        case .authentication: return "tcp-ao"
        case .multipath: return "mptcp"
        case .fastOpen: return "tfo"
        case .unknown(let k, _): return "opt-\(k)"
        case .trailing: return "trailing"
        }
    }

    /// Bytes this option occupies on the wire.
    public var wireLength: Int {
        switch self {
        case .endOfList, .noOperation: return 1
        case .maximumSegmentSize: return 4
        case .windowScale: return 3
        case .sackPermitted: return 2
        case .sack(let blocks): return 2 + 8 * blocks.count
        case .timestamps: return 10
        case .md5Signature(let d), .authentication(let d), .multipath(let d), .unknown(_, let d): return 2 + d.count
        case .userTimeout: return 4
        case .fastOpen(let c): return 2 + c.count
        case .trailing(let b): return b.count
        }
    }

    public func write(into out: inout [UInt8]) {
        func tlv(_ kind: UInt8, _ data: [UInt8]) {
            out.append(kind)
            out.append(UInt8(truncatingIfNeeded: 2 + data.count))
            out.append(contentsOf: data)
        }
        switch self {
        case .endOfList: out.append(0)
        case .noOperation: out.append(1)
        case .maximumSegmentSize(let v): out.append(2); out.append(4); out.appendU16(v)
        case .windowScale(let v): out.append(3); out.append(3); out.append(v)
        case .sackPermitted: out.append(4); out.append(2)
        case .sack(let blocks):
            out.append(5); out.append(UInt8(truncatingIfNeeded: 2 + 8 * blocks.count))
            for b in blocks { out.appendU32(b.left); out.appendU32(b.right) }
        case .timestamps(let v, let e): out.append(8); out.append(10); out.appendU32(v); out.appendU32(e)
        case .md5Signature(let d): tlv(19, d)
        case .userTimeout(let v): out.append(28); out.append(4); out.appendU16(v)
        case .authentication(let d): tlv(29, d)
        case .multipath(let d): tlv(30, d)
        case .fastOpen(let c): tlv(34, c)
        case .unknown(let k, let d): tlv(k, d)
        case .trailing(let b): out.append(contentsOf: b)
        }
    }

    /// Parses an options area. Never fails: what cannot be read becomes `.trailing`.
    public static func parseList(_ bytes: ArraySlice<UInt8>) -> [TCPOption] {
        var out: [TCPOption] = []
        let n = bytes.count
        out.reserveCapacity(min(n, 16))
        var i = 0
        while i < n {
            let kind = bytes.u8(i)
            if kind == 0 {
                out.append(.endOfList)
                if i + 1 < n { out.append(.trailing(Array(bytes.dropping(i + 1)))) }
                return out
            }
            if kind == 1 { out.append(.noOperation); i += 1; continue }
            guard i + 1 < n else { out.append(.trailing(Array(bytes.dropping(i)))); return out }
            let len = Int(bytes.u8(i + 1))
            guard len >= 2, i + len <= n else { out.append(.trailing(Array(bytes.dropping(i)))); return out }
            let data = bytes.sub(i + 2, len - 2)
            out.append(named(kind: kind, data: data))
            i += len
        }
        return out
    }

    private static func named(kind: UInt8, data: ArraySlice<UInt8>) -> TCPOption {
        let len = data.count
        switch (kind, len) {
        case (2, 2): return .maximumSegmentSize(data.u16(0))
        case (3, 1): return .windowScale(data.u8(0))
        case (4, 0): return .sackPermitted
        case (5, _) where len > 0 && len % 8 == 0:
            return .sack(stride(from: 0, to: len, by: 8).map { SACKBlock(left: data.u32($0), right: data.u32($0 + 4)) })
        case (8, 8): return .timestamps(value: data.u32(0), echoReply: data.u32(4))
        case (19, 16): return .md5Signature(Array(data))
        case (28, 2): return .userTimeout(data.u16(0))
        case (29, _) where len >= 2: return .authentication(Array(data))
        case (30, _) where len >= 1: return .multipath(Array(data))
        case (34, _) where len == 0 || (4...16).contains(len) && len % 2 == 0: return .fastOpen(cookie: Array(data))
        default: return .unknown(kind: kind, data: Array(data))
        }
    }
}

extension Array where Element == TCPOption {
    /// Total bytes on the wire before padding.
    public var wireLength: Int { reduce(0) { $0 + $1.wireLength } }
}
