import Capture
import Packets

/// The TCP connection a payload probe used, from our side.
public struct PayloadFlow: Hashable, Sendable {
    public var local: IPAddress
    public var localPort: UInt16
    public var remote: IPAddress
    public var remotePort: UInt16

    public init(local: IPAddress, localPort: UInt16, remote: IPAddress, remotePort: UInt16) {
        self.local = local
        self.localPort = localPort
        self.remote = remote
        self.remotePort = remotePort
    }

    /// The segment, if `packet` is TCP from us to the remote end on this connection.
    public func outgoing(_ packet: IPPacket) -> TCPSegment? {
        guard packet.source == local, packet.destination == remote, let t = packet.transport.tcp,
              t.sourcePort == localPort, t.destinationPort == remotePort else { return nil }
        return t
    }

    /// The segment, if `packet` is TCP from the remote end (or anyone using its name) to us.
    public func incoming(_ packet: IPPacket) -> TCPSegment? {
        guard packet.source == remote, packet.destination == local, let t = packet.transport.tcp,
              t.sourcePort == remotePort, t.destinationPort == localPort else { return nil }
        return t
    }
}

/// A captured packet, decoded, with its capture time.
public struct PayloadPacket: Hashable, Sendable {
    public var packet: IPPacket
    public var timestamp: CaptureTimestamp

    public init(packet: IPPacket, timestamp: CaptureTimestamp) {
        self.packet = packet
        self.timestamp = timestamp
    }
}

/// What a TTL-limited payload drew.
public enum PayloadOutcome: String, Hashable, Sendable, CaseIterable {
    /// A router's ICMP time exceeded quoting our data segment.
    case timeExceeded = "time-exceeded"
    /// A reset on the connection (from the server or an injector using its address).
    case rst
    /// Data on the connection: the server's answer, or an injected blockpage.
    case data
    /// A FIN without data closed the connection (from the server or an injector).
    case fin
    /// The payload was acknowledged and nothing else came.
    case ack
    /// An ICMP destination unreachable quoting our data segment.
    case unreachable
    /// Nothing that answers the payload.
    case timeout
    /// The handshake failed, so no payload was sent.
    case notConnected = "not-connected"
}

/// What one connection's capture shows about its payload.
public struct PayloadObservation: Hashable, Sendable {
    public var outcome: PayloadOutcome
    /// Who answered: the ICMP sender, or the TCP source address (possibly forged).
    public var from: IPAddress?
    /// From the first capture of our data segment to the answer.
    public var rttMilliseconds: Double?
    /// The deciding answer's packet.
    public var fingerprint: Fingerprint?
    /// For ICMP answers: fields of our segment that the quote shows rewritten.
    public var quoteDifferences: [QuoteDifference]
    /// Distinct payload bytes received on the connection (any source).
    public var responseBytes: Int
    /// The first line of the data received, e.g. "HTTP/1.1 403 Forbidden", or a TLS
    /// record's description ("TLS handshake: ServerHello").
    public var firstBytes: String?
    /// For TCP answers: whether the answer's seq lies in the receive window we advertised
    /// after the server's SYN-ACK (a stack ignores a reset outside it); nil when the
    /// SYN-ACK was not captured.
    public var inWindow: Bool?
    /// A router that sent time exceeded for the payload even though something else decided
    /// the outcome: an injector that lets the payload go on (on-path) shows both.
    public var timeExceededFrom: IPAddress?
    /// The socket's own view (secondary evidence), e.g. "connection reset by peer", or
    /// why the connection could not be made.
    public var socketError: String?
    /// When our payload was first captured; without one, when our SYN was: orders the
    /// connections in time (residual blocking shows in what came after a test).
    public var sentAt: CaptureTimestamp?

    public init(outcome: PayloadOutcome, from: IPAddress? = nil, rttMilliseconds: Double? = nil,
                fingerprint: Fingerprint? = nil, quoteDifferences: [QuoteDifference] = [],
                responseBytes: Int = 0, firstBytes: String? = nil, inWindow: Bool? = nil,
                timeExceededFrom: IPAddress? = nil, socketError: String? = nil, sentAt: CaptureTimestamp? = nil) {
        self.outcome = outcome
        self.from = from
        self.rttMilliseconds = rttMilliseconds
        self.fingerprint = fingerprint
        self.quoteDifferences = quoteDifferences
        self.responseBytes = responseBytes
        self.firstBytes = firstBytes
        self.inWindow = inWindow
        self.timeExceededFrom = timeExceededFrom
        self.socketError = socketError
        self.sentAt = sentAt
    }

    /// A connection whose handshake failed.
    public static func notConnected(_ reason: String) -> PayloadObservation {
        PayloadObservation(outcome: .notConnected, socketError: reason)
    }

    /// Classifies what `packets` show for the payload `dataSequence ..< dataSequence + dataLength`
    /// sent on `flow`. Matching is strict: ICMP errors by their quoted TCP header (addresses,
    /// ports, and a seq inside our data), TCP answers by the 5-tuple, an ACK only when it
    /// acknowledges the whole payload. Answers captured before our data segment are
    /// ignored, and so are those after we closed the connection (our FIN or RST after the
    /// data): they answer the close. Precedence: the earliest reset, data or FIN (the
    /// nearest device answers first), then unreachable, then time exceeded, then a bare
    /// acknowledgement, else timeout.
    public static func classify(flow: PayloadFlow, dataSequence: UInt32, dataLength: Int,
                                packets: [PayloadPacket]) -> PayloadObservation {
        let ordered = packets.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }
            .map(\.element)
        let length = UInt32(clamping: max(1, dataLength))
        let dataEnd = dataSequence &+ length
        let sent = ordered.compactMap { p -> (PayloadPacket, TCPSegment)? in
            guard let t = flow.outgoing(p.packet), !t.payload.isEmpty,
                  Self.offset(t.sequenceNumber, from: dataSequence).map({ $0 < Int64(length) }) == true else { return nil }
            return (p, t)
        }
        let sentAt = sent.first?.0.timestamp
        let window = PayloadReceiveWindow(flow: flow, packets: ordered)

        var stream: TCPAnswer?, unreachable: (PayloadPacket, ICMPMessage)?, timeExceeded: (PayloadPacket, ICMPMessage)?
        var acknowledgement: TCPAnswer?
        var received: [UInt32: Int] = [:]
        var firstData: ArraySlice<UInt8>?
        for p in ordered {
            if let sentAt, p.timestamp < sentAt { continue }
            if sentAt != nil, let t = flow.outgoing(p.packet), t.flags.contains(.rst) || (t.flags.contains(.fin) && t.payload.isEmpty) {
                break
            }
            if let t = flow.incoming(p.packet) {
                if t.flags.contains(.syn) { continue }   // a retransmitted SYN-ACK answers the handshake
                if !t.payload.isEmpty {
                    received[t.sequenceNumber] = max(received[t.sequenceNumber] ?? 0, t.payload.count)
                    if firstData == nil { firstData = t.payload }
                }
                if t.flags.contains(.rst) || !t.payload.isEmpty || t.flags.contains(.fin) {
                    if stream == nil { stream = TCPAnswer(packet: p, segment: t) }
                } else if t.flags.contains(.ack), let d = offset(t.acknowledgmentNumber, from: dataEnd), d <= 1 {
                    if acknowledgement == nil { acknowledgement = TCPAnswer(packet: p, segment: t) }   // FIN counts one
                }
            } else if let icmp = p.packet.transport.icmp, p.packet.destination == flow.local, icmp.isError,
                      let quoted = icmp.quotedPacket, quotes(quoted, flow: flow, dataSequence: dataSequence, length: length) {
                if icmp.isTimeExceeded, timeExceeded == nil { timeExceeded = (p, icmp) }
                if icmp.isDestinationUnreachable, unreachable == nil { unreachable = (p, icmp) }
            }
        }

        var result: PayloadObservation
        if let answer = stream ?? (unreachable == nil && timeExceeded == nil ? acknowledgement : nil) {
            let flags = answer.segment.flags
            let outcome: PayloadOutcome = stream == nil ? .ack
                : flags.contains(.rst) ? .rst : (answer.segment.payload.isEmpty ? .fin : .data)
            result = PayloadObservation(outcome: outcome, from: answer.packet.packet.source,
                                        fingerprint: fingerprint(answer.packet.packet),
                                        inWindow: window.contains(answer.segment.sequenceNumber))
            result.rttMilliseconds = rtt(sentAt, answer.packet.timestamp)
        } else if let (p, icmp) = unreachable ?? timeExceeded {
            result = PayloadObservation(outcome: unreachable != nil ? .unreachable : .timeExceeded,
                                        from: p.packet.source, fingerprint: fingerprint(p.packet))
            result.rttMilliseconds = rtt(sentAt, p.timestamp)
            if let quoted = icmp.quotedPacket {
                result.quoteDifferences = PayloadQuoteComparison.differences(sent: copy(quoted, among: sent, before: p.timestamp),
                                                                      quoted: quoted)
            }
        } else {
            result = PayloadObservation(outcome: .timeout)
        }
        result.sentAt = sentAt
        result.timeExceededFrom = timeExceeded?.0.packet.source
        result.responseBytes = received.values.reduce(0, +)
        result.firstBytes = firstData.flatMap(describe)
        return result
    }

    private struct TCPAnswer {
        var packet: PayloadPacket
        var segment: TCPSegment
    }

    /// `seq - base` when seq is at or after base (mod 2^32, less than 2^31 ahead).
    static func offset(_ seq: UInt32, from base: UInt32) -> Int64? {
        let d = seq &- base
        return d < 0x8000_0000 ? Int64(d) : nil
    }

    private static func rtt(_ sent: CaptureTimestamp?, _ answer: CaptureTimestamp) -> Double? {
        sent.map { Double(answer.totalNanoseconds - $0.totalNanoseconds) / 1e6 }
    }

    /// Whether an ICMP quote is of our data: our addresses and ports, a seq inside it.
    private static func quotes(_ q: IPPacket, flow: PayloadFlow, dataSequence: UInt32, length: UInt32) -> Bool {
        guard q.source == flow.local, q.destination == flow.remote, q.header.upperLayerProtocol == 6 else { return false }
        let ports: (UInt16?, UInt16?, UInt32?)
        let tcpHeader: Int
        switch q.transport {
        case .tcp(let t): ports = (t.sourcePort, t.destinationPort, t.sequenceNumber); tcpHeader = t.headerLength
        case .tcpPrefix(let p): ports = (p.sourcePort, p.destinationPort, p.sequenceNumber); tcpHeader = 20
        default: return false
        }
        guard ports.0 == flow.localPort, ports.1 == flow.remotePort, let seq = ports.2,
              let d = offset(seq, from: dataSequence), d < Int64(length) else { return false }
        // The quoted IP length must leave room for data: the handshake's ACK has our
        // data's seq too, but no payload.
        let ipLength: Int
        switch q.header {
        case .v4(let h): ipLength = Int(h.totalLength) - h.headerLength
        case .v6(let h): ipLength = Int(h.payloadLength) - (h.headerLength - 40)
        }
        return ipLength > tcpHeader
    }

    /// The transmission the quote is of: same IP ID if one matches, else the last sent before it.
    private static func copy(_ quoted: IPPacket, among sent: [(PayloadPacket, TCPSegment)],
                             before time: CaptureTimestamp) -> IPPacket? {
        if case .v4(let q) = quoted.header,
           let same = sent.first(where: { if case .v4(let h) = $0.0.packet.header { return h.identification == q.identification }; return false }) {
            return same.0.packet
        }
        return (sent.last { $0.0.timestamp <= time } ?? sent.first)?.0.packet
    }

    /// The observable identity of an answering packet.
    public static func fingerprint(_ p: IPPacket) -> Fingerprint {
        var f: Fingerprint
        switch p.header {
        case .v4(let h):
            f = Fingerprint(source: p.source, ttl: h.ttl, ipID: UInt32(h.identification), dontFragment: h.dontFragment,
                            tos: h.tos, length: Int(h.totalLength))
        case .v6(let h):
            f = Fingerprint(source: p.source, ttl: h.hopLimit, ipID: h.fragment?.identification, dontFragment: false,
                            tos: h.trafficClass, length: 40 + Int(h.payloadLength))
        }
        switch p.transport {
        case .tcp(let t):
            f.flags = t.flags
            f.window = t.window
            f.sequenceNumber = t.sequenceNumber
            f.acknowledgmentNumber = t.acknowledgmentNumber
            f.options = t.options.map(\.name)
            f.payloadLength = t.payload.count
        case .icmp(let m):
            f.icmpType = m.type
            f.icmpCode = m.code
        default:
            break
        }
        return f
    }

    /// A printable first line of returned data: text up to the line end, a TLS record's
    /// kind, else the first bytes in hex.
    public static func describe(_ data: ArraySlice<UInt8>) -> String? {
        guard let first = data.first else { return nil }
        let bytes = Array(data.prefix(200))
        if (20...23).contains(first), bytes.count >= 6, bytes[1] == 3 {
            switch first {
            case 21 where bytes.count >= 7: return "TLS alert: level \(bytes[5]) description \(bytes[6])"
            case 22:
                let names: [UInt8: String] = [2: "ServerHello", 11: "Certificate", 12: "ServerKeyExchange", 14: "ServerHelloDone"]
                return "TLS handshake: " + (names[bytes[5]] ?? "type \(bytes[5])")
            default: return "TLS record type \(first)"
            }
        }
        let line = bytes.prefix { $0 != 0x0D && $0 != 0x0A }
        if !line.isEmpty, line.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0x09 }) {
            return String(decoding: line, as: UTF8.self)
        }
        return "hex " + Hex.encode(bytes.prefix(16))
    }
}

/// The receive window we advertised, from the captured handshake: seq numbers the
/// remote end may use. Nil (unknown) without a SYN-ACK.
struct PayloadReceiveWindow {
    var start: UInt32?
    var size: Int64 = 65_535

    init(flow: PayloadFlow, packets: [PayloadPacket]) {
        var ourScale: UInt8?, theirScale = false, largest: UInt16 = 0
        for p in packets {
            if let t = flow.incoming(p.packet), t.flags.contains([.syn, .ack]) {
                start = t.sequenceNumber &+ 1
                theirScale = t.options.contains { if case .windowScale = $0 { return true }; return false }
            } else if let t = flow.outgoing(p.packet) {
                if t.flags.contains(.syn) {
                    for case .windowScale(let s) in t.options { ourScale = s }
                } else {
                    largest = max(largest, t.window)
                }
            }
        }
        if largest > 0 {
            let shift = theirScale ? Int64(min(ourScale ?? 0, 14)) : 0
            size = Int64(largest) << shift
        }
    }

    func contains(_ seq: UInt32) -> Bool? {
        guard let start else { return nil }
        return PayloadObservation.offset(seq, from: start).map { $0 < size }
    }
}

/// One TTL of a handshake + TTL-limited payload sweep: the test and the control payload.
public struct PayloadStep: Hashable, Sendable {
    public var ttl: Int
    public var test: PayloadObservation
    public var control: PayloadObservation

    public init(ttl: Int, test: PayloadObservation, control: PayloadObservation) {
        self.ttl = ttl
        self.test = test
        self.control = control
    }
}
