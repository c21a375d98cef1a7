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
/// - our own probe leaving → `.sent`, found by its identifiers and then compared whole: the
///   bytes must be exact, except an IPv4 ID of 0 that the kernel fills in. Its capture time
///   becomes the send time;
/// - TCP with ACK set from the probed host:port → `.acknowledgment` when ack = seq + SYN + FIN
///   + payload (or seq + 1 for a SYN with data); any other ack is a stray;
/// - TCP with ACK off (a bare RST) → `.flow`, only when a single probe uses the 5-tuple, or, on
///   a shared 5-tuple, when its ack field equals the seq or seq + 1 of exactly one of them;
/// - ICMP/ICMPv6 errors (time exceeded, unreachable, too big, parameter problem) sent to the
///   quoted source → `.quote` on the quoted addresses, ports and TCP seq / UDP checksum / echo
///   id+seq. A TCP quote must carry the probe's seq (with fewer than 8 bytes quoted, the ports
///   decide only when unique). A UDP checksum rewritten on the way falls back to the ports
///   when they are unique. When several probes share those identifiers, the quote names one
///   only if it equals exactly that one as sent (IP ID, lengths, flags …; not the fields
///   routers rewrite: TTL, checksum, DSCP/ECN, DF, flow label).
///   A quoted IPv4 IP ID that differs does not prevent the match: it is reported in
///   `quoteDifferences`, as NATs and normalisers rewrite it while the transport identifiers
///   still name the probe;
/// - ICMP echo replies → `.echo` on (source, identifier, sequence);
/// - UDP from the probed host:port → `.transaction` for the probes of a datagram kind
///   (`ProbeKinds.datagram`: STUN transaction ID, DNS message ID, QUIC connection IDs), read
///   by the kind from the response and looked up exactly; `.flow` for plain UDP probes when
///   the 5-tuple is unique.
///
/// A later answer to the same probe with the same kind, source, TTL and TCP flags / ICMP type
/// and code is a copy (counted in `duplicates` of the first); anything else is another answer,
/// so a forged RST and the genuine SYN-ACK to one SYN are both kept.
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

    var identities: [ProbeIdentity] = []
    /// Each probe's packet as it goes on the wire, parsed back from its bytes (lengths and
    /// checksums as sent): what a capture of it must equal, and what quotes are compared with.
    private(set) var sentPackets: [IPPacket] = []
    private var positionOfIndex: [Int: Int] = [:]
    var ackKeys = KeyIndex<FlowValueKey>()
    var flows = KeyIndex<FlowKey>()
    var tcpQuoteKeys = KeyIndex<FlowValueKey>()
    var udpQuoteKeys = KeyIndex<FlowValueKey>()
    var echoKeys = KeyIndex<EchoKey>()
    var transactionKeys = KeyIndex<TransactionKey>()
    /// Probes without identifiers (no TCP, UDP or echo), found by their whole packet.
    private var otherSentPackets: [IPPacket: Int] = [:]
    private var localAddresses = LocalAddresses()
    private var ledger: ProbeLedger

    /// Totals so far.
    public private(set) var counts = CorrelationCounts()

    /// Indexes the identifiers of every probe of the run.
    public init(probes: [Probe]) {
        ledger = ProbeLedger(indices: probes.map(\.index))
        identities.reserveCapacity(probes.count)
        sentPackets.reserveCapacity(probes.count)
        positionOfIndex.reserveCapacity(probes.count)
        flows.reserve(probes.count)
        ackKeys.reserve(probes.count)
        tcpQuoteKeys.reserve(probes.count)
        for (position, probe) in probes.enumerated() {
            let sent = (try? IPPacket.parse(probe.bytes)) ?? probe.packet
            let id = ProbeIdentity(probe, sent: sent)
            identities.append(id)
            sentPackets.append(sent)
            if positionOfIndex[probe.index] == nil { positionOfIndex[probe.index] = position }
            localAddresses.insert(sent.source)
            if let flow = id.flow {
                flows.register(flow, position)
                for ack in id.expectedAcks { ackKeys.register(FlowValueKey(flow: flow, value: ack), position) }
                if let seq = id.sequence { tcpQuoteKeys.register(FlowValueKey(flow: flow, value: seq), position) }
                if let sum = id.udpChecksum { udpQuoteKeys.register(FlowValueKey(flow: flow, value: UInt32(sum)), position) }
            }
            if let echo = id.echo { echoKeys.register(echo, position) }
            if let tx = id.transaction { transactionKeys.register(tx, position) }
            if id.flow == nil, id.echo == nil, otherSentPackets[sent] == nil { otherSentPackets[sent] = position }
        }
    }

    /// Records the send clock's time for probe `index`; used only if the capture does not show the probe leaving.
    public mutating func noteSent(_ index: Int, at time: CaptureTimestamp) {
        guard let position = positionOfIndex[index] else { return }
        ledger.noteClock(position, at: time)
    }

    /// Classifies one captured IP packet and records it if it answers a probe.
    public mutating func observe(_ packet: IPPacket, at time: CaptureTimestamp) -> Observation {
        if let position = sentPosition(of: packet) {
            if ledger.noteCaptured(position, at: time) { counts.sentSeen += 1 }
            return .sent(ledger.index(position))
        }
        switch match(packet) {
        case .none:
            counts.unrelated += 1
            return .unrelated
        case .ambiguous(let positions):
            counts.ambiguous += 1
            return .ambiguous(positions.map { ledger.index($0) }.sorted())
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
        return ledger.answers(position).map { a in
            var a = a
            a.rttNanoseconds = ledger.rtt(position, answeredAt: a.timestamp)
            return a
        }
    }

    /// Send time of each probe: its capture timestamp if the capture showed it leaving, else the clock's.
    public var sendTimes: [Int: CaptureTimestamp] {
        var out: [Int: CaptureTimestamp] = [:]
        for position in identities.indices {
            if let t = ledger.sendTime(position) { out[ledger.index(position)] = t }
        }
        return out
    }

    // MARK: - Recording

    /// Our own probe leaving: found by the identifiers a quote would carry (the same key seen
    /// from our side), then compared whole, so only exact bytes count.
    private func sentPosition(of packet: IPPacket) -> Int? {
        guard localAddresses.contains(packet.source) else { return nil }
        let remote = packet.destination, local = packet.source
        let candidates: [Int]
        switch packet.transport {
        case .tcp(let t):
            let flow = FlowKey(remote: remote, local: local, remotePort: t.destinationPort, localPort: t.sourcePort, proto: 6)
            let key = FlowValueKey(flow: flow, value: t.sequenceNumber)
            guard let c = tcpQuoteKeys[key] else { return nil }
            if c.isUnique { return isSame(packet, position: c.first) ? c.first : nil }
            candidates = tcpQuoteKeys.positions(c)
        case .udp(let u):
            let flow = FlowKey(remote: remote, local: local, remotePort: u.destinationPort, localPort: u.sourcePort, proto: 17)
            let key = FlowValueKey(flow: flow, value: UInt32(u.checksum))
            guard let c = udpQuoteKeys[key] else { return nil }
            candidates = udpQuoteKeys.positions(c)
        case .icmp(let m) where m.isEcho && !m.isEchoReply:
            guard let id = m.identifier, let seq = m.sequence else { return nil }
            let key = EchoKey(remote: remote, local: local, identifier: id, sequence: seq)
            guard let c = echoKeys[key] else { return nil }
            candidates = echoKeys.positions(c)
        default:
            return otherSentPackets.isEmpty ? nil : otherSentPackets[packet]
        }
        return candidates.first { isSame(packet, position: $0) }
    }

    /// Whether `packet` is `sent` byte for byte, except an IPv4 ID the kernel filled in
    /// (with IP_HDRINCL Linux fills an ID of 0, and the header checksum with it).
    private func isSame(_ packet: IPPacket, position: Int) -> Bool {
        // Through the buffer: compares in place, without copying the stored packet.
        sentPackets.withUnsafeBufferPointer { sent in
            if sent[position] == packet { return true }
            guard case .v4(let s) = sent[position].header, s.identification == 0,
                  case .v4(var h) = packet.header else { return false }
            h.identification = 0
            h.checksum = s.checksum
            var normalised = packet
            normalised.header = .v4(h)
            return sent[position] == normalised
        }
    }

    private mutating func record(_ packet: IPPacket, at time: CaptureTimestamp, position: Int,
                                 kind: AnswerKind, basis: MatchBasis, quoted: IPPacket?) -> Observation {
        let index = ledger.index(position)
        let key = DuplicateKey(packet, kind: kind)
        if let earlier = ledger.earlier(key, position: position) {
            ledger.countCopy(of: earlier)
            counts.duplicates += 1
            return .duplicate(index)
        }
        let answer = Answer(
            probeIndex: index, kind: kind, basis: basis, timestamp: time,
            rttNanoseconds: ledger.rtt(position, answeredAt: time),
            fingerprint: Fingerprint(of: packet), quotedTTL: quoted?.header.ttl,
            quoteDifferences: quoted.map { QuoteDifference.differences(sent: sentPackets[position], quoted: $0) } ?? [],
            duplicates: 0, packet: packet)
        if !ledger.hasAnswers(position) { counts.answeredProbes += 1 }
        ledger.append(answer, key: key, position: position)
        counts.answers += 1
        return .answer(answer)
    }
}
