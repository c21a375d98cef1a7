import Foundation
import Packets

/// How a campaign turns the names in its target list into addresses, once, at the start:
/// the system's resolver (getaddrinfo), or DNS over UDP to one server (`--resolver`).
public enum NameResolution {
    /// Every address getaddrinfo gives, IPv4 first; an error sentence otherwise.
    public static func system(_ name: String) throws(MeasurementError) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &result)
        guard status == 0, let first = result else {
            throw MeasurementError("cannot resolve '\(name)': \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var out: [IPAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node, let sa = n.pointee.ai_addr {
            if n.pointee.ai_family == AF_INET {
                let v = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                out.append(.v4(IPv4Address(UInt32(bigEndian: v))))
            } else if n.pointee.ai_family == AF_INET6 {
                let bytes = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) } }
                if let a = IPv6Address(bytes: bytes) { out.append(.v6(a)) }
            }
            node = n.pointee.ai_next
        }
        return ordered(out)
    }

    /// A and AAAA queries to `server` port 53 over UDP, 2 s each.
    public static func dns(_ name: String, server: IPAddress) throws(MeasurementError) -> [IPAddress] {
        guard let qname = DNSName(name) else { throw MeasurementError("'\(name)' is not a valid DNS name") }
        var out: [IPAddress] = []
        for type in [DNSType.a, DNSType.aaaa] {
            var query = DNSMessage(id: UInt16.random(in: 1...UInt16.max), questions: [DNSQuestion(name: qname, type: type)])
            query.recursionDesired = true
            let reply = try exchange(query.encoded(), server: server)
            let message: DNSMessage
            do { message = try DNSMessage(decoding: reply) } catch { throw MeasurementError("the resolver \(server) sent a malformed answer for '\(name)'") }
            guard message.id == query.id else { throw MeasurementError("the resolver \(server) answered another query for '\(name)'") }
            if message.rcode == .nameError { throw MeasurementError("cannot resolve '\(name)': the resolver \(server) says it does not exist") }
            out += message.answers.compactMap { $0.type == type ? $0.address : nil }
        }
        if out.isEmpty { throw MeasurementError("cannot resolve '\(name)': the resolver \(server) has no A or AAAA record for it") }
        return ordered(out)
    }

    /// The first address the system's resolver gives (IPv4 first), nil when it gives none.
    public static func first(_ name: String) -> IPAddress? { (try? system(name))?.first }

    private static func ordered(_ list: [IPAddress]) -> [IPAddress] {
        var seen = Set<IPAddress>()
        let unique = list.filter { seen.insert($0).inserted }
        return unique.filter { if case .v4 = $0 { return true }; return false } + unique.filter { if case .v6 = $0 { return true }; return false }
    }

    private static func exchange(_ query: [UInt8], server: IPAddress) throws(MeasurementError) -> [UInt8] {
        var storage = sockaddr_storage()
        let length: socklen_t
        let family: Int32
        switch server {
        case .v4(let a):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = UInt16(53).bigEndian
            sin.sin_addr.s_addr = a.value.bigEndian
            withUnsafeBytes(of: sin) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            (length, family) = (socklen_t(MemoryLayout<sockaddr_in>.size), AF_INET)
        case .v6(let a):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = UInt16(53).bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: a.bytes) }
            withUnsafeBytes(of: sin6) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            (length, family) = (socklen_t(MemoryLayout<sockaddr_in6>.size), AF_INET6)
        }
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw MeasurementError("cannot open a UDP socket for DNS: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let connected = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }
        guard connected == 0 else { throw MeasurementError("cannot reach the resolver \(server): \(String(cString: strerror(errno)))") }
        guard query.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == query.count else {
            throw MeasurementError("cannot send to the resolver \(server): \(String(cString: strerror(errno)))")
        }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 2000) == 1 else { throw MeasurementError("the resolver \(server) did not answer within 2 s") }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw MeasurementError("the resolver \(server) refused the query: \(String(cString: strerror(errno)))") }
        return Array(buffer[..<n])
    }
}
