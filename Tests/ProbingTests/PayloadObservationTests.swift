import Capture
import Packets
import Probing
import Testing

/// A connection as a capture shows it: our handshake at full TTL, the payload at TTL 3,
/// then whatever the test adds. Packets go through serialise + parse, as captured ones do.
struct SyntheticConnection {
    static let client = IPv4Address(198, 18, 1, 2), server = IPv4Address(198, 18, 9, 2)
    static let router = IPv4Address(198, 18, 3, 2), censor = IPv4Address(198, 18, 2, 2)
    let flow = PayloadFlow(local: .v4(client), localPort: 40_001, remote: .v4(server), remotePort: 80)
    let clientISN: UInt32 = 0xFFFF_FF00          // the data's seq wraps past 2^32
    let serverISN: UInt32 = 7_000
    let payload = Array("GET / HTTP/1.1\r\nHost: blocked.example\r\n\r\n".utf8)
    var packets: [PayloadPacket] = []

    var dataSequence: UInt32 { clientISN &+ 1 }
    var dataEnd: UInt32 { dataSequence &+ UInt32(payload.count) }

    init() {
        add(0, tcp(out: true, seq: clientISN, ack: 0, flags: .syn, options: [.maximumSegmentSize(1460), .windowScale(7)]))
        add(1, tcp(out: false, seq: serverISN, ack: clientISN &+ 1, flags: [.syn, .ack], ttl: 61, options: [.windowScale(7)]))
        add(1, tcp(out: true, seq: dataSequence, ack: serverISN + 1, flags: .ack))
        add(2, sentData)
    }

    /// Our data segment as it left (TTL 3).
    var sentData: IPPacket {
        tcp(out: true, seq: dataSequence, ack: serverISN + 1, flags: [.psh, .ack], ttl: 3, ipID: 4242, payload: payload)
    }

    static func ts(_ ms: Int) -> CaptureTimestamp {
        CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: UInt32(ms) * 1_000_000)
    }

    mutating func add(_ ms: Int, _ p: IPPacket) {
        let reparsed = (try? IPPacket.parse(p.serialized())) ?? p
        packets.append(PayloadPacket(packet: reparsed, timestamp: Self.ts(ms)))
    }

    func tcp(out: Bool, seq: UInt32, ack: UInt32, flags: TCPFlags, ttl: UInt8 = 64, ipID: UInt16 = 0,
             window: UInt16 = 502, options: [TCPOption] = [], payload: [UInt8] = [], tos: UInt8 = 0) -> IPPacket {
        let (s, d) = out ? (Self.client, Self.server) : (Self.server, Self.client)
        let segment = TCPSegment(sourcePort: out ? 40_001 : 80, destinationPort: out ? 80 : 40_001, sequenceNumber: seq,
                                 acknowledgmentNumber: ack, flags: flags, window: window, options: options, payload: payload[...])
        return IPPacket(IPv4Header(tos: tos, identification: ipID, flags: .dontFragment, ttl: ttl, proto: 6, source: s, destination: d),
                        .tcp(segment))
    }

    /// An ICMP error from `router` quoting `quoted` (as it arrived there: TTL 1), the
    /// first `quoteBytes` bytes of it (nil: all).
    func icmpError(from router: IPv4Address, type: UInt8 = 11, code: UInt8 = 0, quoting quoted: IPPacket,
                   quoteBytes: Int? = 28) -> IPPacket {
        var q = quoted
        if case .v4(var h) = q.header { h.ttl = 1; q.header = .v4(h) }
        let bytes = q.serialized()
        let body = quoteBytes.map { Array(bytes.prefix($0)) } ?? bytes
        return IPPacket(IPv4Header(tos: 0xC0, identification: 99, ttl: 62, proto: 1, source: router, destination: Self.client),
                        .icmp(ICMPMessage(family: .v4, type: type, code: code, body: body[...])))
    }

    func classify() -> PayloadObservation {
        PayloadObservation.classify(flow: flow, dataSequence: dataSequence, dataLength: payload.count, packets: packets)
    }
}

@Suite struct PayloadObservationTests {
    @Test func timeExceededQuotingTheData() {
        var c = SyntheticConnection()
        c.add(5, c.icmpError(from: SyntheticConnection.router, quoting: c.sentData))
        let o = c.classify()
        #expect(o.outcome == .timeExceeded)
        #expect(o.from == .v4(SyntheticConnection.router))
        #expect(o.rttMilliseconds == 3)
        #expect(o.fingerprint?.icmpType == 11)
        #expect(o.quoteDifferences.isEmpty)
        #expect(o.timeExceededFrom == .v4(SyntheticConnection.router))
    }

    @Test func timeExceededWithAnotherSeqOrPortIsNotOurs() {
        var c = SyntheticConnection()
        let later = c.tcp(out: true, seq: c.dataEnd, ack: c.serverISN + 1, flags: [.psh, .ack], ttl: 3, payload: [1, 2, 3])
        c.add(5, c.icmpError(from: SyntheticConnection.router, quoting: later))
        var otherPort = c.sentData
        if case .tcp(var t) = otherPort.transport { t.sourcePort = 40_002; otherPort.transport = .tcp(t) }
        c.add(6, c.icmpError(from: SyntheticConnection.router, quoting: otherPort))
        // The handshake's ACK carries the data's seq but no data.
        c.add(7, c.icmpError(from: SyntheticConnection.router, quoting: c.packets[2].packet))
        let o = c.classify()
        #expect(o.outcome == .timeout)
        #expect(o.from == nil && o.timeExceededFrom == nil)
    }

    @Test func fullQuoteShowsRewrittenFields() {
        var c = SyntheticConnection()
        var rewritten = c.sentData
        if case .v4(var h) = rewritten.header { h.tos = 0x04; rewritten.header = .v4(h) }
        if case .tcp(var t) = rewritten.transport { t.window = 1024; rewritten.transport = .tcp(t) }
        c.add(5, c.icmpError(from: SyntheticConnection.router, quoting: rewritten, quoteBytes: nil))
        let o = c.classify()
        #expect(o.outcome == .timeExceeded)
        #expect(o.quoteDifferences.map(\.field) == ["tos", "window", "tcp_checksum"])
        #expect(o.quoteDifferences.first == QuoteDifference(field: "tos", sent: "0", quoted: "4"))
    }

    @Test func injectedResetInWindow() {
        var c = SyntheticConnection()
        c.add(3, c.tcp(out: false, seq: c.serverISN + 1, ack: c.dataEnd, flags: [.rst, .ack], ttl: 63, ipID: 1, window: 0))
        let o = c.classify()
        #expect(o.outcome == .rst)
        #expect(o.from == .v4(SyntheticConnection.server))
        #expect(o.fingerprint?.ttl == 63)
        #expect(o.fingerprint?.ipID == 1)
        #expect(o.fingerprint?.flags == [.rst, .ack])
        #expect(o.fingerprint?.acknowledgmentNumber == c.dataEnd)
        #expect(o.inWindow == true)
        #expect(o.rttMilliseconds == 1)
    }

    @Test func resetOutsideTheWindowIsKeptAndMarked() {
        var c = SyntheticConnection()
        c.add(3, c.tcp(out: false, seq: c.serverISN &+ 0x4000_0000, ack: 0, flags: .rst, ttl: 63))
        let o = c.classify()
        #expect(o.outcome == .rst)
        #expect(o.inWindow == false)
    }

    @Test func resetBeforeThePayloadIsNotAnAnswer() {
        var c = SyntheticConnection()
        let rst = c.tcp(out: false, seq: c.serverISN + 1, ack: c.dataSequence, flags: [.rst, .ack])
        c.packets.insert(PayloadPacket(packet: rst, timestamp: SyntheticConnection.ts(1)), at: 3)
        #expect(c.classify().outcome == .timeout)
    }

    @Test func onPathInjectorShowsResetAndTimeExceeded() {
        var c = SyntheticConnection()
        c.add(4, c.icmpError(from: SyntheticConnection.censor, quoting: c.sentData))
        c.add(5, c.tcp(out: false, seq: c.serverISN + 1, ack: c.dataEnd, flags: [.rst, .ack], ttl: 63, ipID: 1))
        let o = c.classify()
        #expect(o.outcome == .rst)
        #expect(o.timeExceededFrom == .v4(SyntheticConnection.censor))
    }

    @Test func blockpage() {
        var c = SyntheticConnection()
        let page = Array("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".utf8)
        c.add(3, c.tcp(out: false, seq: c.serverISN + 1, ack: c.dataEnd, flags: [.fin, .psh, .ack], ttl: 63, ipID: 1,
                       window: 0, payload: page))
        c.add(4, c.tcp(out: false, seq: c.serverISN + 1, ack: c.dataEnd, flags: [.fin, .psh, .ack], ttl: 63, ipID: 2,
                       window: 0, payload: page))   // a retransmission: counted once
        let o = c.classify()
        #expect(o.outcome == .data)
        #expect(o.firstBytes == "HTTP/1.1 403 Forbidden")
        #expect(o.responseBytes == page.count)
        #expect(o.fingerprint?.payloadLength == page.count)
        #expect(o.inWindow == true)
    }

    @Test func acknowledgementOnly() {
        var c = SyntheticConnection()
        c.add(3, c.tcp(out: false, seq: c.serverISN + 1, ack: c.dataSequence, flags: .ack, ttl: 61))   // not the payload
        #expect(c.classify().outcome == .timeout)
        c.add(4, c.tcp(out: false, seq: c.serverISN + 1, ack: c.dataEnd, flags: .ack, ttl: 61))
        let o = c.classify()
        #expect(o.outcome == .ack)
        #expect(o.fingerprint?.ttl == 61)
        #expect(o.responseBytes == 0 && o.firstBytes == nil)
    }

    @Test func unreachableQuotingTheData() {
        var c = SyntheticConnection()
        c.add(5, c.icmpError(from: SyntheticConnection.router, type: 3, code: 13, quoting: c.sentData))
        let o = c.classify()
        #expect(o.outcome == .unreachable)
        #expect(o.fingerprint?.icmpCode == 13)
        #expect(o.timeExceededFrom == nil)
    }

    @Test func nothingIsTimeout() {
        let o = SyntheticConnection().classify()
        #expect(o == PayloadObservation(outcome: .timeout, sentAt: SyntheticConnection.ts(2)))   // when our payload left
    }

    @Test func ipv6TimeExceeded() throws {
        let client = try #require(IPv6Address("2001:db8:1::2")), server = try #require(IPv6Address("2001:db8:9::2"))
        let router = try #require(IPv6Address("2001:db8:2::2"))
        let flow = PayloadFlow(local: .v6(client), localPort: 5555, remote: .v6(server), remotePort: 443)
        let data = IPPacket(IPv6Header(nextHeader: 6, hopLimit: 1, source: client, destination: server),
                            .tcp(TCPSegment(sourcePort: 5555, destinationPort: 443, sequenceNumber: 10, acknowledgmentNumber: 20,
                                            flags: [.psh, .ack], window: 100, payload: [0x16, 0x03, 0x01, 0, 1, 1][...])))
        let error = IPPacket(IPv6Header(nextHeader: 58, hopLimit: 63, source: router, destination: client),
                             .icmp(ICMPMessage(family: .v6, type: 3, code: 0, body: data.serialized()[...])))
        let packets = [data, error].enumerated().map { i, p in
            PayloadPacket(packet: (try? IPPacket.parse(p.serialized())) ?? p, timestamp: SyntheticConnection.ts(i))
        }
        let o = PayloadObservation.classify(flow: flow, dataSequence: 10, dataLength: 6, packets: packets)
        #expect(o.outcome == .timeExceeded)
        #expect(o.from == .v6(router))
        #expect(o.quoteDifferences.isEmpty)
    }

    @Test func firstBytesDescribeTLSAndBinary() {
        var c = SyntheticConnection()
        c.add(3, c.tcp(out: false, seq: c.serverISN + 1, ack: c.dataEnd, flags: [.psh, .ack], ttl: 61,
                       payload: [0x16, 0x03, 0x03, 0x00, 0x7A, 0x02, 0x00, 0x00, 0x76]))
        #expect(c.classify().firstBytes == "TLS handshake: ServerHello")
        var d = SyntheticConnection()
        d.add(3, d.tcp(out: false, seq: d.serverISN + 1, ack: d.dataEnd, flags: [.psh, .ack], payload: [0x00, 0xFF, 0x10]))
        #expect(d.classify().firstBytes == "hex 00ff10")
    }
}
