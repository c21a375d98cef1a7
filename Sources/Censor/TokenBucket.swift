/// A token-bucket shaper for one direction of one throttled flow: packets within the
/// burst go at once, later ones are scheduled at the rate, FIFO, and a packet that would
/// wait longer than the allowed delay is dropped (a full queue, as tc tbf does).
public struct TokenBucket: Hashable, Sendable {
    /// Bytes available at `updated`; starts full.
    private(set) var tokens: Double
    private(set) var updated: Double
    /// When the last scheduled packet leaves.
    private(set) var tail: Double

    public init(spec: ThrottleSpec, at time: Double) {
        tokens = Double(spec.burstBytes)
        updated = time
        tail = time
    }

    /// The release time of a packet of `bytes` arriving at `now`, or nil to drop it.
    public mutating func schedule(bytes: Int, at now: Double, spec: ThrottleSpec) -> Double? {
        let rate = spec.bytesPerSecond
        let size = Double(bytes)
        // A packet bigger than the bucket still passes once the bucket is full.
        let depth = max(Double(spec.burstBytes), size)
        let start = max(now, tail, updated)
        let available = min(depth, tokens + rate * (start - updated))
        let release = available >= size ? start : start + (size - available) / rate
        guard release - now <= Double(spec.maxDelayMilliseconds) / 1000 else { return nil }
        tokens = min(depth, available + rate * (release - start)) - size
        updated = release
        tail = release
        return release
    }
}
