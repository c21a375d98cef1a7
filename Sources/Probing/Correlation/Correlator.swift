import Capture
import Packets

/// Totals of one correlation run.
public struct CorrelationCounts: Hashable, Sendable {
    /// Probes seen leaving in the capture (each probe once).
    public var sentSeen = 0
    /// Distinct answers attributed to a probe (duplicates not included).
    public var answers = 0
    /// Probes with at least one answer.
    public var answeredProbes = 0
    /// Identical copies of an answer already recorded.
    public var duplicates = 0
    /// Packets that fit several probes and were attributed to none.
    public var ambiguous = 0
    /// Packets that fail to parse or fit no probe.
    public var unrelated = 0

    public init() {}
}

/// Attributes every captured packet to exactly the probe that caused it, by identifiers the
/// answer echoes (see `MatchBasis`), never by guesswork: a packet that fits several probes is
/// reported `.ambiguous` and attributed to none. Pure: it reads packets as values, so a live
/// run and a pcap file are correlated alike.
///
/// Rules, strongest basis first:
/// - our own probe leaving (exact bytes) → `.sent`; its capture time becomes the send time;
/// - TCP with ACK set from the probed host:port → `.acknowledgment` when ack = seq + SYN + FIN
///   + payload (or seq + 1 for a SYN with data); any other ack is a stray;
/// - TCP with ACK off (a bare RST) → `.flow`, only when a single probe uses the 5-tuple, or, on
///   a shared 5-tuple, when its ack field equals the seq or seq + 1 of exactly one of them;
/// - ICMP/ICMPv6 errors (time exceeded, unreachable, too big, parameter problem) sent to the
///   quoted source → `.quote` on the quoted addresses, ports and TCP seq / UDP checksum / echo
///   id+seq. A UDP checksum rewritten on the way falls back to the ports when they are unique.
///   A quoted IPv4 IP ID that differs does not prevent the match: it is reported in
///   `quoteDifferences`, as NATs and normalisers rewrite it while the transport identifiers
///   still name the probe;
/// - ICMP echo replies → `.echo` on (source, identifier, sequence);
/// - UDP from the probed host:port → `.transaction` for "stun"/"dns" probes (transaction ID or
///   message ID of a response), `.flow` for other UDP probes when the 5-tuple is unique.
public struct Correlator: Sendable {
    /// What one captured packet turned out to be.
    public enum Observation: Sendable, Equatable {
        /// Our own probe (its index) seen leaving.
        case sent(Int)
        /// A new answer to one probe.
        case answer(Answer)
        /// A copy of an answer already recorded for this probe index.
        case duplicate(Int)
        /// It fits these probe indices equally well, so it is attributed to none.
        case ambiguous([Int])
        /// It does not parse, or it fits no probe.
        case unrelated
    }

    /// How a packet was matched, before it becomes an `Answer` (positions, not indices).
    enum Match {
        case none
        case ambiguous([Int])
        case probe(Int, AnswerKind, MatchBasis, quoted: IPPacket?)
    }

    /// What makes a later answer a copy of an earlier one.
    struct DuplicateKey: Equatable {
        var kind: AnswerKind
        var source: IPAddress
        var ttl: UInt8
        /// TCP flags, or ICMP type << 8 | code, or 0.
        var detail: UInt16
    }

    var identities: [ProbeIdentity] = []
    private var positionOfIndex: [Int: Int] = [:]
    var ackKeys: [FlowValueKey: Candidates] = [:]
    var flows: [FlowKey: Candidates] = [:]
    var tcpQuoteKeys: [FlowValueKey: Candidates] = [:]
    var udpQuoteKeys: [FlowValueKey: Candidates] = [:]
    var echoKeys: [EchoKey: Candidates] = [:]
    var transactionKeys: [TransactionKey: Candidates] = [:]
    /// The probes as parsed from their bytes: equal parsed packets are equal bytes.
    private var sentPackets: [IPPacket: Int] = [:]
    /// IPv4 probes sent with IP ID 0, which the kernel fills in: keyed with ID and checksum zeroed.
    private var sentPacketsKernelID: [IPPacket: Int] = [:]
    private var localAddresses: Set<IPAddress> = []
    private var capturedSendTimes: [CaptureTimestamp?]
    private var clockSendTimes: [CaptureTimestamp?]
    private var recorded: [[Answer]]
    private var duplicateKeys: [[DuplicateKey]]

    /// Totals so far.
    public private(set) var counts = CorrelationCounts()

    /// Indexes the identifiers of every probe of the run.
    public init(probes: [Probe]) {
        capturedSendTimes = Array(repeating: nil, count: probes.count)
        clockSendTimes = Array(repeating: nil, count: probes.count)
        recorded = Array(repeating: [], count: probes.count)
        duplicateKeys = Array(repeating: [], count: probes.count)
        identities.reserveCapacity(probes.count)
        for (position, probe) in probes.enumerated() {
            let id = ProbeIdentity(probe)
            identities.append(id)
            if positionOfIndex[probe.index] == nil { positionOfIndex[probe.index] = position }
            localAddresses.insert(id.sent.source)
            if sentPackets[id.sent] == nil { sentPackets[id.sent] = position }
            if case .v4(var h) = id.sent.header, h.identification == 0 {
                h.checksum = 0
                var normalised = id.sent
                normalised.header = .v4(h)
                if sentPacketsKernelID[normalised] == nil { sentPacketsKernelID[normalised] = position }
            }
            if let flow = id.flow {
                flows.register(flow, position)
                for ack in id.expectedAcks { ackKeys.register(FlowValueKey(flow: flow, value: ack), position) }
                if let seq = id.sequence { tcpQuoteKeys.register(FlowValueKey(flow: flow, value: seq), position) }
                if let sum = id.udpChecksum { udpQuoteKeys.register(FlowValueKey(flow: flow, value: UInt32(sum)), position) }
            }
            if let echo = id.echo { echoKeys.register(echo, position) }
            if let tx = id.transaction { transactionKeys.register(tx, position) }
        }
    }

    /// Records the send clock's time for probe `index`; used only if the capture does not show the probe leaving.
    public mutating func noteSent(_ index: Int, at time: CaptureTimestamp) {
        guard let position = positionOfIndex[index] else { return }
        clockSendTimes[position] = time
    }

    /// Classifies one captured IP packet and records it if it answers a probe.
    public mutating func observe(_ packet: IPPacket, at time: CaptureTimestamp) -> Observation {
        if let position = sentPosition(of: packet) {
            if capturedSendTimes[position] == nil {
                capturedSendTimes[position] = time
                counts.sentSeen += 1
            }
            return .sent(identities[position].index)
        }
        switch match(packet) {
        case .none:
            counts.unrelated += 1
            return .unrelated
        case .ambiguous(let positions):
            counts.ambiguous += 1
            return .ambiguous(positions.map { identities[$0].index }.sorted())
        case .probe(let position, let kind, let basis, let quoted):
            return record(packet, at: time, position: position, kind: kind, basis: basis, quoted: quoted)
        }
    }

    /// Decodes the link layer, then as `observe(_:at:)`; a frame that is not a readable IP packet is `.unrelated`.
    public mutating func observe(_ captured: CapturedPacket) -> Observation {
        guard let frame = try? captured.decode(), let packet = frame.ip else {
            counts.unrelated += 1
            return .unrelated
        }
        return observe(packet, at: captured.timestamp)
    }

    /// The distinct answers to probe `index` in arrival order, RTTs from the best send time known now.
    public func answers(for index: Int) -> [Answer] {
        guard let position = positionOfIndex[index] else { return [] }
        return recorded[position].map { a in
            var a = a
            a.rttNanoseconds = rtt(position: position, answeredAt: a.timestamp)
            return a
        }
    }

    /// Send time of each probe: its capture timestamp if the capture showed it leaving, else the clock's.
    public var sendTimes: [Int: CaptureTimestamp] {
        var out: [Int: CaptureTimestamp] = [:]
        for (position, id) in identities.enumerated() {
            if let t = capturedSendTimes[position] ?? clockSendTimes[position] { out[id.index] = t }
        }
        return out
    }

    // MARK: - Recording

    private func sentPosition(of packet: IPPacket) -> Int? {
        guard localAddresses.contains(packet.source) else { return nil }
        if let position = sentPackets[packet] { return position }
        guard !sentPacketsKernelID.isEmpty, case .v4(var h) = packet.header else { return nil }
        h.identification = 0
        h.checksum = 0
        var normalised = packet
        normalised.header = .v4(h)
        return sentPacketsKernelID[normalised]
    }

    private func rtt(position: Int, answeredAt time: CaptureTimestamp) -> Int64? {
        guard let sent = capturedSendTimes[position] ?? clockSendTimes[position] else { return nil }
        let d = time.totalNanoseconds &- sent.totalNanoseconds
        return d >= 0 ? d : nil
    }

    private mutating func record(_ packet: IPPacket, at time: CaptureTimestamp, position: Int,
                                 kind: AnswerKind, basis: MatchBasis, quoted: IPPacket?) -> Observation {
        let index = identities[position].index
        let detail: UInt16
        switch packet.transport {
        case .tcp(let t): detail = t.flags.rawValue
        case .icmp(let m): detail = UInt16(m.type) << 8 | UInt16(m.code)
        default: detail = 0
        }
        let key = DuplicateKey(kind: kind, source: packet.source, ttl: packet.header.ttl, detail: detail)
        if let i = duplicateKeys[position].firstIndex(of: key) {
            recorded[position][i].duplicates += 1
            counts.duplicates += 1
            return .duplicate(index)
        }
        let answer = Answer(
            probeIndex: index, kind: kind, basis: basis, timestamp: time,
            rttNanoseconds: rtt(position: position, answeredAt: time),
            fingerprint: Fingerprint(of: packet), quotedTTL: quoted?.header.ttl,
            quoteDifferences: quoted.map { QuoteDifference.differences(sent: identities[position].sent, quoted: $0) } ?? [],
            duplicates: 0, packet: packet)
        if recorded[position].isEmpty { counts.answeredProbes += 1 }
        recorded[position].append(answer)
        duplicateKeys[position].append(key)
        counts.answers += 1
        return .answer(answer)
    }
}
