import Foundation
import ChildProcess
#if canImport(Glibc)
import Glibc
#endif

/// Two network namespaces joined by a veth pair, addressed in 198.18.0.0/16 and
/// 2001:db8::/32, created for one test and removed by `tearDown` (call it in `defer`).
final class TwoHostNetwork {
    let a: String
    let b: String
    let subnet: Int
    var addressA: String { "198.18.\(subnet).1" }
    var addressB: String { "198.18.\(subnet).2" }
    var address6A: String { "2001:db8:\(subnet)::1" }
    var address6B: String { "2001:db8:\(subnet)::2" }
    let interfaceA = "veth-a"
    let interfaceB = "veth-b"

    static var canRun: Bool { geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip") }

    init() throws {
        let tag = "\(getpid() % 10000)-\(Int.random(in: 0..<100000))"
        a = "cstest-\(tag)-a"
        b = "cstest-\(tag)-b"
        subnet = Int.random(in: 1...250)
        do {
            try ip("netns", "add", a)
            try ip("netns", "add", b)
            try ip("link", "add", "cstmp\(getpid() % 100000)", "type", "veth", "peer", "name", "cstmpp\(getpid() % 100000)")
            try ip("link", "set", "cstmp\(getpid() % 100000)", "netns", a, "name", interfaceA)
            try ip("link", "set", "cstmpp\(getpid() % 100000)", "netns", b, "name", interfaceB)
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

    func tearDown() {
        _ = try? ip("netns", "del", a)
        _ = try? ip("netns", "del", b)
    }

    @discardableResult
    func ip(_ args: String...) throws -> String { try run("ip", args) }

    @discardableResult
    func run(_ tool: String, _ args: [String]) throws -> String {
        let r = Subprocess.run([tool] + args, timeout: 60)
        let text = r.stdout + r.stderr
        guard r.status == 0 else {
            throw NSError(domain: "TwoHostNetwork", code: Int(r.status),
                          userInfo: [NSLocalizedDescriptionKey: "\(tool) \(args.joined(separator: " ")) failed: \(text)"])
        }
        return text
    }
}
