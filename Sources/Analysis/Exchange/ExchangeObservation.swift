import Capture
import Packets
import Probing

/// What one full-TTL connection (`ConnectionExchange`) shows, read from its packets alone,
/// so a recorded connection is judged like a live one: whether the handshake was made and
/// by whom, what answered the request, and how fast the answer's bytes came.
public struct ExchangeObservation: Hashable, Sendable {
    public enum Outcome: String, Hashable, Sendable {
        /// Bytes came back.
        case data
        /// A reset ended the connection before any byte came.
        case rst
        /// A FIN ended it before any byte came.
        case fin
        /// The connection was made; nothing answered the request.
        case timeout
        /// No handshake.
        case notConnected = "not-connected"
    }

    /// Why the handshake failed.
    public enum Refusal: String, Hashable, Sendable {
        /// A RST answered the SYN.
        case reset
        /// An ICMP destination unreachable answered it.
        case unreachable
        /// Nothing answered it.
        case silence
    }

    public var outcome: Outcome
    public var refusal: Refusal?
    /// The packet that refused the handshake (a RST or an ICMP error): who refused.
    public var refusedBy: Fingerprint?
    /// The SYN-ACK that made the connection.
    public var synAck: Fingerprint?
    /// The first data segment from the peer (the page's sender: its TTL gives its distance).
    public var firstData: Fingerprint?
    /// The first line of the answer ("HTTP/1.1 200 OK", "TLS handshake: ServerHello").
    public var firstLine: String?
    /// Bytes of the peer's stream that arrived: the highest sequence number reached,
    /// counted from the headers (a capture may keep only the first bytes of each packet).
    public var bytes: Int
    /// Our SYN; our request's first segment; the peer's first and last data segment.
    public var started: CaptureTimestamp?
    public var requested: CaptureTimestamp?
    public var firstDataAt: CaptureTimestamp?
    public var lastDataAt: CaptureTimestamp?
    /// Our own end of it (our RST or FIN after the request): we stopped reading.
    public var stoppedAt: CaptureTimestamp?
    /// The peer ended the stream: a FIN or a RST after its data.
    public var ended: Bool
    /// The socket's own view, when given (secondary evidence).
    public var note: String?

    public init(outcome: Outcome, refusal: Refusal? = nil, refusedBy: Fingerprint? = nil, synAck: Fingerprint? = nil,
                firstData: Fingerprint? = nil, firstLine: String? = nil, bytes: Int = 0, started: CaptureTimestamp? = nil,
                requested: CaptureTimestamp? = nil, firstDataAt: CaptureTimestamp? = nil, lastDataAt: CaptureTimestamp? = nil,
                stoppedAt: CaptureTimestamp? = nil, ended: Bool = false, note: String? = nil) {
        self.outcome = outcome
        self.refusal = refusal
        self.refusedBy = refusedBy
        self.synAck = synAck
        self.firstData = firstData
        self.firstLine = firstLine
        self.bytes = bytes
        self.started = started
        self.requested = requested
        self.firstDataAt = firstDataAt
        self.lastDataAt = lastDataAt
        self.stoppedAt = stoppedAt
        self.ended = ended
        self.note = note
    }

    /// Whether we stopped the transfer before the peer ended it (the bound in bytes or
    /// time): it was still coming.
    public var cut: Bool { outcome == .data && !ended && stoppedAt != nil }

    /// Seconds the transfer took: from the request to the last byte when the peer ended
    /// it, to our stop when we cut it (the bytes that did not come in that time count
    /// against the rate; arrivals come in bursts, so the last byte understates it).
    public var seconds: Double? {
        guard let a = requested ?? started, let b = cut ? stoppedAt : lastDataAt else { return nil }
        return Double(b.totalNanoseconds - a.totalNanoseconds) / 1e9
    }

    /// Bytes per second over `seconds`; nil when nothing came.
    public var bytesPerSecond: Double? {
        guard bytes > 0, let s = seconds else { return nil }
        return Double(bytes) / max(s, 1e-6)
    }

    /// Whether the handshake was made.
    public var connected: Bool { outcome != .notConnected }

    /// Reads `packets` of the connection `flow`.
    public static func read(_ packets: [CapturedPacket], flow: PayloadFlow, note: String? = nil) -> ExchangeObservation {
        let decoded = packets.compactMap { c -> (IPPacket, CaptureTimestamp)? in
            guard let ip = (try? c.decode())?.ip else { return nil }
            return (ip, c.timestamp)
        }.enumerated().sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }.map(\.element)
        var o = ExchangeObservation(outcome: .notConnected, note: note)
        var synSeq: UInt32?
        var streamStart: UInt32?
        var firstLineOffset = Int.max
        var resetBeforeData = false, finBeforeData = false
        for (packet, time) in decoded {
            if let t = flow.outgoing(packet) {
                if t.flags.contains(.syn), !t.flags.contains(.ack), synSeq == nil {
                    synSeq = t.sequenceNumber
                    o.started = time
                } else if o.requested == nil, payloadLength(packet, t) > 0 {
                    o.requested = time
                } else if o.requested != nil, o.stoppedAt == nil, t.flags.contains(.rst) || t.flags.contains(.fin) {
                    o.stoppedAt = time
                }
                continue
            }
            if let t = flow.incoming(packet) {
                if t.flags.contains(.syn), t.flags.contains(.ack) {
                    if o.synAck == nil, synSeq.map({ t.acknowledgmentNumber == $0 &+ 1 }) ?? true {
                        o.synAck = PayloadObservation.fingerprint(packet)
                        streamStart = t.sequenceNumber &+ 1
                    }
                    continue
                }
                guard let start = streamStart else {
                    if t.flags.contains(.rst), o.refusal == nil {
                        o.refusal = .reset
                        o.refusedBy = PayloadObservation.fingerprint(packet)
                    }
                    continue
                }
                let length = payloadLength(packet, t)
                if length > 0, let offset = PayloadObservation.offsetFromData(t.sequenceNumber, start), offset < 1 << 30 {
                    o.bytes = max(o.bytes, offset + length)
                    if o.firstDataAt == nil { o.firstDataAt = time; o.firstData = PayloadObservation.fingerprint(packet) }
                    o.lastDataAt = time
                    if offset < firstLineOffset, offset == 0, !t.payload.isEmpty {
                        firstLineOffset = offset
                        o.firstLine = PayloadObservation.describe(t.payload)
                    }
                }
                if t.flags.contains(.rst) || t.flags.contains(.fin) {
                    if o.bytes > 0 { o.ended = true } else if t.flags.contains(.rst) { resetBeforeData = true } else { finBeforeData = true }
                }
            } else if o.synAck == nil, o.refusal == nil, let icmp = packet.transport.icmp, icmp.isDestinationUnreachable,
                      packet.destination == flow.local, let quoted = icmp.quotedPacket, quoted.destination == flow.remote {
                o.refusal = .unreachable
                o.refusedBy = PayloadObservation.fingerprint(packet)
            }
        }
        if o.synAck == nil {
            o.outcome = .notConnected
            if o.refusal == nil { o.refusal = .silence }
            return o
        }
        o.refusal = nil
        o.refusedBy = nil
        o.outcome = o.bytes > 0 ? .data : resetBeforeData ? .rst : finBeforeData ? .fin : .timeout
        return o
    }

    /// The segment's payload length on the wire, from the headers (the capture may be cut).
    static func payloadLength(_ packet: IPPacket, _ t: TCPSegment) -> Int {
        let declared: Int
        switch packet.header {
        case .v4(let h): declared = Int(h.totalLength) - h.headerLength
        case .v6(let h): declared = Int(h.payloadLength) - (h.headerLength - 40)
        }
        let fromHeaders = declared - t.headerLength
        return fromHeaders > 0 ? max(fromHeaders, t.payload.count) : t.payload.count
    }
}
