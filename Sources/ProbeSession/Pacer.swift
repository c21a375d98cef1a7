import Synchronization

/// Paces sends to a rate: a token bucket of `burst` probes refilled at `rate` per second.
/// Pure arithmetic on a caller-supplied clock, so it is tested without sleeping.
public struct Pacer: Sendable {
    /// Probes per second; nil sends as fast as the socket takes them.
    public let rate: Double?
    public let burst: Double
    private var tokens: Double
    private var updated: Double

    public init(rate: Double?, burst: Int = 1, now: Double) {
        self.rate = rate.flatMap { $0 > 0 ? $0 : nil }
        self.burst = Double(max(1, burst))
        tokens = self.burst
        updated = now
    }

    /// Seconds to wait before the next probe may go (0 when it may go now). Call
    /// `consume` once it has gone.
    public mutating func delay(at now: Double) -> Double {
        guard let rate else { return 0 }
        refill(now, rate)
        return tokens >= 1 ? 0 : (1 - tokens) / rate
    }

    public mutating func consume(at now: Double) {
        guard let rate else { return }
        refill(now, rate)
        tokens -= 1
    }

    private mutating func refill(_ now: Double, _ rate: Double) {
        if now > updated {
            tokens = min(burst, tokens + (now - updated) * rate)
            updated = now
        }
    }

    /// Takes the next slot now and returns how long to wait before using it: callers that
    /// share one pacer queue up behind each other instead of racing for a token.
    public mutating func reserve(at now: Double) -> Double {
        guard let rate else { return 0 }
        refill(now, rate)
        tokens -= 1
        return tokens >= 0 ? 0 : -tokens / rate
    }
}

/// One pace for many concurrent runs (a campaign's targets in parallel): every run's sends
/// draw from the same bucket, so the total rate holds whatever the parallelism.
public final class SharedPacer: Sendable {
    private let state: Mutex<Pacer>

    public init(rate: Double?, burst: Int = 1) {
        state = Mutex(Pacer(rate: rate, burst: burst, now: RunClock.monotonic()))
    }

    public var rate: Double? { state.withLock { $0.rate } }

    /// Seconds the caller must wait before its next send, its slot already taken.
    public func reserve() -> Double {
        state.withLock { $0.reserve(at: RunClock.monotonic()) }
    }
}
