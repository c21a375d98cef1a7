import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Two network namespaces joined by a veth pair, addressed in 198.18.0.0/16 and
/// 2001:db8::/32, created for one test and removed by `tearDown` (call it in `defer`).
public final class TwoHostNetwork: Sendable {
    public let a: String
    public let b: String
    public let subnet: Int
    public var addressA: String { "198.18.\(subnet).1" }
    public var addressB: String { "198.18.\(subnet).2" }
    public var address6A: String { "2001:db8:\(subnet)::1" }
    public var address6B: String { "2001:db8:\(subnet)::2" }
    public let interfaceA = "veth-a"
    public let interfaceB = "veth-b"

    public static var canRun: Bool { Tools.isRoot && Tools.available(["ip"]) }

    public init() throws {
        let tag = Int.random(in: 0..<1_000_000)
        a = "cstest-\(tag)-a"
        b = "cstest-\(tag)-b"
        subnet = Int.random(in: 1...250)
        // Temporary interface names unique per network, so tests may build networks at once.
        let tmpA = "cstmpa\(tag)", tmpB = "cstmpb\(tag)"
        do {
            try ip("netns", "add", a)
            try ip("netns", "add", b)
            try ip("link", "add", tmpA, "type", "veth", "peer", "name", tmpB)
            try ip("link", "set", tmpA, "netns", a, "name", interfaceA)
            try ip("link", "set", tmpB, "netns", b, "name", interfaceB)
            for (ns, ifname, v4, v6) in [(a, interfaceA, addressA, address6A), (b, interfaceB, addressB, address6B)] {
                try ip("-n", ns, "link", "set", "lo", "up")
                try ip("-n", ns, "addr", "add", "\(v4)/24", "dev", ifname)
                try ip("-n", ns, "addr", "add", "\(v6)/64", "dev", ifname, "nodad")
                try ip("-n", ns, "link", "set", ifname, "up")
            }
        } catch {
            tearDown()
            throw error
        }
    }

    public func tearDown() {
        _ = try? ip("netns", "del", a)
        _ = try? ip("netns", "del", b)
    }

    @discardableResult
    public func ip(_ args: String...) throws -> String { try run("ip", args) }

    /// Runs a tool to completion; throws with its output when it fails.
    @discardableResult
    public func run(_ tool: String, _ args: [String]) throws -> String { try Tools.run([tool] + args, timeout: 60) }
}
