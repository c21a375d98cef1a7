import Packets

/// One end of a flow.
struct Endpoint: Hashable, Sendable {
    var address: IPAddress
    var port: UInt16
}

/// A flow in either direction: the two endpoints in a fixed order, so A→B and B→A
/// find the same state. ICMP flows have port 0.
struct FlowKey: Hashable, Sendable {
    var proto: UInt8
    var low: Endpoint
    var high: Endpoint

    /// The key, and whether the packet's source is the `low` endpoint.
    static func of(proto: UInt8, source: Endpoint, destination: Endpoint) -> (FlowKey, sourceIsLow: Bool) {
        if precedes(source, destination) {
            return (FlowKey(proto: proto, low: source, high: destination), true)
        }
        return (FlowKey(proto: proto, low: destination, high: source), false)
    }

    private static func precedes(_ a: Endpoint, _ b: Endpoint) -> Bool {
        switch (a.address, b.address) {
        case let (.v4(x), .v4(y)) where x != y: return x < y
        case let (.v6(x), .v6(y)) where x != y: return x < y
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        default: return a.port <= b.port
        }
    }
}

/// What the censor knows about one side of a TCP flow.
struct TCPSide: Hashable, Sendable {
    var isn: UInt32?
    /// The sequence number after the last byte (SYN/FIN included) forwarded from this side.
    var nextSeq: UInt32?
    var stream = StreamInspector()
}

/// Per-flow state: the TCP handshake, the two sides, and a throttle once one applies.
struct FlowState: Hashable, Sendable {
    var lastSeen: Double
    /// Index 0: the key's low endpoint, 1: the high one.
    var sides = [TCPSide(), TCPSide()]
    /// Which side sent the SYN (0/1), once seen.
    var initiator: Int?
    var synAckSeen = false
    var established = false
    /// Index of the throttle rule that caught this flow; it shapes both directions from then on.
    var throttleRule: Int?
    var buckets: [TokenBucket?] = [nil, nil]

    init(lastSeen: Double) { self.lastSeen = lastSeen }
}

/// The residual-blocking key: a client, a server and the server's port.
struct ResidualKey: Hashable, Sendable {
    var client: IPAddress
    var server: IPAddress
    var serverPort: UInt16
}

/// Flows by key, bounded: idle flows expire, and when full the least recently seen go.
struct FlowTable: Sendable {
    static let capacity = 16_384
    static let idleTimeout: Double = 300

    private(set) var flows: [FlowKey: FlowState] = [:]
    private var lastSweep: Double = 0

    var count: Int { flows.count }

    subscript(key: FlowKey) -> FlowState? {
        get { flows[key] }
        set { flows[key] = newValue }
    }

    /// Makes room before a new flow is added. Returns the bytes the remaining flows
    /// buffer for inspection when it swept, nil when it did not need to.
    mutating func makeRoom(at now: Double) -> Int? {
        guard flows.count >= Self.capacity || now - lastSweep > Self.idleTimeout else { return nil }
        lastSweep = now
        flows = flows.filter { now - $0.value.lastSeen < Self.idleTimeout }
        if flows.count >= Self.capacity {
            let oldest = flows.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(flows.count - Self.capacity * 3 / 4)
            for (k, _) in oldest { flows[k] = nil }
        }
        return flows.values.reduce(0) { $0 + $1.sides[0].stream.bufferedBytes + $1.sides[1].stream.bufferedBytes }
    }
}
