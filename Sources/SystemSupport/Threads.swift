import CSystemShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread that could not be started, with pthread_create's error.
public struct ThreadStartError: Error, Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let errno: Int32

    /// The system's words for the error (strerror).
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String { "cannot start a thread (\(name)): \(reason)" }
}

/// Stack sizes for `startThread` and `runOnNewThread`.
public enum ThreadStack {
    /// glibc's default: for a thread that runs code it does not know (a body in a namespace).
    public static let standard = 8 << 20
    /// For the many threads of a server, one per client: there can be hundreds at once.
    public static let small = 512 << 10
}

/// Starts a detached thread that runs `body`. `name` shows in `ps -L` and `top -H`
/// (the kernel keeps its first 15 bytes). Throws when the system refuses the thread
/// (no memory, the thread limit), so the caller can say so instead of waiting for it.
public func startThread(named name: String, stackSize: Int = ThreadStack.standard,
                        _ body: @escaping @Sendable () -> Void) throws(ThreadStartError) {
    _ = try spawnThread(named: name, stackSize: stackSize, detached: true, body)
}

/// Runs `body` on a new thread and waits for it: for calls that change the calling
/// thread itself (setns(2), capabilities), so that the caller's thread is never changed.
/// Throws a `ThreadStartError` when the thread cannot start, else what `body` throws.
public func runOnNewThread<T: Sendable>(named name: String, stackSize: Int = ThreadStack.standard,
                                        _ body: @escaping @Sendable () throws -> T) throws -> T {
    let outcome = Outcome<T>()
    let thread = try spawnThread(named: name, stackSize: stackSize, detached: false) {
        outcome.result = Result { try body() }
    }
    pthread_join(thread, nil)   // the join orders the thread's write before this read
    guard let result = outcome.result else { fatalError("a joined thread left no result") }
    return try result.get()
}

/// The one place that calls pthread_create.
private func spawnThread(named name: String, stackSize: Int, detached: Bool,
                         _ body: @escaping @Sendable () -> Void) throws(ThreadStartError) -> pthread_t {
    let job = Unmanaged.passRetained(ThreadJob(name: name, body: body))
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    let page = 4096   // a whole number of pages, and at least 64 KiB
    var rc = pthread_attr_setstacksize(&attributes, (max(stackSize, 64 << 10) + page - 1) & ~(page - 1))
    if rc == 0 && detached { rc = pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) }
    var thread = pthread_t()
    if rc == 0 {
        rc = pthread_create(&thread, &attributes, { raw in
            guard let raw else { return nil }
            let job = Unmanaged<ThreadJob>.fromOpaque(raw).takeRetainedValue()
            job.nameCurrentThread()
            job.body()
            return nil
        }, job.toOpaque())
    }
    guard rc == 0 else {
        job.release()
        throw ThreadStartError(name: name, errno: rc)
    }
    return thread
}

private final class ThreadJob: @unchecked Sendable {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }

    /// The kernel keeps at most 15 bytes; cut at a character boundary.
    func nameCurrentThread() {
        var bytes = Array(name.utf8.prefix(15))
        if bytes.count == 15, name.utf8.count > 15 {
            while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }   // inside a character
            if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }             // its first byte
        }
        _ = cs_name_current_thread(String(decoding: bytes, as: UTF8.self))
    }
}

/// A joined thread's result, written by that thread before the join and read after it.
private final class Outcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
