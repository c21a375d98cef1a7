import JSONSupport
import Packets

/// A probe kind, in the manner of ZMap's probe modules: what it builds (its `ProbeBuilder`
/// method, in the same file), how its own answers are recognised and what they are called.
/// ICMP errors quoting a probe are matched generically by the correlator, for every kind.
/// Every kind is listed once in `ProbeKinds`, which the correlator and the commands consult.
public protocol ProbeKind: Sendable {
    /// The `Probe.module` names this kind builds, unique across `ProbeKinds.all`.
    static var names: [String] { get }
    /// One line for help text.
    static var summary: String { get }
    /// The kinds of this kind's own answers (not the ICMP errors of `AnswerKind.icmpErrors`).
    static var answerKinds: [AnswerKind] { get }
    /// Whether `answer` answers `probe` by this kind's own rules (ZMap's `validate_packet`).
    static func recognises(_ answer: IPPacket, for probe: Probe) -> Bool
}

/// A UDP application kind (STUN, DNS, QUIC…): a request whose answer carries an identifier
/// of the request back (the transaction), so the correlator matches it exactly, by that
/// identifier on the probe's reversed 5-tuple. One file per kind, listed in
/// `ProbeKinds.datagram`: that is all a new kind needs for the correlator, `probe KIND`
/// and the experiment language.
public protocol DatagramKind: ProbeKind {
    /// The kind's name: its `Probe.module`, its `probe` subcommand, its experiment step.
    static var name: String { get }
    static var defaultPort: UInt16 { get }
    /// What a response is called (`stun-response`, `dns-response`, `version-negotiation`).
    static var responseKind: AnswerKind { get }
    /// The kind's own parameters; the shared `port`, `ttl` and `count` come first
    /// (`ProbeKinds.parameters(of:)`).
    static var parameters: [KindParameter] { get }
    /// Checks what the parameter types cannot (a record type's name, a reserved version).
    static func validate(_ arguments: KindArguments) throws(KindParameterError)
    /// The request's payload for validated `arguments`; identifiers come from `random`.
    static func request(_ arguments: KindArguments, random: inout some RandomNumberGenerator) throws(ProbeBuildError) -> DatagramRequest
    /// The transaction a request (our probe's UDP payload) carries; nil when the payload is
    /// no request of this kind.
    static func requestTransaction(_ payload: ArraySlice<UInt8>) -> TransactionID?
    /// The transaction a response carries, as `requestTransaction` gives it for the request
    /// it answers; nil when the payload is no response of this kind. Reads hostile bytes.
    static func responseTransaction(_ payload: ArraySlice<UInt8>) -> TransactionID?
    /// The kind's JSON fields of one probe's result (`mapped_address`, `versions`…), from
    /// its first answer: null or empty values when there is none or it is no response.
    static func resultFields(probe: Probe, answer: Answer?) -> [(key: String, value: JSONValue)]
    /// What the text form adds to an answer's line (e.g. "mapped address 198.18.1.2:6000").
    static func textDetail(_ answer: Answer) -> String?
}

extension DatagramKind {
    public static var names: [String] { [name] }
    public static var answerKinds: [AnswerKind] { [responseKind] }
    public static func validate(_ arguments: KindArguments) throws(KindParameterError) {}
    public static func textDetail(_ answer: Answer) -> String? { nil }

    /// A response on the probe's reversed flow with the probe's transaction.
    public static func recognises(_ answer: IPPacket, for probe: Probe) -> Bool {
        guard UDPKind.isOnReversedFlow(answer, of: probe), let sent = probe.packet.transport.udp,
              let got = answer.transport.udp, let asked = requestTransaction(sent.payload),
              let answered = responseTransaction(got.payload) else { return false }
        return asked == answered
    }

    /// The UDP payload of an answer that is a datagram.
    public static func payload(of answer: Answer?) -> ArraySlice<UInt8>? { answer?.packet.transport.udp?.payload }
}

/// What a datagram kind sends: the UDP payload, and how its probe's label starts
/// ("dns A example.com"; the builder adds " ttl 64 #0").
public struct DatagramRequest: Hashable, Sendable {
    public var payload: [UInt8]
    public var label: String

    public init(payload: [UInt8], label: String) {
        self.payload = payload
        self.label = label
    }
}

/// An application-level transaction identifier of up to 48 bytes (a STUN transaction ID,
/// a DNS message ID, a QUIC connection ID pair), held inline: building and comparing one
/// allocates nothing, and equality is exact, byte for byte and length for length.
public struct TransactionID: Hashable, Sendable {
    public static let capacity = 48
    public let count: Int
    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)

    /// Nil when `bytes` holds more than `capacity` bytes.
    public init?<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        guard bytes.count <= TransactionID.capacity else { return nil }
        count = bytes.count
        var i = 0
        for b in bytes {
            let shift = UInt64(56 - 8 * (i % 8))
            switch i / 8 {
            case 0: words.0 |= UInt64(b) << shift
            case 1: words.1 |= UInt64(b) << shift
            case 2: words.2 |= UInt64(b) << shift
            case 3: words.3 |= UInt64(b) << shift
            case 4: words.4 |= UInt64(b) << shift
            default: words.5 |= UInt64(b) << shift
            }
            i += 1
        }
    }

    public static func == (a: TransactionID, b: TransactionID) -> Bool {
        a.count == b.count && a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2
            && a.words.3 == b.words.3 && a.words.4 == b.words.4 && a.words.5 == b.words.5
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
        hasher.combine(words.4)
        hasher.combine(words.5)
    }

    /// One word for the correlator's tables.
    var hashWord: UInt64 {
        var h = mixWords(UInt64(count), words.0)
        h = mixWords(h, words.1 ^ words.2 &* 0x9E37_79B9_7F4A_7C15)
        return mixWords(h, words.3 ^ (words.4 &* 0xC2B2_AE3D_27D4_EB4F) ^ (words.5 &* 0x1656_67B1_9E37_79F9))
    }
}

// Big-endian reads for the kinds' header checks; callers check lengths first.
extension ArraySlice where Element == UInt8 {
    func bigEndian16(at offset: Int) -> UInt16 {
        let i = startIndex + offset
        return UInt16(self[i]) << 8 | UInt16(self[i + 1])
    }

    func bigEndian32(at offset: Int) -> UInt32 {
        UInt32(bigEndian16(at: offset)) << 16 | UInt32(bigEndian16(at: offset + 2))
    }

    /// `count` bytes from `offset`, relative to the start.
    func bytes(at offset: Int, count: Int) -> ArraySlice<UInt8> {
        self[(startIndex + offset)..<(startIndex + offset + count)]
    }
}
