import CSystemShims
import Packets
#if canImport(Glibc)
import Glibc
#endif

/// Packets laid out for one `sendmmsg`: fixed-size slots, each with its length and, for the
/// raw IP sockets, its destination's sockaddr. Allocated once per run and reused per batch.
public final class SendBatch: @unchecked Sendable {
    public let capacity: Int
    /// Bytes per slot: the link header (AF_PACKET only) plus the longest packet.
    public let stride: Int
    public let addressLength: Int
    let bytes: UnsafeMutableRawPointer
    let lengths: UnsafeMutablePointer<UInt16>
    let addresses: UnsafeMutableRawPointer?

    init(capacity: Int, stride: Int, addressLength: Int) {
        self.capacity = capacity
        self.stride = stride
        self.addressLength = addressLength
        bytes = .allocate(byteCount: capacity * stride, alignment: 16)
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * stride)
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0, count: capacity)
        if addressLength > 0 {
            let a = UnsafeMutableRawPointer.allocate(byteCount: capacity * addressLength, alignment: 8)
            a.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * addressLength)
            addresses = a
        } else {
            addresses = nil
        }
    }

    deinit {
        bytes.deallocate()
        lengths.deallocate()
        addresses?.deallocate()
    }

    /// The start of slot `i` (the link header's place on AF_PACKET, else the IP header's).
    @inline(__always)
    public func slot(_ i: Int) -> UnsafeMutableRawPointer { bytes + i * stride }

    @inline(__always)
    public func setLength(_ i: Int, _ length: Int) { lengths[i] = UInt16(truncatingIfNeeded: length) }

    /// The destination of slot `i`'s packet, for the raw IP sockets (ignored on AF_PACKET).
    @inline(__always)
    public func setDestination(_ i: Int, ipv4 networkOrder: UInt32) {
        guard let addresses else { return }
        let p = (addresses + i * addressLength).assumingMemoryBound(to: sockaddr_in.self)
        p.pointee.sin_family = sa_family_t(AF_INET)
        p.pointee.sin_addr.s_addr = networkOrder
    }

    /// The destination of slot `i`'s packet: 16 bytes in network order at `bytes`.
    @inline(__always)
    public func setDestination(_ i: Int, ipv6 source: UnsafeRawPointer) {
        guard let addresses else { return }
        let p = addresses + i * addressLength
        p.storeBytes(of: sa_family_t(AF_INET6), toByteOffset: 0, as: sa_family_t.self)
        // sin6_addr sits at offset 8 of sockaddr_in6; sin6_port stays 0 (raw sockets).
        (p + 8).copyMemory(from: source, byteCount: 16)
    }
}

/// A socket that sends many prebuilt packets per system call (`sendmmsg`): a raw IPv4 or
/// IPv6 socket (the kernel routes each packet and adds the link header), or an AF_PACKET
/// socket on one interface that bypasses the qdisc and carries our own link header.
public final class BatchSocket: @unchecked Sendable {
    public enum Kind: Sendable, Equatable {
        case rawIPv4
        case rawIPv6
        /// AF_PACKET on the named interface; every packet starts with a 14-byte Ethernet header.
        case packet(interface: String)
    }

    public let kind: Kind
    private var fd: Int32

    public init(_ kind: Kind, device: String? = nil) throws(RawSocketError) {
        self.kind = kind
        switch kind {
        case .rawIPv4:
            fd = try openRawSocket(family: AF_INET, proto: Int32(IPPROTO_RAW), device: device) { fd throws(RawSocketError) in
                // A full device queue fails the send with ENOBUFS instead of a silent drop.
                try setOption(fd, Int32(IPPROTO_IP), IP_RECVERR, Int32(1), "IP_RECVERR")
            }
        case .rawIPv6:
            fd = try openRawSocket(family: AF_INET6, proto: Int32(IPPROTO_RAW), device: device) { fd throws(RawSocketError) in
                try setOption(fd, Int32(IPPROTO_IPV6), IPV6_RECVERR, Int32(1), "IPV6_RECVERR")
            }
        case .packet(let interface):
            let index = Int32(bitPattern: if_nametoindex(interface))
            guard index > 0 else { throw .system(call: "if_nametoindex(\(interface))", errno: errno) }
            // Protocol 0: this socket sends only; the kernel queues nothing it receives to it.
            fd = try openRawSocket(family: AF_PACKET, proto: 0, device: nil) { fd throws(RawSocketError) in
                if cs_bind_packet_socket(fd, index) != 0 { throw .system(call: "bind(AF_PACKET \(interface))", errno: errno) }
                // Straight to the driver: no qdisc, so a full queue is an error we see (ENOBUFS).
                try setOption(fd, Int32(SOL_PACKET), 20 /* PACKET_QDISC_BYPASS */, Int32(1), "PACKET_QDISC_BYPASS")
            }
        }
    }

    deinit { close() }

    /// Bytes before the IP header in every slot.
    public var linkHeaderLength: Int {
        if case .packet = kind { return 14 }
        return 0
    }

    /// A batch of `capacity` slots for packets of at most `maximumPacket` bytes (IP and up).
    public func makeBatch(capacity: Int, maximumPacket: Int) -> SendBatch {
        let addressLength: Int
        switch kind {
        case .rawIPv4: addressLength = MemoryLayout<sockaddr_in>.size
        case .rawIPv6: addressLength = MemoryLayout<sockaddr_in6>.size
        case .packet: addressLength = 0
        }
        let stride = (linkHeaderLength + maximumPacket + 15) & ~15
        return SendBatch(capacity: min(max(capacity, 1), 1024), stride: stride, addressLength: addressLength)
    }

    /// Sends slots `start ..< start + count` of `batch` in one call; returns how many left.
    /// Fewer than `count` means the kernel refused the next one (`errno` set: ENOBUFS when
    /// the device queue is full, EPERM from a firewall, ENETUNREACH, ...).
    public func send(_ batch: SendBatch, from start: Int, count: Int) -> (sent: Int, error: Int32) {
        guard count > 0 else { return (0, 0) }
        let n = cs_send_batch(fd, batch.slot(start).assumingMemoryBound(to: UInt8.self), UInt32(batch.stride),
                              batch.lengths + start, batch.addresses.map { $0 + start * batch.addressLength },
                              socklen_t(batch.addressLength), UInt32(count))
        // A short count carries no errno: the next call, starting at the refused packet, says why.
        if n < 0 { return (0, errno) }
        return (Int(n), 0)
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

/// An interface's hardware address, read from sysfs; nil when it has none (lo, tun).
public func interfaceHardwareAddress(_ interface: String) -> [UInt8]? {
    guard !interface.contains("/"), let file = fopen("/sys/class/net/\(interface)/address", "r") else { return nil }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 64)
    guard fgets(&line, 64, file) != nil else { return nil }
    let text = String(decoding: line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return parseHardwareAddress(text)
}

/// "aa:bb:cc:dd:ee:ff" as six bytes; nil for anything else.
public func parseHardwareAddress(_ text: String) -> [UInt8]? {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 6 else { return nil }
    var out: [UInt8] = []
    for p in parts {
        guard p.count == 2, let b = UInt8(p, radix: 16) else { return nil }
        out.append(b)
    }
    return out.allSatisfy { $0 == 0 } ? nil : out
}
