import Packets
import Probing

/// The named probes a sweep can send, per protocol: the one table the command line, the run
/// file and the replay consult.
extension SweepProbe.Variant {
    /// Every name of `kind`, in the order the help lists them.
    public static func names(_ kind: SweepProtocol) -> [String] {
        switch kind {
        case .tcp: return SYNVariant.allCases.map(\.rawValue)
        case .icmp: return ["echo"]
        case .udp: return ["empty", "dns", "stun", "quic"]
        }
    }

    /// The name of a `--payload` datagram in records and run files.
    public static let ownPayloadName = "payload"
    /// A datagram's payload at most: an IPv6 packet of 1500 bytes.
    public static let maximumPayload = 1452

    /// Hexadecimal digits, two per byte (nil for anything else, separators included, or an odd count).
    public static func bytes(hex: String) -> [UInt8]? {
        guard hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }) else { return nil }
        return hex.isEmpty ? [] : try? Hex.decode(hex)
    }

    /// The variant called `name` for `kind`; nil for an unknown name.
    public static func named(_ name: String, protocol kind: SweepProtocol, ipv6: Bool) -> SweepProbe.Variant? {
        switch kind {
        case .tcp:
            return SYNVariant(rawValue: name).map { .init(name: name, shape: TCPProbeShape.variant($0, ipv6: ipv6)) }
        case .icmp:
            // 56 bytes of payload, as ping sends.
            return name == "echo" ? .init(name: name, shape: .echo(payloadSize: 56)) : nil
        case .udp:
            switch name {
            case "empty": return .init(name: name, shape: .datagram([]))
            case "dns": return .init(name: name, shape: .datagram(dnsQuery, echo: .dnsID))
            case "stun": return .init(name: name, shape: .datagram(stunRequest, echo: .stunTransaction))
            case "quic": return .init(name: name, shape: .datagram(quicInitial, echo: .quicConnectionID))
            default: return nil
            }
        }
    }

    /// The variant sent when none is named: a SYN with MSS, an echo, and for UDP what the
    /// port's service answers (DNS on 53, STUN on 3478 and 19302, QUIC on 443), else an empty datagram.
    public static func defaultName(_ kind: SweepProtocol, port: UInt16) -> String {
        switch kind {
        case .tcp: return "mss"
        case .icmp: return "echo"
        case .udp: return port == 53 ? "dns" : port == 3478 || port == 19302 ? "stun" : port == 443 ? "quic" : "empty"
        }
    }

    /// A recursive query for the root's NS records: any resolver or root server answers it.
    /// Its message ID (0 here) is the probe's hash.
    static let dnsQuery: [UInt8] = {
        var query = DNSMessage(id: 0, questions: [DNSQuestion(name: .root, type: 2)])
        query.recursionDesired = true
        return query.encoded()
    }()

    /// A Binding Request without attributes (RFC 8489); the first four bytes of its
    /// transaction ID (zeros here) are the probe's hash.
    static let stunRequest: [UInt8] = STUNMessage(type: STUNMessage.bindingRequest, transactionID: [0, 0, 0, 0] + Array("sweep!!!".utf8)).encoded()

    /// A QUIC client's first datagram (1200 bytes) offering a reserved version, as `probe quic`
    /// sends: any QUIC server answers with Version Negotiation (RFC 9000 §6), without a
    /// handshake. The first four bytes of its 8-byte destination connection ID (zeros here)
    /// are the probe's hash; the answer returns them as its source connection ID.
    static let quicInitial: [UInt8] = {
        var random = SplitMix64(seed: 0x5357_4545_5051_5549)
        let bytes = { (n: Int) in (0..<n).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        let dcid = [0, 0, 0, 0] + bytes(4)
        // A fixed, valid payload: the encoder cannot fail on these lengths.
        return (try? QUICInitial.encode(version: QUICVersion.reserved(0x5357), destinationConnectionID: dcid, sourceConnectionID: bytes(8),
                                        size: QUICInitial.minimumDatagramSize, filler: bytes(QUICInitial.minimumDatagramSize))) ?? []
    }()
}
