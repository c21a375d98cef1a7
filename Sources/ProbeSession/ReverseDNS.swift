import Dispatch
import Packets
import Synchronization
import SystemSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reverse DNS names for hop addresses, under a hard time budget. getnameinfo cannot be
/// cancelled, so each lookup runs on its own thread; a lookup that outlives its budget is
/// abandoned (it frees its slot; its worker finishes in the background and its answer is
/// kept only if it comes before the call returns) and the call returns by the total
/// deadline whatever the resolver does. Off unless asked for:
/// every lookup tells the resolver which routers the trace crossed.
public enum ReverseDNS {
    /// A name lookup for one address; nil when it has none.
    public typealias Resolver = @Sendable (IPAddress) -> String?

    /// Names found within the budget, by address (addresses without a name are absent).
    /// At most `concurrency` lookups run at once; a lookup still running after `perLookup`
    /// frees its slot; nothing waits past `total`.
    public static func names(for addresses: [IPAddress], perLookup: Duration = .seconds(1),
                             total: Duration = .seconds(2), concurrency: Int = 8,
                             resolver: @escaping Resolver = ReverseDNS.getnameinfoName) -> [IPAddress: String] {
        var pending: [IPAddress] = []
        var seen = Set<IPAddress>()
        for a in addresses where seen.insert(a).inserted { pending.append(a) }
        pending.reverse()   // popLast takes them in the order given
        let perLookup = max(perLookup, .milliseconds(10))   // zero would let every lookup start at once
        let clock = ContinuousClock()
        let deadline = clock.now + total
        let state = LookupState()
        let wake = DispatchSemaphore(value: 0)
        var running: [IPAddress: ContinuousClock.Instant] = [:]
        while true {
            let now = clock.now
            let finished = state.finished()
            running = running.filter { !finished.contains($0.key) && now - $0.value < perLookup }
            while running.count < max(1, concurrency), now < deadline, let address = pending.popLast() {
                running[address] = now
                // A thread of its own for each lookup: getnameinfo blocks, and blocking calls
                // on Dispatch's global queue (as wide as the cores) would starve each other.
                do {
                    try startThread(named: "reverse dns") {
                        state.finish(address, name: resolver(address))
                        wake.signal()
                    }
                } catch {
                    state.finish(address, name: nil)
                }
            }
            if (running.isEmpty && pending.isEmpty) || now >= deadline { break }
            let nextExpiry = running.values.min().map { $0 + perLookup } ?? deadline
            let until = min(deadline, nextExpiry)
            let nanoseconds = max(1_000_000, nanosecondsIn(until - now))
            _ = wake.wait(timeout: .now() + .nanoseconds(Int(min(nanoseconds, Int64(Int.max)))))
        }
        return state.names()
    }

    /// getnameinfo with NI_NAMEREQD: the PTR name (or /etc/hosts name), nil when there is
    /// none; names with bytes outside printable ASCII are refused, so a hostile PTR record
    /// cannot put escape sequences on the terminal.
    @Sendable public static func getnameinfoName(_ address: IPAddress) -> String? {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status: Int32
        switch address {
        case .v4(let a):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_addr.s_addr = a.value.bigEndian
            status = withUnsafePointer(to: &sin) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    getnameinfo($0, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NAMEREQD)
                }
            }
        case .v6(let a):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for (i, b) in a.bytes.enumerated() where i < raw.count { raw[i] = b }
            }
            status = withUnsafePointer(to: &sin6) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    getnameinfo($0, socklen_t(MemoryLayout<sockaddr_in6>.size), &host, socklen_t(host.count), nil, 0, NI_NAMEREQD)
                }
            }
        }
        guard status == 0 else { return nil }
        let bytes = host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        guard !bytes.isEmpty, bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func nanosecondsIn(_ d: Duration) -> Int64 {
        let c = d.components
        return c.seconds > Int64.max / 1_000_000_000 ? Int64.max : c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}

/// Results written by the workers, read by the coordinator; a class, since a worker may
/// outlive the call that started it.
private final class LookupState: Sendable {
    private struct Lookups {
        var found: [IPAddress: String] = [:]
        var done = Set<IPAddress>()
    }
    private let lookups = Mutex(Lookups())

    func finish(_ address: IPAddress, name: String?) {
        lookups.withLock {
            $0.done.insert(address)
            if let name { $0.found[address] = name }
        }
    }

    func finished() -> Set<IPAddress> { lookups.withLock { $0.done } }

    func names() -> [IPAddress: String] { lookups.withLock { $0.found } }
}
