/// Reassembles the first bytes of one direction of a TCP stream until it can tell what
/// they are (an HTTP request and its Host, a TLS ClientHello and its SNI, or neither),
/// then lets go of the bytes. Segments may come split, out of order, overlapping or
/// repeated; sequence numbers wrap.
struct StreamInspector: Hashable, Sendable {
    /// The most stream bytes kept while undecided; a ClientHello with post-quantum key
    /// shares is about 2 KB, real request headers rarely exceed a few.
    static let limit = 16_384
    static let maxPending = 16

    /// Sequence number of stream offset 0 (ISN + 1), once known.
    private(set) var base: UInt32?
    private var buffer: [UInt8] = []
    /// Out-of-order pieces beyond the contiguous buffer, by stream offset.
    private var pending: [Int: ArraySlice<UInt8>] = [:]
    private(set) var content: StreamContent = .needMore
    /// Gave up: too much data without a decision.
    private(set) var exhausted = false

    var isDecided: Bool { content != .needMore || exhausted }
    /// Bytes held, for the engine's memory budget.
    var bufferedBytes: Int { buffer.count + pending.values.reduce(0) { $0 + $1.count } }

    /// A SYN gives the start of the stream.
    mutating func start(isn: UInt32) {
        guard base == nil else { return }
        base = isn &+ 1
    }

    /// The stream offset of a sequence number, or nil when before the start or too far.
    func offset(of seq: UInt32) -> Int? {
        guard let base else { return nil }
        let d = seq &- base
        return d < UInt32(Self.limit) ? Int(d) : nil
    }

    /// Adds a segment's payload; returns true when this segment made the content known.
    mutating func add(seq: UInt32, payload: ArraySlice<UInt8>) -> Bool {
        guard !isDecided, !payload.isEmpty else { return false }
        if base == nil { base = seq }     // no SYN seen: the first data starts the stream
        guard let start = offset(of: seq) else { return false }
        let end = min(start + payload.count, Self.limit)
        let piece = payload.prefix(end - start)
        if start > buffer.count {
            if pending.count < Self.maxPending, (pending[start]?.count ?? 0) < piece.count,
               bufferedBytes + piece.count <= 2 * Self.limit {
                pending[start] = piece
            }
            return false
        }
        let before = buffer.count
        append(piece, at: start)
        while let (o, p) = pending.first(where: { $0.key <= buffer.count }) {
            pending[o] = nil
            append(p, at: o)
        }
        guard buffer.count > before else { return false }
        content = StreamContent.inspect(buffer)
        if content != .needMore {
            buffer = []
            pending = [:]
            return true
        }
        if buffer.count >= Self.limit {
            exhausted = true
            buffer = []
            pending = [:]
        }
        return false
    }

    private mutating func append(_ piece: ArraySlice<UInt8>, at start: Int) {
        let skip = buffer.count - start
        if skip < piece.count { buffer.append(contentsOf: piece.dropFirst(skip)) }
    }

    /// Whether a segment carries bytes of the part that decided the content (the request
    /// up to its Host line, the ClientHello): such segments, retransmissions included,
    /// are triggers.
    func carriesTrigger(seq: UInt32, length: Int) -> Bool {
        guard length > 0, let start = offset(of: seq) else { return false }
        switch content {
        case .http(_, let end), .tls(_, let end): return start < end
        default: return false
        }
    }
}
