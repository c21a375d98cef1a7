import Campaigns
import ChildProcess
import Packets
import ProbeSession
import Sockets

/// Where a sweep's probes leave from, decided once before it starts: the source address and
/// interface the kernel routes the targets by, and (for the AF_PACKET sender) the next hop's
/// link address. Targets routed through different interfaces are captured on "any" and sent
/// by the raw sender; targets routed from different source addresses are refused.
public struct SweepRoute: Sendable, Equatable {
    public var source: IPAddress
    public var interface: String
    /// Set when every sampled target leaves through one interface by one next hop whose
    /// link address is known: the Ethernet header AF_PACKET prepends.
    public var linkHeader: [UInt8]?
    /// Why the AF_PACKET sender cannot be used, when it cannot.
    public var packetUnavailable: String?
    public var mixedInterfaces: Bool

    /// How many blocks' first addresses are routed to check they agree.
    static let sampledBlocks = 64

    public static func find(for space: TargetSpace, interface override: String?) throws(SweepError) -> SweepRoute {
        guard space.count > 0 else { throw .setup("no targets to sweep") }
        let step = max(1, space.blocks.count / sampledBlocks)
        var samples: [IPAddress] = []
        var i = 0
        while i < space.blocks.count {
            samples.append(space.address(at: Int(space.blocks[i].base)))
            i += step
        }
        samples.append(space.address(at: space.count - 1))
        var routes: [(IPAddress, RouteInfo)] = []
        for a in samples {
            do throws(ProbeSessionError) { routes.append((a, try Routing.route(to: a))) } catch {
                throw .setup(error.description)
            }
        }
        let first = routes[0].1
        if let other = routes.first(where: { $0.1.source != first.source }) {
            throw .setup("the targets are routed from different source addresses (\(routes[0].0) from \(first.source), \(other.0) from \(other.1.source)); sweep them separately")
        }
        let mixed = routes.contains { $0.1.interface != first.interface }
        var route = SweepRoute(source: first.source, interface: override ?? (mixed ? "any" : first.interface), linkHeader: nil,
                               packetUnavailable: nil, mixedInterfaces: mixed)
        if mixed {
            route.packetUnavailable = "the targets leave through more than one interface"
        } else if override != nil && override != first.interface {
            route.packetUnavailable = "--interface differs from the route's interface \(first.interface)"
        } else {
            route.findLinkHeader(samples: samples)
        }
        return route
    }

    /// The next hop of every sample must be one, with a known link address.
    mutating func findLinkHeader(samples: [IPAddress]) {
        guard let ours = interfaceHardwareAddress(interface) else {
            packetUnavailable = "\(interface) has no Ethernet address"
            return
        }
        var hops = Set<String>()
        for a in samples {
            let r = Subprocess.run(["ip", "route", "get", a.description], timeout: 5)
            guard r.status == 0 else {
                packetUnavailable = "ip route get \(a) failed"
                return
            }
            let words = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
            if let via = words.firstIndex(of: "via"), via + 1 < words.count { hops.insert(String(words[via + 1])) } else { hops.insert(a.description) }
        }
        guard hops.count == 1, let hop = hops.first else {
            packetUnavailable = "the targets are reached through \(hops.count) next hops"
            return
        }
        var mac = neighbour(hop)
        // Let the kernel resolve it: an echo to the next hop, three times at most (a fresh
        // IPv6 link cannot solicit a neighbour until its link-local address is ready).
        for _ in 0..<3 where mac == nil {
            _ = Subprocess.run(["ping", "-n", "-c", "1", "-W", "1", hop], timeout: 3)
            mac = neighbour(hop)
        }
        guard let mac else {
            packetUnavailable = "the link address of the next hop \(hop) is unknown"
            return
        }
        let type: [UInt8] = source.isV4Address ? [0x08, 0x00] : [0x86, 0xDD]
        linkHeader = mac + ours + type
    }

    func neighbour(_ hop: String) -> [UInt8]? {
        let r = Subprocess.run(["ip", "neigh", "show", "to", hop, "dev", interface], timeout: 5)
        guard r.status == 0 else { return nil }
        let words = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let i = words.firstIndex(of: "lladdr"), i + 1 < words.count, !r.stdout.contains("FAILED"), !r.stdout.contains("INCOMPLETE") else { return nil }
        return parseHardwareAddress(String(words[i + 1]))
    }
}

extension IPAddress {
    var isV4Address: Bool {
        if case .v4 = self { return true }
        return false
    }
}
