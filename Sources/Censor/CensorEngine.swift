import Packets

/// The censor's brain, without I/O: one packet in, one decision out.
///
/// Order of precedence for a packet: residual blocking of its client/server/port (set
/// by an earlier trigger), then the rules in order (first match wins), then a throttle
/// that an earlier packet put on its flow, then accept. Disturb rules draw from a
/// generator of their own, so a seeded rule decides the same for the same packets.
public struct CensorEngine: Sendable {
    public let policy: CensorPolicy
    private var flows = FlowTable()
    private var residual: [ResidualKey: (until: Double, rule: Int)] = [:]
    private var forger = Forger()
    /// One generator per disturb rule (by index), seeded from the rule or at random.
    private var disturbRandom: [Int: SeededRandom] = [:]
    /// Bytes all stream inspectors hold; past the budget new streams are not inspected.
    private var inspectedBytes = 0
    static let inspectionBudget = 64 << 20

    public init(policy: CensorPolicy) {
        self.policy = policy
    }

    public var flowCount: Int { flows.count }

    /// `time` is in seconds on any monotonic clock; throttled packets get release times on it.
    public mutating func handle(_ packet: IPPacket, at time: Double) -> CensorDecision {
        let direction: PacketDirection = policy.isClient(packet.source) ? .clientToServer : .serverToClient
        let facts = PacketFacts(packet, direction: direction)
        let (key, sourceIsLow) = FlowKey.of(
            proto: facts.proto,
            source: Endpoint(address: packet.source, port: facts.sourcePort ?? 0),
            destination: Endpoint(address: packet.destination, port: facts.destinationPort ?? 0))
        let side = sourceIsLow ? 0 : 1

        var flow: FlowState
        if let existing = flows[key] {
            flow = existing
            flows[key] = nil            // own the state uniquely while it changes (no copy of buffers)
        } else {
            if let total = flows.makeRoom(at: time) { inspectedBytes = total }
            flow = FlowState(lastSeen: time)
        }
        flow.lastSeen = time
        var flowFacts = FlowFacts()
        if let tcp = facts.tcp { observe(tcp, side: side, flow: &flow, facts: &flowFacts) }

        let decision = decide(facts, flowFacts, flow: &flow, side: side, at: time)

        if let tcp = facts.tcp, decision.verdict != .drop {
            let end = tcp.sequenceNumber &+ UInt32(truncatingIfNeeded: tcp.payload.count)
                &+ (tcp.flags.contains(.syn) ? 1 : 0) &+ (tcp.flags.contains(.fin) ? 1 : 0)
            flow.sides[side].nextSeq = Forger.later(flow.sides[side].nextSeq, end)
        }
        flows[key] = flow
        return decision
    }

    /// Follows the handshake and feeds the stream inspector.
    private mutating func observe(_ tcp: TCPSegment, side: Int, flow: inout FlowState, facts: inout FlowFacts) {
        let f = tcp.flags
        if f.contains(.syn), !f.contains(.ack) {
            if let isn = flow.sides[side].isn, isn != tcp.sequenceNumber {
                // A new connection on the same addresses and ports: forget the old one.
                inspectedBytes -= flow.sides[0].stream.bufferedBytes + flow.sides[1].stream.bufferedBytes
                let throttle = (flow.throttleRule, flow.buckets)
                flow = FlowState(lastSeen: flow.lastSeen)
                (flow.throttleRule, flow.buckets) = throttle
            }
            flow.sides[side].isn = tcp.sequenceNumber
            flow.sides[side].stream.start(isn: tcp.sequenceNumber)
            flow.initiator = side
        } else if f.contains(.syn), f.contains(.ack) {
            flow.sides[side].isn = tcp.sequenceNumber
            flow.sides[side].stream.start(isn: tcp.sequenceNumber)
            if flow.initiator == 1 - side { flow.synAckSeen = true }
        } else if f.contains(.ack), flow.synAckSeen, flow.initiator == side {
            flow.established = true
        }
        facts.established = flow.established

        if !tcp.payload.isEmpty {
            var stream = flow.sides[side].stream
            if !stream.isDecided, inspectedBytes < Self.inspectionBudget || stream.bufferedBytes > 0 {
                flow.sides[side].stream = StreamInspector()   // unique ownership while adding
                let before = stream.bufferedBytes
                _ = stream.add(seq: tcp.sequenceNumber, payload: tcp.payload)
                inspectedBytes += stream.bufferedBytes - before
            }
            facts.content = stream.content
            facts.carriesContent = stream.carriesTrigger(seq: tcp.sequenceNumber, length: tcp.payload.count)
            flow.sides[side].stream = stream
        }
    }

    private mutating func decide(_ p: PacketFacts, _ ff: FlowFacts, flow: inout FlowState, side: Int,
                                 at now: Double) -> CensorDecision {
        let clientSide = p.direction == .clientToServer
        let residualKey = ResidualKey(
            client: clientSide ? p.packet.source : p.packet.destination,
            server: clientSide ? p.packet.destination : p.packet.source,
            serverPort: (clientSide ? p.destinationPort : p.sourcePort) ?? 0)
        if !residual.isEmpty, let entry = residual[residualKey] {
            if entry.until > now {
                return apply(entry.rule, p, flow: &flow, side: side, at: now, trigger: "residual", arm: nil)
            }
            residual[residualKey] = nil
        }
        for (index, rule) in policy.rules.enumerated() where rule.match.matches(p, ff) {
            let trigger = rule.match.describeTrigger(p, ff)
            return apply(index, p, flow: &flow, side: side, at: now, trigger: trigger, arm: residualKey)
        }
        if let r = flow.throttleRule {
            return apply(r, p, flow: &flow, side: side, at: now, trigger: "throttled-flow", arm: nil)
        }
        return .pass
    }

    /// Carries out rule `index` on the packet. `arm` is where residual blocking starts
    /// (nil when the packet was itself caught by residual blocking or a flow throttle).
    private mutating func apply(_ index: Int, _ p: PacketFacts, flow: inout FlowState, side: Int, at now: Double,
                                trigger: String, arm: ResidualKey?) -> CensorDecision {
        let rule = policy.rules[index]
        var d = CensorDecision(verdict: .accept, rule: rule.name, action: rule.action, trigger: trigger)
        switch rule.action {
        case .accept:
            return d
        case .drop:
            d.verdict = .drop
        case .inject, .injectAndAccept:
            d.verdict = rule.action == .inject ? .drop : .accept
            if let tcp = p.tcp {
                let context = TriggerContext(packet: p.packet, tcp: tcp, direction: p.direction,
                                             triggerForwarded: rule.action == .injectAndAccept,
                                             receiverNextSeq: flow.sides[1 - side].nextSeq)
                for spec in rule.inject { d.forged += forger.forge(spec, context) }
            }
        case .throttle:
            guard let spec = rule.throttle else { return d }
            flow.throttleRule = index
            var bucket = flow.buckets[side] ?? TokenBucket(spec: spec, at: now)
            if let release = bucket.schedule(bytes: p.ipLength, at: now, spec: spec) {
                d.verdict = release > now ? .delay(until: release) : .accept
            } else {
                d.verdict = .drop
            }
            flow.buckets[side] = bucket
        case .disturb:
            guard let spec = rule.disturb else { return d }
            var random = disturbRandom[index] ?? SeededRandom(seed: spec.seed ?? UInt64.random(in: .min ... .max))
            let drawn = Disturbance.draw(spec, copiable: ForwardedCopy.isForwardable(p.packet), at: now, using: &random)
            disturbRandom[index] = random
            d.verdict = drawn.release > now ? .delay(until: drawn.release) : .accept
            d.duplicates = drawn.copies
        }
        if let arm, rule.residualSeconds > 0 {
            if residual.count >= FlowTable.capacity { residual = residual.filter { $0.value.until > now } }
            if residual.count < FlowTable.capacity { residual[arm] = (now + rule.residualSeconds, index) }
        }
        return d
    }
}
