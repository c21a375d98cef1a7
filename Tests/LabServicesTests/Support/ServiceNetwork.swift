import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A client namespace and a server namespace joined by a veth pair, addressed in
/// 198.18.0.0/16 and 2001:db8::/32 (as the SocketsTests' TwoHostNetwork). Created for one
/// test; call `tearDown` in `defer` so the namespaces go even when the test fails.
final class ServiceNetwork {
    let client: String
    let server: String
    let subnet: Int
    var clientAddress: String { "198.18.\(subnet).1" }
    var serverAddress: String { "198.18.\(subnet).2" }
    var clientAddress6: String { "2001:db8:\(subnet)::1" }
    var serverAddress6: String { "2001:db8:\(subnet)::2" }

    static var canRun: Bool { Command.isRoot && Command.exists("ip") }

    init() throws {
        let tag = Int.random(in: 0..<1_000_000)
        client = "cstest-svc\(tag)-c"
        server = "cstest-svc\(tag)-s"
        subnet = Int.random(in: 1...250)
        // Temporary interface names unique per network, so tests may build networks at once.
        let tmpA = "cstc\(tag)", tmpB = "csts\(tag)"
        do {
            try ip("netns", "add", client)
            try ip("netns", "add", server)
            try ip("link", "add", tmpA, "type", "veth", "peer", "name", tmpB)
            try ip("link", "set", tmpA, "netns", client, "name", "veth0")
            try ip("link", "set", tmpB, "netns", server, "name", "veth0")
            for (ns, v4, v6) in [(client, clientAddress, clientAddress6), (server, serverAddress, serverAddress6)] {
                try ip("-n", ns, "link", "set", "lo", "up")
                try ip("-n", ns, "addr", "add", "\(v4)/24", "dev", "veth0")
                try ip("-n", ns, "addr", "add", "\(v6)/64", "dev", "veth0", "nodad")
                try ip("-n", ns, "link", "set", "veth0", "up")
            }
        } catch {
            tearDown()
            throw error
        }
    }

    func tearDown() {
        _ = try? Command.run(["ip", "netns", "del", client])
        _ = try? Command.run(["ip", "netns", "del", server])
    }

    private func ip(_ args: String...) throws {
        let r = try Command.run(["ip"] + args)
        guard r.status == 0 else { throw TestFailure("ip \(args.joined(separator: " ")): \(r.stderr)") }
    }

    /// Runs a command in the client namespace.
    func inClient(_ argv: [String], stdin: Data? = nil, timeout: Double = 30) throws -> CommandResult {
        try Command.run(["ip", "netns", "exec", client] + argv, stdin: stdin, timeout: timeout)
    }

    /// Runs Python 3 code in the client namespace; arguments land in sys.argv[1...].
    func python(_ code: String, _ args: [String] = [], timeout: Double = 30) throws -> CommandResult {
        try inClient(["python3", "-c", code] + args, timeout: timeout)
    }
}

/// `censorscope serve …` running in a namespace (or on the host when `namespace` is nil).
final class ServeProcess {
    let process = Process()
    let logPath: String
    private let stderrData = Collected()

    /// Starts the server and waits for its "ready" line; throws with its stderr if it exits first.
    init(namespace: String?, _ args: [String], timeout: Double = 30) throws {
        logPath = NSTemporaryDirectory() + "cstest-serve-\(getpid())-\(Int.random(in: 0..<1_000_000)).jsonl"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let serve = [Command.binary, "lab", "serve", "--log", logPath] + args
        // `ip netns exec` execs the command, so the pid below is the server's own.
        process.arguments = namespace.map { ["ip", "netns", "exec", $0] + serve } ?? serve
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = stderrData
        Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }.start()
        let ready = DispatchSemaphore(value: 0)
        let firstLine = Collected()
        Thread {
            var seen = Data()
            while true {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += chunk
                if seen.contains(0x0A) { break }
            }
            firstLine.set(seen)
            ready.signal()
        }.start()
        let waited = ready.wait(timeout: .now() + timeout)
        let line = waited == .success ? String(decoding: firstLine.wait(), as: UTF8.self) : ""
        guard line == "ready\n" else {
            stop()
            throw TestFailure("serve did not print ready (got \(line.debugDescription)): \(String(decoding: stderrData.wait(), as: UTF8.self))")
        }
    }

    var isRunning: Bool { process.isRunning }

    /// Sends `signal` (SIGTERM by default) and returns the exit status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    var stderr: String { String(decoding: stderrData.wait(), as: UTF8.self) }

    /// The log's records so far.
    func logRecords() throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map {
            guard let o = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
                throw TestFailure("log line is not an object: \($0)")
            }
            return o
        }
    }

    /// Waits a little for a record matching `predicate` (the server logs after answering).
    func waitForRecord(timeout: Double = 5, _ predicate: ([String: Any]) -> Bool) throws -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let r = try logRecords().first(where: predicate) { return r }
            usleep(50_000)
        } while Date() < deadline
        return nil
    }

    deinit {
        if process.isRunning { stop() }
        unlink(logPath)
    }
}
