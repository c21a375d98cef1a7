import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Command {
    /// The `censorscope` binary next to the test bundle, else in .build/debug.
    static let binary: String = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("censorscope").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/censorscope").path
    }()

    static var isRoot: Bool { geteuid() == 0 }

    static func exists(_ tool: String) -> Bool {
        ["/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/bin/"].contains {
            FileManager.default.isExecutableFile(atPath: $0 + tool)
        } || (try? run(["sh", "-c", "command -v \(tool)"]).status == 0) == true
    }

    /// Runs argv (looked up on PATH), killing it after `timeout` seconds.
    static func run(_ argv: [String], stdin: Data? = nil, timeout: Double = 30) throws -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        let watchdog = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let errData = Collected()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        watchdog.cancel()
        let errBytes = errData.wait()
        return CommandResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errBytes, as: UTF8.self))
    }
}

/// Data handed from a reader thread, waited for with a semaphore.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    func set(_ d: Data) {
        lock.lock()
        data = d
        lock.unlock()
        done.signal()
    }

    func wait() -> Data {
        done.wait()
        lock.lock()
        defer { lock.unlock() }
        return data
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
