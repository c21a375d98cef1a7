import Packets
#if canImport(Glibc)
import Glibc
#endif

/// Where the kernel sends packets for a destination: from which address, out of which interface.
public struct RouteInfo: Hashable, Sendable {
    public var source: IPAddress
    public var interface: String

    public init(source: IPAddress, interface: String) {
        self.source = source
        self.interface = interface
    }
}

/// Route look-ups through the kernel's own choice, so probes carry the source it would use.
public enum Routing {
    /// The kernel's choice of source address and egress interface for a destination: connect() a UDP socket (sends nothing), getsockname(); the interface by getifaddrs() holding that source address (for a loopback destination "lo").
    public static func route(to destination: IPAddress) throws(ProbeSessionError) -> RouteInfo {
        let (source, scope) = try sourceAddress(for: destination)
        let interfaces = InterfaceAddress.current()
        // Packets to any address of our own (127/8, ::1, or one held by an interface) go
        // through the loopback device, whatever interface holds the address.
        if destination.isLoopback || interfaces.contains(where: { $0.address == destination }) {
            return RouteInfo(source: source, interface: interfaces.first(where: \.isLoopback)?.name ?? "lo")
        }
        // A link-local source exists on several interfaces: the scope names the one.
        if scope != 0, let name = interfaceName(index: scope) {
            return RouteInfo(source: source, interface: name)
        }
        guard let holder = interfaces.first(where: { $0.address == source }) else {
            throw .noRoute(destination, "no interface holds the source address \(source) the kernel chose")
        }
        return RouteInfo(source: source, interface: holder.name)
    }

    /// connect() on a UDP socket makes the kernel pick a route and source; nothing is sent.
    private static func sourceAddress(for destination: IPAddress) throws(ProbeSessionError) -> (IPAddress, UInt32) {
        let family = destination.isV4 ? AF_INET : AF_INET6
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .noRoute(destination, "socket: \(errorText(errno))") }
        defer { close(fd) }
        switch destination {
        case .v4(let address):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = UInt16(33434).bigEndian
            sin.sin_addr.s_addr = address.value.bigEndian
            guard connectSocket(fd, &sin) == 0 else { throw .noRoute(destination, errorText(errno)) }
            var local = sockaddr_in()
            guard localName(fd, &local) == 0 else { throw .noRoute(destination, "getsockname: \(errorText(errno))") }
            return (.v4(IPv4Address(UInt32(bigEndian: local.sin_addr.s_addr))), 0)
        case .v6(let address):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = UInt16(33434).bigEndian
            let bytes = address.bytes
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for i in 0..<min(16, bytes.count) { raw[i] = bytes[i] }
            }
            guard connectSocket(fd, &sin6) == 0 else { throw .noRoute(destination, errorText(errno)) }
            var local = sockaddr_in6()
            guard localName(fd, &local) == 0 else { throw .noRoute(destination, "getsockname: \(errorText(errno))") }
            let source = withUnsafeBytes(of: local.sin6_addr) { IPv6Address(bytes: $0) }
            guard let source else { throw .noRoute(destination, "getsockname returned no IPv6 address") }
            return (.v6(source), local.sin6_scope_id)
        }
    }

    private static func connectSocket<Address>(_ fd: Int32, _ address: inout Address) -> Int32 {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
    }

    private static func localName<Address>(_ fd: Int32, _ address: inout Address) -> Int32 {
        var length = socklen_t(MemoryLayout<Address>.size)
        return withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
    }

    private static func interfaceName(index: UInt32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        guard if_indextoname(index, &buffer) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// One address of one interface, as getifaddrs(3) lists it.
struct InterfaceAddress: Hashable, Sendable {
    var name: String
    var address: IPAddress
    var isLoopback: Bool

    /// Every IPv4 and IPv6 address on every interface of the current network namespace.
    static func current() -> [InterfaceAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var found: [InterfaceAddress] = []
        var cursor = list
        while let entry = cursor?.pointee {
            cursor = entry.ifa_next
            guard let sa = entry.ifa_addr, let name = entry.ifa_name else { continue }
            let loopback = entry.ifa_flags & UInt32(IFF_LOOPBACK) != 0
            switch Int32(sa.pointee.sa_family) {
            case AF_INET:
                let value = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
                found.append(InterfaceAddress(name: String(cString: name), address: .v4(IPv4Address(value)), isLoopback: loopback))
            case AF_INET6:
                let address = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    withUnsafeBytes(of: p.pointee.sin6_addr) { IPv6Address(bytes: $0) }
                }
                if let address {
                    found.append(InterfaceAddress(name: String(cString: name), address: .v6(address), isLoopback: loopback))
                }
            default:
                continue
            }
        }
        return found
    }
}

extension IPAddress {
    var isV4: Bool { if case .v4 = self { return true }; return false }

    /// 127.0.0.0/8 or ::1.
    var isLoopback: Bool {
        switch self {
        case .v4(let a): return a.value >> 24 == 127
        case .v6(let a): return a.high == 0 && a.low == 1
        }
    }
}

func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
