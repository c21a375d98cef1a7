import Packets

/// A token bucket's shape: `burst` requests at once, then one every `secondsPerRequest`.
public struct RateLimit: Hashable, Sendable, CustomStringConvertible {
    public var burst: Int
    public var secondsPerRequest: Double

    /// 10 at once, then one every 2 s.
    public static let standard = RateLimit(burst: 10, secondsPerRequest: 2)

    public init(burst: Int, secondsPerRequest: Double) {
        self.burst = burst
        self.secondsPerRequest = secondsPerRequest
    }

    /// What `init(parsing:)` takes, as a sentence for errors.
    public static let syntax = "--rate-limit must be BURST/SECONDS, e.g. 10/2: a burst of 1 to 10000 requests, then one every SECONDS (more than 0, at most 86400)"

    /// Parses `BURST/SECONDS`, e.g. `10/2`: a burst of 10, then one request every 2 s.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let burst = Int(parts[0]), let seconds = Double(parts[1]),
              (1...10_000).contains(burst), seconds.isFinite, seconds > 0, seconds <= 86_400 else { return nil }
        self.init(burst: burst, secondsPerRequest: seconds)
    }

    public var description: String {
        let s = secondsPerRequest == secondsPerRequest.rounded() ? String(Int(secondsPerRequest)) : String(secondsPerRequest)
        return "\(burst)/\(s)"
    }
}

/// Whether a request may go ahead.
public enum RateDecision: Hashable, Sendable {
    case allowed
    /// Over the limit; retry after this many whole seconds.
    case refused(retryAfter: Int)
}

/// A token bucket per (token, client address): one client cannot use up another's
/// allowance, and requests without a valid token share one bucket per address (so
/// guessing tokens is limited too). Time is passed in, in seconds on a monotonic clock.
public struct RateLimiter: Sendable {
    public let limit: RateLimit
    /// Buckets kept at most; full ones are forgotten first (a full bucket is as good as none).
    public let capacity: Int
    private var buckets: [Key: Bucket] = [:]

    struct Key: Hashable, Sendable {
        var token: Int?
        var client: IPAddress
    }

    struct Bucket: Sendable {
        var level: Double
        var updated: Double
    }

    public init(limit: RateLimit, capacity: Int = 10_000) {
        self.limit = limit
        self.capacity = max(1, capacity)
    }

    /// Buckets held now (for tests).
    public var count: Int { buckets.count }

    /// Takes one request from the bucket of (`token`, `client`) at time `now`.
    public mutating func admit(token: Int?, client: IPAddress, now: Double) -> RateDecision {
        let key = Key(token: token, client: Self.clientKey(client))
        var bucket = buckets[key] ?? Bucket(level: Double(limit.burst), updated: now)
        let elapsed = max(0, now - bucket.updated)
        bucket.level = min(Double(limit.burst), bucket.level + elapsed / limit.secondsPerRequest)
        bucket.updated = now
        if bucket.level >= 1 {
            bucket.level -= 1
            store(key, bucket, now: now)
            return .allowed
        }
        store(key, bucket, now: now)
        let wait = (1 - bucket.level) * limit.secondsPerRequest
        return .refused(retryAfter: max(1, Int(wait.rounded(.up))))
    }

    /// An IPv6 client counts as its /64 (one host usually holds a whole /64, so per-address
    /// buckets would let it rotate past the limit); IPv4-mapped addresses as IPv4.
    public static func clientKey(_ address: IPAddress) -> IPAddress {
        switch AgentScope.normalised(address) {
        case .v6(let a): return .v6(IPv6Address(high: a.high, low: 0))
        case let other: return other
        }
    }

    private mutating func store(_ key: Key, _ bucket: Bucket, now: Double) {
        buckets[key] = bucket
        guard buckets.count > capacity else { return }
        let full = Double(limit.burst)
        buckets = buckets.filter { $0.key == key || $0.value.level + max(0, now - $0.value.updated) / limit.secondsPerRequest < full }
        while buckets.count > capacity, let oldest = buckets.filter({ $0.key != key }).min(by: { $0.value.updated < $1.value.updated }) {
            buckets[oldest.key] = nil
        }
    }
}
