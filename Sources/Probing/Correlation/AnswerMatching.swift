import Packets

// The per-protocol matching rules of `Correlator` (documented on the type). Every rule is a
// dictionary lookup on a small key; a key shared by several probes gives `.ambiguous`.

extension Correlator {
    /// Quote fields that routers and middleboxes change in transit, so they cannot tell probes apart.
    static let rewrittenOnPath: Set<String> = ["tos", "traffic_class", "flow_label", "df"]

    func match(_ packet: IPPacket) -> Match {
        let remote = packet.source, local = packet.destination
        switch packet.transport {
        case .tcp(let t):
            return matchTCP(t, remote: remote, local: local)
        case .udp(let u):
            return matchUDP(u, remote: remote, local: local)
        case .icmp(let m):
            if m.isEchoReply {
                guard let id = m.identifier, let seq = m.sequence else { return .none }
                return pick(echoKeys, EchoKey(remote: remote, local: local, identifier: id, sequence: seq),
                            kind: .echoReply, basis: .echo)
            }
            guard let kind = AnswerKind(icmpError: m), let quoted = m.quotedPacket else { return .none }
            return matchQuote(quoted, kind: kind, errorDestination: local)
        default:
            return .none
        }
    }

    /// One candidate → that probe; several → ambiguous; none → no match.
    private func pick<K: PackedKey>(_ index: KeyIndex<K>, _ key: K, kind: AnswerKind, basis: MatchBasis, quoted: IPPacket? = nil) -> Match {
        guard let c = index[key] else { return .none }
        if c.isUnique { return .probe(c.first, kind, basis, quoted: quoted) }
        let all = index.positions(c)
        // Probes sharing a quote's identifiers (a bare ACK and the data segment after it have
        // the same seq) are told apart only if the quote equals exactly one of them as sent,
        // field for field as far as it goes: the IP ID, length and flags usually decide. Fields
        // routers rewrite on the way (TTL, checksum, DSCP/ECN, DF, flow label) do not count.
        if let quoted {
            let exact = all.filter { p in
                QuoteDifference.differences(sent: sentPackets[p], quoted: quoted).allSatisfy { Self.rewrittenOnPath.contains($0.field) }
            }
            if exact.count == 1 { return .probe(exact[0], kind, basis, quoted: quoted) }
        }
        return .ambiguous(all)
    }

    private func matchTCP(_ t: TCPSegment, remote: IPAddress, local: IPAddress) -> Match {
        let flow = FlowKey(remote: remote, local: local, remotePort: t.sourcePort, localPort: t.destinationPort, proto: 6)
        if t.flags.contains(.ack) {
            // A genuine stack acknowledges exactly what the probe sent; any other ack is a stray.
            return pick(ackKeys, FlowValueKey(flow: flow, value: t.acknowledgmentNumber),
                        kind: AnswerKind(tcpFlags: t.flags), basis: .acknowledgment)
        }
        guard let c = flows[flow] else { return .none }
        let kind: AnswerKind = t.flags.contains(.rst) ? .rst : .tcp
        if c.isUnique { return .probe(c.first, kind, .flow, quoted: nil) }
        // A shared 5-tuple (Paris traceroute): only an ack field naming one probe's seq decides.
        let ack = t.acknowledgmentNumber
        let all = flows.positions(c)
        let named = all.filter { p in
            guard let seq = identities[p].sequence else { return false }
            return seq == ack || seq &+ 1 == ack
        }
        if named.count == 1 { return .probe(named[0], kind, .flow, quoted: nil) }
        return .ambiguous(named.isEmpty ? all : named)
    }

    private func matchUDP(_ u: UDPDatagram, remote: IPAddress, local: IPAddress) -> Match {
        let flow = FlowKey(remote: remote, local: local, remotePort: u.sourcePort, localPort: u.destinationPort, proto: 17)
        guard let c = flows[flow] else { return .none }
        // Which datagram kinds use this flow (one bit each), and whether plain UDP probes do.
        var kinds: UInt64 = 0
        var hasPlain = false
        func note(_ p: Int) {
            let k = identities[p].datagramKind
            if k < 0 { hasPlain = true } else { kinds |= 1 << UInt64(k) }
        }
        if c.isUnique { note(c.first) } else { for p in flows.positions(c) { note(p) } }
        // Each kind reads the datagram as its response; only its exact transaction matches.
        while kinds != 0 {
            let k = kinds.trailingZeroBitCount
            kinds &= kinds - 1
            let kind = ProbeKinds.datagram[k]
            guard let id = kind.responseTransaction(u.payload) else { continue }
            let key = TransactionKey(flow: flow, kind: UInt8(k), id: id)
            if transactionKeys[key] != nil { return pick(transactionKeys, key, kind: kind.responseKind, basis: .transaction) }
        }
        // Datagram-kind probes only: a datagram without their transaction is a stray.
        guard hasPlain else { return .none }
        return c.isUnique ? .probe(c.first, .udp, .flow, quoted: nil) : .ambiguous(flows.positions(c))
    }

    private func matchQuote(_ quoted: IPPacket, kind: AnswerKind, errorDestination: IPAddress) -> Match {
        // An error goes to the quoted packet's source; one addressed elsewhere is not ours.
        guard quoted.source == errorDestination else { return .none }
        let local = quoted.source, remote = quoted.destination
        func flow(_ sport: UInt16, _ dport: UInt16, _ proto: UInt8) -> FlowKey {
            FlowKey(remote: remote, local: local, remotePort: dport, localPort: sport, proto: proto)
        }
        switch quoted.transport {
        case .tcp(let t):
            return pick(tcpQuoteKeys, FlowValueKey(flow: flow(t.sourcePort, t.destinationPort, 6), value: t.sequenceNumber),
                        kind: kind, basis: .quote, quoted: quoted)
        case .malformed(6, _, let payload) where payload.count >= 8:
            // The first 8 bytes, then what is no TCP header: RFC 4884 zero padding after a short quote.
            var cut = quoted
            cut.transport = .tcpPrefix(TCPHeaderPrefix(slice: payload.prefix(8)))
            return matchQuote(cut, kind: kind, errorDestination: errorDestination)
        case .tcpPrefix(let p):
            guard let sport = p.sourcePort, let dport = p.destinationPort else { return .none }
            let f = flow(sport, dport, 6)
            if let seq = p.sequenceNumber {
                return pick(tcpQuoteKeys, FlowValueKey(flow: f, value: seq), kind: kind, basis: .quote, quoted: quoted)
            }
            // Fewer than 8 bytes quoted: the ports decide only when one probe uses them.
            return pick(flows, f, kind: kind, basis: .quote, quoted: quoted)
        case .udp(let u):
            let f = flow(u.sourcePort, u.destinationPort, 17)
            let byChecksum = FlowValueKey(flow: f, value: UInt32(u.checksum))
            if udpQuoteKeys[byChecksum] != nil { return pick(udpQuoteKeys, byChecksum, kind: kind, basis: .quote, quoted: quoted) }
            // The checksum was rewritten on the way (NAT): the ports decide only when unique.
            return pick(flows, f, kind: kind, basis: .quote, quoted: quoted)
        case .malformed(17, _, let payload) where payload.count >= 4:
            let s = payload.startIndex
            let sport = UInt16(payload[s]) << 8 | UInt16(payload[s + 1])
            let dport = UInt16(payload[s + 2]) << 8 | UInt16(payload[s + 3])
            return pick(flows, flow(sport, dport, 17), kind: kind, basis: .quote, quoted: quoted)
        case .icmp(let m) where m.isEcho && !m.isEchoReply:
            guard let id = m.identifier, let seq = m.sequence else { return .none }
            return pick(echoKeys, EchoKey(remote: remote, local: local, identifier: id, sequence: seq),
                        kind: kind, basis: .quote, quoted: quoted)
        default:
            return .none
        }
    }
}
