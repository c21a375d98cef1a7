/// What `investigate` concludes about a target and port (DESIGN.md's vocabulary).
public enum Verdict: String, Hashable, Sendable, CaseIterable {
    /// The service answered every probe the way a working host does.
    case reachable
    /// Probes drew resets that the host did not send.
    case rstInjection = "rst-injection"
    /// Probes vanish on the path while the path itself still answers.
    case drop
    /// The answer to a request is a page that the host did not send.
    case blockpage
    /// The service answers, but data on the test connection is slowed.
    case throttle
    /// A router answered with an ICMP destination unreachable (administratively prohibited).
    case icmpUnreachable = "icmp-unreachable"
    /// Nothing shows the host is up; the network says it is not there, or stays silent
    /// up to its last hop. Not censorship.
    case hostDown = "host-down"
    /// Nothing answered, the host nor a router saying why, and no other vantage shows the
    /// target up: from one vantage a block and an absent host look the same, so this is
    /// not called a block. Also a routing loop (time exceeded at full TTL).
    case unreachable

    /// Whether the verdict is a block (reachable, host-down and unreachable are not).
    public var isBlocking: Bool { self != .reachable && self != .hostDown && self != .unreachable }
}

/// How sure a conclusion is, with the reason given beside it.
public enum Confidence: String, Hashable, Sendable, Comparable {
    case low, medium, high

    public static func < (a: Confidence, b: Confidence) -> Bool {
        let order: [Confidence] = [.low, .medium, .high]
        return order.firstIndex(of: a)! < order.firstIndex(of: b)!
    }
}
