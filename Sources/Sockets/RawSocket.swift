import Packets
#if canImport(Glibc)
import Glibc
#endif

public enum RawSocketError: Error, Hashable, Sendable, CustomStringConvertible {
    case permissionDenied
    case system(call: String, errno: Int32)
    case invalidPacket(String)

    public var description: String {
        switch self {
        case .permissionDenied:
            return "sending raw packets needs root or CAP_NET_RAW: run the command with sudo"
        case let .system(call, code):
            return "\(call) failed: \(String(cString: strerror(code)))"
        case .invalidPacket(let why):
            return "cannot send this packet: \(why)"
        }
    }
}

/// Opens a raw socket, runs `configure` on it and binds it to `device` when given;
/// EPERM/EACCES become `.permissionDenied`, and a socket that cannot be set up is closed.
func openRawSocket(family: Int32, proto: Int32, device: String?,
                   configure: (Int32) throws(RawSocketError) -> Void = { _ in }) throws(RawSocketError) -> Int32 {
    let fd = socket(family, Int32(SOCK_RAW.rawValue), proto)
    if fd < 0 {
        let e = errno
        if e == EPERM || e == EACCES { throw .permissionDenied }
        throw .system(call: "socket", errno: e)
    }
    do {
        try configure(fd)
        if let device { try bindToDevice(fd, device) }
    } catch {
        Glibc.close(fd)
        throw error
    }
    return fd
}

func setOption<T>(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: T, _ label: String) throws(RawSocketError) {
    let rc = withUnsafeBytes(of: value) { setsockopt(fd, level, name, $0.baseAddress, socklen_t($0.count)) }
    if rc != 0 {
        throw .system(call: "setsockopt(\(label))", errno: errno)
    }
}

/// Binds a socket to one interface (SO_BINDTODEVICE), so probes leave where the capture listens.
func bindToDevice(_ fd: Int32, _ name: String) throws(RawSocketError) {
    var bytes = Array(name.utf8CString)
    if setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, &bytes, socklen_t(bytes.count)) != 0 {
        throw .system(call: "setsockopt(SO_BINDTODEVICE \(name))", errno: errno)
    }
}

/// sendto(2) with any sockaddr type; a short or failed send is an error.
func send<Address>(_ fd: Int32, _ bytes: [UInt8], to address: Address) throws(RawSocketError) {
    var addr = address
    let sent = bytes.withUnsafeBytes { buf in
        withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, buf.baseAddress, buf.count, 0, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
    }
    if sent < 0 { throw .system(call: "sendto", errno: errno) }
}

/// Sends IPv4 packets whose header we built ourselves (IPPROTO_RAW, so IP_HDRINCL).
/// Linux still fills the total length and header checksum, and an IP ID of 0 unless DF is set.
public final class RawIPv4Socket: @unchecked Sendable {
    private var fd: Int32

    public init(device: String? = nil) throws(RawSocketError) {
        fd = try openRawSocket(family: AF_INET, proto: Int32(IPPROTO_RAW), device: device)
    }

    deinit { close() }

    /// Makes a full device queue fail `send` with ENOBUFS (IP_RECVERR) instead of the
    /// kernel dropping the packet and reporting success.
    public func reportQueueDrops() throws(RawSocketError) {
        try setOption(fd, Int32(IPPROTO_IP), IP_RECVERR, Int32(1), "IP_RECVERR")
    }

    /// Sends one complete IPv4 packet to the destination in its header.
    public func send(_ packet: [UInt8]) throws(RawSocketError) {
        guard packet.count >= 20, packet[0] >> 4 == 4 else { throw .invalidPacket("not an IPv4 packet") }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = UInt32(packet[16]) | UInt32(packet[17]) << 8 | UInt32(packet[18]) << 16 | UInt32(packet[19]) << 24
        try Sockets.send(fd, packet, to: sin)
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

/// Sends IPv6 packets. `.headerIncluded` (IPPROTO_RAW) sends our whole packet, hop limit
/// and all; `.transport(proto)` lets the kernel build the IPv6 header and compute the
/// checksum, with the hop limit set per packet.
public final class RawIPv6Socket: @unchecked Sendable {
    public enum Mode: Sendable, Equatable {
        case headerIncluded
        case transport(proto: UInt8)
    }

    private var fd: Int32
    public let mode: Mode

    public init(mode: Mode = .headerIncluded, device: String? = nil) throws(RawSocketError) {
        self.mode = mode
        switch mode {
        case .headerIncluded:
            fd = try openRawSocket(family: AF_INET6, proto: Int32(IPPROTO_RAW), device: device)
        case .transport(let proto):
            fd = try openRawSocket(family: AF_INET6, proto: Int32(proto), device: device) { fd throws(RawSocketError) in
                // The kernel fills the checksum at this offset (ICMPv6 is always filled).
                if proto == 6 || proto == 17 {
                    try setOption(fd, Int32(IPPROTO_IPV6), IPV6_CHECKSUM, Int32(proto == 6 ? 16 : 6), "IPV6_CHECKSUM")
                }
            }
        }
    }

    deinit { close() }

    /// Makes a full device queue fail `send` with ENOBUFS (IPV6_RECVERR) instead of the
    /// kernel dropping the packet and reporting success.
    public func reportQueueDrops() throws(RawSocketError) {
        try setOption(fd, Int32(IPPROTO_IPV6), IPV6_RECVERR, Int32(1), "IPV6_RECVERR")
    }

    /// `.headerIncluded`: sends a complete IPv6 packet to the destination in its header.
    public func send(_ packet: [UInt8]) throws(RawSocketError) {
        guard mode == .headerIncluded else { throw .invalidPacket("this socket sends transport payloads; use send(_:to:hopLimit:)") }
        guard packet.count >= 40, packet[0] >> 4 == 6, let dst = IPv6Address(bytes: packet[24..<40]) else {
            throw .invalidPacket("not an IPv6 packet")
        }
        try sendBytes(packet, to: dst)
    }

    /// `.transport`: sends a transport header and payload; the kernel adds the IPv6 header.
    public func send(_ segment: [UInt8], to destination: IPv6Address, hopLimit: UInt8) throws(RawSocketError) {
        guard case .transport = mode else { throw .invalidPacket("this socket sends whole packets; use send(_:)") }
        try setOption(fd, Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, Int32(hopLimit), "IPV6_UNICAST_HOPS")
        try sendBytes(segment, to: destination)
    }

    private func sendBytes(_ bytes: [UInt8], to dst: IPv6Address) throws(RawSocketError) {
        var sin6 = sockaddr_in6()
        sin6.sin6_family = sa_family_t(AF_INET6)
        // sin6_port must be 0 for raw sockets (nonzero means a protocol number on Linux).
        let a = dst.bytes
        withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
            for i in 0..<16 { raw[i] = a[i] }
        }
        try Sockets.send(fd, bytes, to: sin6)
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
