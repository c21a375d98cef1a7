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
        case .udp: return ["empty", "dns", "stun"]
        }
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
            case "dns": return .init(name: name, shape: .datagram(dnsQuery))
            case "stun": return .init(name: name, shape: .datagram(stunRequest))
            default: return nil
            }
        }
    }

    /// The variant sent when none is named: a SYN with MSS, an echo, and for UDP what the
    /// port's service answers (DNS on 53, STUN on 3478 and 19302), else an empty datagram.
    public static func defaultName(_ kind: SweepProtocol, port: UInt16) -> String {
        switch kind {
        case .tcp: return "mss"
        case .icmp: return "echo"
        case .udp: return port == 53 ? "dns" : port == 3478 || port == 19302 ? "stun" : "empty"
        }
    }

    /// A recursive query for the root's NS records: any resolver or root server answers it.
    static let dnsQuery: [UInt8] = {
        var query = DNSMessage(id: 0x4353, questions: [DNSQuestion(name: .root, type: 2)])
        query.recursionDesired = true
        return query.encoded()
    }()

    /// A Binding Request without attributes (RFC 8489), one transaction ID for every probe:
    /// the reply is matched on the source port.
    static let stunRequest: [UInt8] = STUNMessage(type: STUNMessage.bindingRequest, transactionID: Array("censorscope!".utf8)).encoded()
}
