import Foundation
import ChildProcess
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// client — censor (router) — server, three network namespaces joined by veth pairs,
/// addressed in 198.18.0.0/16, built for one test and removed by `tearDown` (call it in
/// `defer`). The router forwards; the censor runs in its namespace.
final class ThreeNodeLab {
    let client: String
    let router: String
    let server: String
    let net: Int
    var clientAddress: String { "198.18.\(net).2" }
    var serverAddress: String { "198.18.\(net + 1).2" }
    var clientPrefix: String { "198.18.\(net).0/24" }
    let clientInterface = "eth0"

    static var canRun: Bool { Tools.isRoot && Tools.available(["ip"]) }

    init() throws {
        let tag = "\(getpid() % 10000)-\(Int.random(in: 0..<100000))"
        client = "cstest-\(tag)-c"
        router = "cstest-\(tag)-r"
        server = "cstest-\(tag)-s"
        net = 2 * Int.random(in: 5...120)
        let t = "\(getpid() % 10000)\(Int.random(in: 0..<100))"
        do {
            for ns in [client, router, server] {
                try ip("netns", "add", ns)
                try ip("-n", ns, "link", "set", "lo", "up")
            }
            try ip("link", "add", "csa\(t)", "type", "veth", "peer", "name", "csb\(t)")
            try ip("link", "set", "csa\(t)", "netns", client, "name", "eth0")
            try ip("link", "set", "csb\(t)", "netns", router, "name", "ethc")
            try ip("link", "add", "csc\(t)", "type", "veth", "peer", "name", "csd\(t)")
            try ip("link", "set", "csc\(t)", "netns", server, "name", "eth0")
            try ip("link", "set", "csd\(t)", "netns", router, "name", "eths")
            try ip("-n", client, "addr", "add", "\(clientAddress)/24", "dev", "eth0")
            try ip("-n", server, "addr", "add", "\(serverAddress)/24", "dev", "eth0")
            try ip("-n", router, "addr", "add", "198.18.\(net).1/24", "dev", "ethc")
            try ip("-n", router, "addr", "add", "198.18.\(net + 1).1/24", "dev", "eths")
            for (ns, dev) in [(client, "eth0"), (server, "eth0"), (router, "ethc"), (router, "eths")] {
                try ip("-n", ns, "link", "set", dev, "up")
            }
            try ip("-n", client, "route", "add", "default", "via", "198.18.\(net).1")
            try ip("-n", server, "route", "add", "default", "via", "198.18.\(net + 1).1")
            try run("ip", ["netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        } catch {
            tearDown()
            throw error
        }
    }

    func tearDown() {
        for ns in [client, router, server] { _ = try? ip("netns", "del", ns) }
    }

    @discardableResult
    func ip(_ args: String...) throws -> String { try run("ip", args) }

    /// Runs a tool to completion; throws with its output when it fails.
    @discardableResult
    func run(_ tool: String, _ args: [String]) throws -> String { try Tools.run([tool] + args) }

    func status(_ tool: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let r = Subprocess.run([tool] + args, timeout: 120)
        return (r.status, r.stdout + r.stderr)
    }

    /// Starts a long-running command in a namespace; stop it with `terminate()` + `waitUntilExit()`.
    func spawn(in ns: String, _ command: [String], output: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["ip", "netns", "exec", ns] + command
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }
}
