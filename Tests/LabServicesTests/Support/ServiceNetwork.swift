import Foundation
import Synchronization
import SystemSupport
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The client and server of the service tests: TestSupport's two namespaces joined by a
/// veth pair, `a` the client and `b` the server. Call `tearDown` in `defer` so the
/// namespaces go even when the test fails.
typealias ServiceNetwork = TwoHostNetwork

extension TwoHostNetwork {
    var client: String { a }
    var server: String { b }
    var clientAddress: String { addressA }
    var serverAddress: String { addressB }
    var clientAddress6: String { address6A }
    var serverAddress6: String { address6B }

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
        let serve = [CLI.binary, "lab", "serve", "--log", logPath] + args
        // `ip netns exec` execs the command, so the pid below is the server's own.
        process.arguments = namespace.map { ["ip", "netns", "exec", $0] + serve } ?? serve
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = stderrData, errors = err.fileHandleForReading, output = out.fileHandleForReading
        try startThread(named: "serve stderr") { errData.set(errors.readDataToEndOfFile()) }
        let firstLine = Collected()
        try startThread(named: "serve stdout") {
            var seen = Data()
            while true {
                let chunk = output.availableData
                if chunk.isEmpty { break }
                seen += chunk
                if seen.contains(0x0A) { break }
            }
            firstLine.set(seen)
        }
        let line = firstLine.wait(timeout: timeout).map { String(decoding: $0, as: UTF8.self) } ?? ""
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

/// Data handed over by a reader thread, waited for with a semaphore.
final class Collected: Sendable {
    private let data = Mutex(Data())
    private let done = DispatchSemaphore(value: 0)

    func set(_ d: Data) {
        data.withLock { $0 = d }
        done.signal()
    }

    func wait() -> Data {
        done.wait()
        return data.withLock { $0 }
    }

    /// The data, or nil when none came within `timeout` seconds.
    func wait(timeout: Double) -> Data? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return data.withLock { $0 }
    }
}
