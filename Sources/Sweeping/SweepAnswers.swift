import Packets

/// A captured packet that answers one of the sweep's probes.
public struct SweepMatch: Sendable {
    public internal(set) var target: UInt128
    public internal(set) var probe: Int
    public internal(set) var kind: SweepAnswerKind
    /// The sender of the answer (the target, or a router for ICMP).
    public internal(set) var from: UInt128
    public internal(set) var ttl: UInt8
    public internal(set) var ipID: UInt16
    public internal(set) var dontFragment: Bool
    public internal(set) var tcpFlags: UInt8 = 0
    public internal(set) var window: UInt16 = 0
    public internal(set) var mss: UInt16 = 0
    public internal(set) var windowScale: UInt8 = 0xFF
    public internal(set) var optionLayout: UInt32 = 0
    public internal(set) var icmp: UInt16 = 0
    public internal(set) var portOnly = false
}

extension SweepProbe {
    /// The IP packet inside a captured frame of `linkType`; nil for other link payloads.
    @inline(__always)
    public static func ipStart(_ b: UnsafeRawBufferPointer, linkType: UInt32) -> Int? {
        func u16(_ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
        switch linkType {
        case 1:   // Ethernet, one 802.1Q tag at most
            guard b.count >= 14 else { return nil }
            var type = u16(12), start = 14
            if type == 0x8100, b.count >= 18 { type = u16(16); start = 18 }
            return type == 0x0800 || type == 0x86DD ? start : nil
        case 113: // Linux cooked v1
            guard b.count >= 16 else { return nil }
            let type = u16(14)
            return type == 0x0800 || type == 0x86DD ? 16 : nil
        case 276: // Linux cooked v2
            guard b.count >= 20 else { return nil }
            let type = u16(0)
            return type == 0x0800 || type == 0x86DD ? 20 : nil
        case 12, 14, 101, 228, 229:
            return 0
        default:
            return nil
        }
    }

    /// Whether the packet at `ip` answers one of our probes, and how. Every offset is checked
    /// against the captured length: the bytes are hostile.
    public func classify(_ b: UnsafeRawBufferPointer, ip: Int) -> SweepMatch? {
        guard ip < b.count else { return nil }
        let version = b[ip] >> 4
        if version == 4, isIPv4 { return classify4(b, ip) }
        if version == 6, !isIPv4 { return classify6(b, ip) }
        return nil
    }

    @inline(__always)
    private func u16(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt16 { UInt16(b[i]) << 8 | UInt16(b[i + 1]) }
    @inline(__always)
    private func u32(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt32 { UInt32(u16(b, i)) << 16 | UInt32(u16(b, i + 2)) }
    @inline(__always)
    private func addr4(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt128 { UInt128(u32(b, i)) }
    @inline(__always)
    private func addr6(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt128 {
        UInt128(u32(b, i)) << 96 | UInt128(u32(b, i + 4)) << 64 | UInt128(u32(b, i + 8)) << 32 | UInt128(u32(b, i + 12))
    }

    /// The ICMP error types that quote a probe: unreachable, source quench, redirect, time
    /// exceeded, parameter problem (ICMPv6: unreachable, too big, time exceeded, parameter).
    @inline(__always)
    private func errorKind(_ type: UInt8, v6: Bool) -> SweepAnswerKind? {
        if v6 { return type == 1 ? .unreachable : type == 3 ? .timeExceeded : type == 2 || type == 4 ? .otherICMP : nil }
        return type == 3 ? .unreachable : type == 11 ? .timeExceeded : type == 4 || type == 5 || type == 12 ? .otherICMP : nil
    }

    private func classify4(_ b: UnsafeRawBufferPointer, _ ip: Int) -> SweepMatch? {
        let ihl = Int(b[ip] & 0xF) * 4
        guard ihl >= 20, b.count >= ip + ihl, addr4(b, ip + 16) == sourceKey else { return nil }
        // Only the first fragment carries a transport header.
        guard u16(b, ip + 6) & 0x1FFF == 0 else { return nil }
        let from = addr4(b, ip + 12)
        let ttl = b[ip + 8], ipID = u16(b, ip + 4), df = b[ip + 6] & 0x40 != 0
        let l4 = ip + ihl
        switch b[ip + 9] {
        case 6 where sweepProtocol == .tcp:
            return tcpAnswer(b, l4, from: from, ttl: ttl, ipID: ipID, df: df)
        case 17 where sweepProtocol == .udp:
            return udpAnswer(b, l4, from: from, ttl: ttl, ipID: ipID, df: df)
        case 1:
            guard b.count >= l4 + 8 else { return nil }
            let type = b[l4], code = b[l4 + 1]
            if type == 0 {
                guard sweepProtocol == .icmp else { return nil }
                return echoAnswer(b, l4, from: from, ttl: ttl, ipID: ipID, df: df, icmp: UInt16(code))
            }
            guard let kind = errorKind(type, v6: false), b.count >= l4 + 8 + 20 else { return nil }
            let q = l4 + 8
            guard b[q] >> 4 == 4, b[q + 9] == sweepProtocol.number(ipv6: false) else { return nil }
            let qihl = Int(b[q] & 0xF) * 4
            guard qihl >= 20, addr4(b, q + 12) == sourceKey, b.count >= q + qihl + 8 else { return nil }
            return quoteAnswer(b, q + qihl, target: addr4(b, q + 16), from: from, ttl: ttl, ipID: ipID, df: df,
                               kind: kind, icmp: UInt16(type) << 8 | UInt16(code))
        default:
            return nil
        }
    }

    private func classify6(_ b: UnsafeRawBufferPointer, _ ip: Int) -> SweepMatch? {
        guard b.count >= ip + 40, addr6(b, ip + 24) == sourceKey else { return nil }
        let from = addr6(b, ip + 8)
        let ttl = b[ip + 7]
        let l4 = ip + 40
        switch b[ip + 6] {
        case 6 where sweepProtocol == .tcp:
            return tcpAnswer(b, l4, from: from, ttl: ttl, ipID: 0, df: false)
        case 17 where sweepProtocol == .udp:
            return udpAnswer(b, l4, from: from, ttl: ttl, ipID: 0, df: false)
        case 58:
            guard b.count >= l4 + 8 else { return nil }
            let type = b[l4], code = b[l4 + 1]
            if type == 129 {
                guard sweepProtocol == .icmp else { return nil }
                return echoAnswer(b, l4, from: from, ttl: ttl, ipID: 0, df: false, icmp: 129 << 8 | UInt16(code))
            }
            guard let kind = errorKind(type, v6: true), b.count >= l4 + 8 + 40 + 8 else { return nil }
            let q = l4 + 8
            guard b[q] >> 4 == 6, b[q + 6] == sweepProtocol.number(ipv6: true), addr6(b, q + 8) == sourceKey else { return nil }
            return quoteAnswer(b, q + 40, target: addr6(b, q + 24), from: from, ttl: ttl, ipID: 0, df: false,
                               kind: kind, icmp: UInt16(type) << 8 | UInt16(code))
        default:
            return nil
        }
    }

    /// An echo reply from the target with one of its probes' identifier and sequence.
    private func echoAnswer(_ b: UnsafeRawBufferPointer, _ m: Int, from: UInt128, ttl: UInt8, ipID: UInt16, df: Bool,
                            icmp: UInt16) -> SweepMatch? {
        guard let probe = probeNumber(target: from, echo: u32(b, m + 4)) else { return nil }
        var match = SweepMatch(target: from, probe: probe, kind: .echoReply, from: from, ttl: ttl, ipID: ipID, dontFragment: df)
        match.icmp = icmp
        return match
    }

    /// A datagram from the target's port to one of its probes' source ports (the port
    /// identifies the probe; a reply that echoes the payload's hash field is matched by it too).
    private func udpAnswer(_ b: UnsafeRawBufferPointer, _ u: Int, from: UInt128, ttl: UInt8, ipID: UInt16, df: Bool) -> SweepMatch? {
        guard b.count >= u + 8, u16(b, u) == port else { return nil }
        let sourcePort = u16(b, u + 2)
        // Two probes to a target may share a source port: the one whose hash the payload's
        // service echoed is the one answered (matched by hash); else the first, by port.
        var first: Int?
        for p in 0..<probesPerTarget {
            let id = identifiers(target: from, probe: p)
            guard id.sourcePort == sourcePort else { continue }
            if let echo = templates[p % templates.count].echo, echo.echoed(b, u + 8, b.count, id.sequence) {
                return SweepMatch(target: from, probe: p, kind: .udpReply, from: from, ttl: ttl, ipID: ipID, dontFragment: df)
            }
            if first == nil { first = p }
        }
        guard let probe = first else { return nil }
        var match = SweepMatch(target: from, probe: probe, kind: .udpReply, from: from, ttl: ttl, ipID: ipID, dontFragment: df)
        match.portOnly = true
        return match
    }

    /// A TCP segment from the target's port to one of our probes' source ports.
    private func tcpAnswer(_ b: UnsafeRawBufferPointer, _ t: Int, from: UInt128, ttl: UInt8, ipID: UInt16, df: Bool) -> SweepMatch? {
        guard b.count >= t + 20, u16(b, t) == port else { return nil }
        let dport = u16(b, t + 2)
        let flags = b[t + 13]
        let ackSet = flags & 0x10 != 0
        let sequence: UInt32? = ackSet ? u32(b, t + 8) &- 1 : nil
        // Without an ACK only an RST is taken, and on its source port alone.
        guard ackSet || flags & 0x04 != 0 else { return nil }
        guard let probe = probeNumber(target: from, sourcePort: dport, sequence: sequence) else { return nil }
        var m = SweepMatch(target: from, probe: probe, kind: flags & 0x04 != 0 ? .reset : flags & 0x12 == 0x12 ? .synAck : .otherTCP,
                           from: from, ttl: ttl, ipID: ipID, dontFragment: df)
        m.tcpFlags = flags
        m.window = u16(b, t + 14)
        m.portOnly = !ackSet
        let dataOffset = Int(b[t + 12] >> 4) * 4
        if dataOffset > 20, b.count >= t + dataOffset { readOptions(b, t + 20, t + dataOffset, into: &m) }
        return m
    }

    /// An ICMP error quoting a probe's transport header (at `t`): TCP ports and sequence
    /// number, the echo's identifier and sequence, or UDP ports.
    private func quoteAnswer(_ b: UnsafeRawBufferPointer, _ t: Int, target: UInt128, from: UInt128, ttl: UInt8, ipID: UInt16,
                             df: Bool, kind: SweepAnswerKind, icmp: UInt16) -> SweepMatch? {
        let probe: Int?
        switch sweepProtocol {
        case .tcp:
            guard u16(b, t + 2) == port else { return nil }
            probe = probeNumber(target: target, sourcePort: u16(b, t), sequence: u32(b, t + 4))
        case .udp:
            guard u16(b, t + 2) == port else { return nil }
            probe = probeNumber(target: target, sourcePort: u16(b, t), sequence: nil)
        case .icmp:
            guard b[t] == (isIPv4 ? 8 : 128) else { return nil }
            probe = probeNumber(target: target, echo: u32(b, t + 4))
        }
        guard let probe else { return nil }
        var m = SweepMatch(target: target, probe: probe, kind: kind, from: from, ttl: ttl, ipID: ipID, dontFragment: df)
        m.icmp = icmp
        m.portOnly = sweepProtocol == .udp
        return m
    }

    private func readOptions(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, into m: inout SweepMatch) {
        var i = start, n = 0
        while i < end, n < 8 {
            let kind = b[i]
            m.optionLayout |= SweepOptions.code(kind: kind) << UInt32(4 * n)
            n += 1
            if kind == 0 { break }
            if kind == 1 { i += 1; continue }
            guard i + 1 < end else { break }
            let length = Int(b[i + 1])
            guard length >= 2, i + length <= end else {
                if n < 8 { m.optionLayout |= 14 << UInt32(4 * n) }   // "trailing": a bad length
                break
            }
            if kind == 2, length == 4 { m.mss = u16(b, i + 2) }
            if kind == 3, length == 3 { m.windowScale = b[i + 2] }
            i += length
        }
        if n == 8, i < end { m.optionLayout = m.optionLayout & 0x0FFF_FFFF | 15 << 28 }
    }
}
