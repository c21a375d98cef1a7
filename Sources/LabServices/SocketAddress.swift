#if canImport(Glibc)
import Glibc
#endif
import Packets

/// An IPv4 or IPv6 address and port, convertible to and from `sockaddr_storage`.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    public var family: Int32 {
        if case .v6 = address { return AF_INET6 }
        return AF_INET
    }

    public var description: String {
        if case .v6 = address { return "[\(address)]:\(port)" }
        return "\(address):\(port)"
    }

    /// Nil for families other than IPv4 and IPv6. IPv4-mapped IPv6 addresses stay IPv6.
    public init?(_ storage: sockaddr_storage) {
        var s = storage
        switch Int32(s.ss_family) {
        case AF_INET:
            let sin = withUnsafeBytes(of: &s) { $0.load(as: sockaddr_in.self) }
            let a = UInt32(bigEndian: sin.sin_addr.s_addr)
            self.init(address: .v4(IPv4Address(a)), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = withUnsafeBytes(of: &s) { $0.load(as: sockaddr_in6.self) }
            let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
            guard let a = IPv6Address(bytes: bytes) else { return nil }
            self.init(address: .v6(a), port: UInt16(bigEndian: sin6.sin6_port))
        default:
            return nil
        }
    }

    public var storage: sockaddr_storage {
        var s = sockaddr_storage()
        withUnsafeMutableBytes(of: &s) { raw in
            switch address {
            case .v4(let a):
                var sin = sockaddr_in()
                sin.sin_family = sa_family_t(AF_INET)
                sin.sin_port = port.bigEndian
                sin.sin_addr.s_addr = a.value.bigEndian
                raw.storeBytes(of: sin, as: sockaddr_in.self)
            case .v6(let a):
                var sin6 = sockaddr_in6()
                sin6.sin6_family = sa_family_t(AF_INET6)
                sin6.sin6_port = port.bigEndian
                withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: a.bytes) }
                raw.storeBytes(of: sin6, as: sockaddr_in6.self)
            }
        }
        return s
    }

    public var storageLength: socklen_t {
        socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }

    /// The local or remote end of a socket.
    static func of(_ fd: Int32, peer: Bool) -> Endpoint? {
        var s = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &s) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(fd, $0, &len) : getsockname(fd, $0, &len)
            }
        }
        return r == 0 ? Endpoint(s) : nil
    }
}

/// The text of an errno value.
func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
