import Synchronization
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// Open captures kept for the next run of the same process instead of closed.
///
/// Opening an AF_PACKET capture and closing it each cost the kernel an RCU grace period
/// (some 14 ms and 29 ms here), and an investigation or a campaign item makes several runs,
/// each with its own capture. A run takes a capture configured as it needs (interface, ring,
/// snap length, modes), gets it with its own filter and an empty ring (`LiveCapture.reuse`),
/// and gives it back when it ends; only one run holds a capture at a time, so each run's
/// packets, drops and evidence stay its own.
public final class CapturePool: Sendable {
    public static let shared = CapturePool()

    /// Idle captures kept at most; more are closed as they come back.
    public let limit: Int
    private let state = Mutex(State())

    private struct State {
        var idle: [Key: [LiveCapture]] = [:]
        var count = 0
    }

    /// A capture fits a run opened with the same settings in the same network namespace.
    private struct Key: Hashable {
        var configuration: LiveCaptureConfiguration
        var namespace: NamespaceIdentity?

        init(_ configuration: LiveCaptureConfiguration, namespace: NamespaceIdentity?) {
            self.configuration = configuration
            self.configuration.filter = nil
            self.namespace = namespace
        }
    }

    public init(limit: Int = 64) { self.limit = limit }

    /// A capture as `configuration` asks: an idle one with the filter swapped, or a new one.
    public func take(_ configuration: LiveCaptureConfiguration) throws(LiveCaptureError) -> LiveCapture {
        let key = Key(configuration, namespace: NamespaceIdentity.currentThread)
        while let capture = state.withLock({ s -> LiveCapture? in
            guard let c = s.idle[key]?.popLast() else { return nil }
            s.count -= 1
            return c
        }) {
            do {
                try capture.reuse(filter: configuration.filter)
                return capture
            } catch {
                if case .invalidFilter = error { give(capture); throw error }
                capture.close()   // broken (its interface went away): try the next, or open anew
            }
        }
        return try LiveCapture(configuration)
    }

    /// Keeps `capture` for the next `take`, or closes it when the pool is full.
    public func give(_ capture: LiveCapture) {
        let key = Key(capture.configuration, namespace: capture.namespace)
        let kept = state.withLock { s -> Bool in
            // A capture whose namespace is unknown could be handed to a run in another.
            guard s.count < limit, capture.namespace != nil else { return false }
            s.count += 1
            s.idle[key, default: []].append(capture)
            return true
        }
        if !kept { capture.close() }
    }

    /// Closes every idle capture, all at once: each close waits for a grace period, and
    /// closes waiting together share one (the kernel would close them one after another at
    /// exit).
    public func closeAll() {
        let captures = state.withLock { s -> [LiveCapture] in
            defer { s = State() }
            return s.idle.values.flatMap { $0 }
        }
        guard captures.count > 1 else { captures.forEach { $0.close() }; return }
        let left = Countdown(captures.count)
        for capture in captures {
            do {
                try startThread(named: "cs-close", stackSize: ThreadStack.small) {
                    capture.close()
                    left.done()
                }
            } catch {
                capture.close()
                left.done()
            }
        }
        while !left.finished { usleep(1000) }
    }
}

private final class Countdown: Sendable {
    private let left: Mutex<Int>
    init(_ n: Int) { left = Mutex(n) }
    func done() { left.withLock { $0 -= 1 } }
    var finished: Bool { left.withLock { $0 <= 0 } }
}
