import Packets

// The identifiers an answer echoes, derived generically from each probe's packet, and the
// small hashable keys the correlator looks them up by. Keys are always seen from our side:
// `remote` is the probed host, `local` our address, so a direct answer (remote → local)
// and a quote of the probe (local → remote) build the same key without swapping.

// The hot path hashes one of these per packet: `hash(into:)` feeds the hasher a few packed
// words instead of every field separately (equality still compares every field).

/// Feeds both addresses to a hasher, an IPv4 pair as one word.
@inline(__always)
private func combineAddresses(_ a: IPAddress, _ b: IPAddress, into h: inout Hasher) {
    if case .v4(let x) = a, case .v4(let y) = b {
        h.combine(UInt64(x.value) << 32 | UInt64(y.value))
    } else {
        h.combine(a)
        h.combine(b)
    }
}

/// A 5-tuple seen from our side.
struct FlowKey: Hashable {
    var remote: IPAddress
    var local: IPAddress
    var remotePort: UInt16
    var localPort: UInt16
    var proto: UInt8

    func hash(into h: inout Hasher) {
        combineAddresses(remote, local, into: &h)
        h.combine(UInt64(remotePort) << 24 | UInt64(localPort) << 8 | UInt64(proto))
    }
}

/// A flow plus one 32-bit identifier: the expected acknowledgment number (direct TCP
/// answers), the sequence number (TCP quotes) or the UDP checksum (UDP quotes).
struct FlowValueKey: Hashable {
    var flow: FlowKey
    var value: UInt32

    func hash(into h: inout Hasher) {
        combineAddresses(flow.remote, flow.local, into: &h)
        h.combine(UInt64(flow.remotePort) << 48 | UInt64(flow.localPort) << 32 | UInt64(value))
    }
}

/// ICMP echo: the same key for a reply (remote → local) and a quoted request (local → remote).
struct EchoKey: Hashable {
    var remote: IPAddress
    var local: IPAddress
    var identifier: UInt16
    var sequence: UInt16

    func hash(into h: inout Hasher) {
        combineAddresses(remote, local, into: &h)
        h.combine(UInt32(identifier) << 16 | UInt32(sequence))
    }
}

/// Application-level transaction: a STUN transaction ID (96 bits) or a DNS message ID.
struct TransactionKey: Hashable {
    var flow: FlowKey
    var application: ApplicationKind
    var high: UInt64
    var low: UInt32
}

/// Modules whose UDP answers carry an application-level identifier.
enum ApplicationKind: UInt8, Hashable {
    case none, stun, dns

    init(module: String) {
        switch module {
        case "stun": self = .stun
        case "dns": self = .dns
        default: self = .none
        }
    }
}

/// The probes a key names: one position, or a group of several. Plain integers, so a
/// lookup copies no reference-counted storage.
struct Candidates: Sendable {
    var first: Int
    /// Index into the owning `KeyIndex`'s groups; -1 when `first` is the only one.
    var group: Int

    var isUnique: Bool { group < 0 }
}

/// Probe positions by key. Sharing is rare except on Paris traceroute flows.
struct KeyIndex<Key: Hashable & Sendable>: Sendable {
    private var slots: [Key: Candidates] = [:]
    /// Every position of each shared key, the first included.
    private var groups: [[Int]] = []

    mutating func reserve(_ count: Int) { slots.reserveCapacity(count) }

    mutating func register(_ key: Key, _ position: Int) {
        guard let c = slots[key] else {
            slots[key] = Candidates(first: position, group: -1)
            return
        }
        if c.isUnique {
            guard c.first != position else { return }
            groups.append([c.first, position])
            slots[key] = Candidates(first: c.first, group: groups.count - 1)
        } else if !groups[c.group].contains(position) {
            groups[c.group].append(position)
        }
    }

    subscript(key: Key) -> Candidates? { slots[key] }

    /// Every position `c` stands for.
    func positions(_ c: Candidates) -> [Int] { c.isUnique ? [c.first] : groups[c.group] }
}

/// What the correlator knows about one probe, computed once from the bytes it sends.
struct ProbeIdentity {
    var application: ApplicationKind
    var flow: FlowKey?
    /// TCP: the probe's sequence number.
    var sequence: UInt32?
    /// TCP: acknowledgment numbers a genuine answer may carry.
    var expectedAcks: [UInt32] = []
    var udpChecksum: UInt16?
    var echo: EchoKey?
    var transaction: TransactionKey?

    /// `sent`: the probe's packet as it goes on the wire, parsed back from its bytes.
    init(_ probe: Probe, sent: IPPacket) {
        application = ApplicationKind(module: probe.module)
        let local = sent.source, remote = sent.destination
        switch sent.transport {
        case .tcp(let t):
            flow = FlowKey(remote: remote, local: local, remotePort: t.destinationPort, localPort: t.sourcePort, proto: 6)
            sequence = t.sequenceNumber
            // SYN and FIN take one sequence number each, data its length (RFC 9293 §3.4).
            let control = UInt32(t.flags.contains(.syn) ? 1 : 0) + UInt32(t.flags.contains(.fin) ? 1 : 0)
            let full = t.sequenceNumber &+ control &+ UInt32(truncatingIfNeeded: t.payload.count)
            expectedAcks = [full]
            // A SYN carrying data may be acknowledged without it (TCP Fast Open refused).
            if t.flags.contains(.syn), !t.payload.isEmpty { expectedAcks.append(t.sequenceNumber &+ 1) }
        case .udp(let u):
            let f = FlowKey(remote: remote, local: local, remotePort: u.destinationPort, localPort: u.sourcePort, proto: 17)
            flow = f
            udpChecksum = u.checksum
            transaction = ProbeIdentity.transaction(of: u.payload, application: application, flow: f, request: true)
        case .icmp(let m) where m.isEcho && !m.isEchoReply:
            if let id = m.identifier, let seq = m.sequence {
                echo = EchoKey(remote: remote, local: local, identifier: id, sequence: seq)
            }
        default:
            break
        }
    }

    /// The transaction key of a STUN or DNS message in `payload`: for requests (our probes)
    /// the header only; for responses the message must be a response with that identifier.
    static func transaction(of payload: ArraySlice<UInt8>, application: ApplicationKind, flow: FlowKey,
                            request: Bool) -> TransactionKey? {
        switch application {
        case .none:
            return nil
        case .stun:
            guard payload.count >= STUNMessage.headerLength else { return nil }
            let bytes = Array(payload)
            let type = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            if request {
                guard type & 0xC000 == 0 else { return nil }
            } else {
                // Only a well-formed success or error response answers a request.
                guard let message = try? STUNMessage(decoding: bytes),
                      message.messageClass == .successResponse || message.messageClass == .errorResponse else { return nil }
            }
            var high: UInt64 = 0
            for b in bytes[8..<16] { high = high << 8 | UInt64(b) }
            var low: UInt32 = 0
            for b in bytes[16..<20] { low = low << 8 | UInt32(b) }
            let cookie = UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7])
            guard cookie == STUNMessage.magicCookie else { return nil }
            return TransactionKey(flow: flow, application: .stun, high: high, low: low)
        case .dns:
            guard let header = DNSMessage.header(of: Array(payload.prefix(DNSMessage.headerLength))) else { return nil }
            let isResponse = header.flags & 0x8000 != 0
            guard isResponse != request else { return nil }
            return TransactionKey(flow: flow, application: .dns, high: 0, low: UInt32(header.id))
        }
    }
}
