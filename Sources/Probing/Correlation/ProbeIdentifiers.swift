import Packets

// The identifiers an answer echoes, derived generically from each probe's packet, and the
// small hashable keys the correlator looks them up by. Keys are always seen from our side:
// `remote` is the probed host, `local` our address, so a direct answer (remote → local)
// and a quote of the probe (local → remote) build the same key without swapping.

/// A key the correlator's tables can hash without `Hasher`: one well-mixed word. Only our
/// own probes' keys are ever inserted, so no one else can choose what collides.
protocol PackedKey: Equatable, Sendable {
    var hashWord: UInt64 { get }
}

/// Mixes two words into one (a MurmurHash3-style finaliser over their combination).
@inline(__always)
func mixWords(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var h = (a ^ 0x243F_6A88_85A3_08D3) &* 0x9E37_79B9_7F4A_7C15
    h ^= b
    h = (h ^ (h >> 33)) &* 0xFF51_AFD7_ED55_8CCD
    h = (h ^ (h >> 33)) &* 0xC4CE_B9FE_1A85_EC53
    return h ^ (h >> 33)
}

extension IPAddress {
    /// One word standing for the address in hashes (not unique for IPv6; equality decides).
    @inline(__always)
    var hashWord: UInt64 {
        switch self {
        case .v4(let a): return UInt64(a.value) | 1 << 40
        case .v6(let a): return a.high ^ (a.low &* 0x9E37_79B9_7F4A_7C15)
        }
    }
}

@inline(__always)
private func addressPair(_ remote: IPAddress, _ local: IPAddress) -> UInt64 {
    remote.hashWord ^ (local.hashWord << 23 | local.hashWord >> 41)
}

/// A 5-tuple seen from our side.
struct FlowKey: PackedKey {
    var remote: IPAddress
    var local: IPAddress
    var remotePort: UInt16
    var localPort: UInt16
    var proto: UInt8

    var hashWord: UInt64 {
        mixWords(addressPair(remote, local), UInt64(remotePort) << 48 | UInt64(localPort) << 32 | UInt64(proto))
    }
}

/// A flow plus one 32-bit identifier: the expected acknowledgment number (direct TCP
/// answers), the sequence number (TCP quotes) or the UDP checksum (UDP quotes).
struct FlowValueKey: PackedKey {
    var flow: FlowKey
    var value: UInt32

    var hashWord: UInt64 {
        mixWords(addressPair(flow.remote, flow.local),
                 UInt64(flow.remotePort) << 48 | UInt64(flow.localPort) << 32 | UInt64(value))
    }
}

/// ICMP echo: the same key for a reply (remote → local) and a quoted request (local → remote).
struct EchoKey: PackedKey {
    var remote: IPAddress
    var local: IPAddress
    var identifier: UInt16
    var sequence: UInt16

    var hashWord: UInt64 { mixWords(addressPair(remote, local), UInt64(identifier) << 16 | UInt64(sequence)) }
}

/// A datagram kind's transaction on one flow; `kind` is the kind's position in
/// `ProbeKinds.datagram`, so two kinds' identifiers never meet.
struct TransactionKey: PackedKey {
    var flow: FlowKey
    var kind: UInt8
    var id: TransactionID

    var hashWord: UInt64 { mixWords(flow.hashWord ^ UInt64(kind), id.hashWord) }
}

/// The probes a key names: one position, or a group of several. Plain integers, so a
/// lookup copies no reference-counted storage.
struct Candidates: Sendable {
    var first: Int
    /// Index into the owning `KeyIndex`'s groups; -1 when `first` is the only one.
    var group: Int

    var isUnique: Bool { group < 0 }
}

/// Probe positions by key: an open-addressing table (linear probing, at most half full)
/// holding key and candidates side by side, so a lookup in a run of millions of probes
/// touches one cache line and hashes with a few multiplications.
struct KeyIndex<Key: PackedKey>: Sendable {
    private struct Slot: Sendable {
        var key: Key
        var candidates: Candidates
    }

    private var slots: [Slot?] = Array(repeating: nil, count: 16)
    private var count = 0
    /// Every position of each shared key, the first included (Paris traceroute flows).
    private var groups: [[Int]] = []

    mutating func reserve(_ n: Int) {
        var capacity = slots.count
        while capacity < 2 * n { capacity *= 2 }
        if capacity > slots.count { rehash(capacity) }
    }

    mutating func register(_ key: Key, _ position: Int) {
        let (i, found) = find(key)
        guard found, let c = slots[i]?.candidates else {
            slots[i] = Slot(key: key, candidates: Candidates(first: position, group: -1))
            count += 1
            if 2 * count > slots.count { rehash(slots.count * 2) }
            return
        }
        if c.isUnique {
            guard c.first != position else { return }
            groups.append([c.first, position])
            slots[i]?.candidates.group = groups.count - 1
        } else if !groups[c.group].contains(position) {
            groups[c.group].append(position)
        }
    }

    subscript(key: Key) -> Candidates? {
        let (i, found) = find(key)
        return found ? slots[i]?.candidates : nil
    }

    /// Every position `c` stands for.
    func positions(_ c: Candidates) -> [Int] { c.isUnique ? [c.first] : groups[c.group] }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always)
    private func find(_ key: Key) -> (Int, Bool) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: key.hashWord) & mask
        while let s = slots[i] {
            if s.key == key { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    private mutating func rehash(_ capacity: Int) {
        let old = slots
        slots = Array(repeating: nil, count: capacity)
        for case let s? in old {
            let (i, _) = find(s.key)
            slots[i] = s
        }
    }
}

/// What the correlator knows about one probe, computed once from the bytes it sends.
struct ProbeIdentity {
    /// Position of the probe's kind in `ProbeKinds.datagram`; -1 for the other kinds.
    var datagramKind: Int
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
        datagramKind = ProbeKinds.datagramPosition(of: probe.module) ?? -1
        let local = sent.source, remote = sent.destination
        switch sent.transport {
        case .tcp(let t):
            flow = FlowKey(remote: remote, local: local, remotePort: t.destinationPort, localPort: t.sourcePort, proto: 6)
            sequence = t.sequenceNumber
            // SYN and FIN take one sequence number each, data its length (RFC 9293 §3.4).
            // A bare ACK or RST takes none and is never acknowledged: it expects no ack.
            let control = UInt32(t.flags.contains(.syn) ? 1 : 0) + UInt32(t.flags.contains(.fin) ? 1 : 0)
            let length = control &+ UInt32(truncatingIfNeeded: t.payload.count)
            if length > 0 { expectedAcks = [t.sequenceNumber &+ length] }
            // A SYN carrying data may be acknowledged without it (TCP Fast Open refused).
            if t.flags.contains(.syn), !t.payload.isEmpty { expectedAcks.append(t.sequenceNumber &+ 1) }
        case .udp(let u):
            let f = FlowKey(remote: remote, local: local, remotePort: u.destinationPort, localPort: u.sourcePort, proto: 17)
            flow = f
            udpChecksum = u.checksum
            if datagramKind >= 0, let id = ProbeKinds.datagram[datagramKind].requestTransaction(u.payload) {
                transaction = TransactionKey(flow: f, kind: UInt8(datagramKind), id: id)
            }
        case .icmp(let m) where m.isEcho && !m.isEchoReply:
            if let id = m.identifier, let seq = m.sequence {
                echo = EchoKey(remote: remote, local: local, identifier: id, sequence: seq)
            }
        default:
            break
        }
    }
}
