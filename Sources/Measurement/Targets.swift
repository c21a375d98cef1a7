import SystemSupport
import Foundation
import Packets
import ProbeSession
import Probing
#if canImport(Glibc)
import Glibc
#endif

/// Where probes go: the address (a name is resolved), refused if special-purpose unless
/// allowed, and the kernel's route to it.
public struct ProbeTarget: Sendable {
    public var address: IPAddress
    public var route: RouteInfo

    public init(address: IPAddress, route: RouteInfo) {
        self.address = address
        self.route = route
    }

    /// Resolves `host` (an address or a name), applies the special-purpose refusal and asks
    /// the kernel for the route.
    public init(_ host: String, allowReserved: Bool) throws(MeasurementError) {
        guard let address = IPAddress(host) ?? NameResolution.first(host) else {
            throw MeasurementError("cannot resolve '\(host)': give an IPv4 or IPv6 address or a name the resolver knows")
        }
        if let refusal = SpecialPurposeRanges.refusal(for: address, allowReserved: allowReserved) {
            throw MeasurementError(refusal)
        }
        self.address = address
        do { route = try Routing.route(to: address) } catch { throw MeasurementError(error.description) }
    }

    public var isIPv6: Bool { if case .v6 = address { return true }; return false }
}

/// The special-purpose refusal's switch: `--allow-reserved`, or CENSORSCOPE_ALLOW_RESERVED=1
/// inside `lab exec`. The variable counts only in a named network namespace other than the
/// init one (where `lab exec` runs commands): a stray export on a real machine must not
/// silently lift the refusal.
public enum ReservedRanges {
    public static func allowed(flag: Bool) -> Bool {
        flag || (getenv("CENSORSCOPE_ALLOW_RESERVED").map { String(cString: $0) == "1" } == true && insideNamedNamespace())
    }

    /// Whether this process's network namespace is one of /run/netns's and not PID 1's.
    public static func insideNamedNamespace(netnsDirectory: String = "/run/netns") -> Bool {
        guard let own = NamespaceIdentity(path: "/proc/self/ns/net"), NamespaceIdentity(path: "/proc/1/ns/net") != own,
              let names = try? FileManager.default.contentsOfDirectory(atPath: netnsDirectory) else { return false }
        return names.contains { NamespaceIdentity(path: netnsDirectory + "/" + $0) == own }
    }
}
