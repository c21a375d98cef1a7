import JSONSupport
import Packets
#if canImport(Glibc)
import Glibc
#endif

/// The JSON object logged for one decision (one line of `--log`); fields in Docs/censor.md.
public enum DecisionRecord {
    /// `loggedAt`: wall-clock seconds since the epoch, for the reader; `decidedAt`: the
    /// engine's (monotonic) time of the decision, against which a delay is measured.
    public static func json(_ d: CensorDecision, packet: IPPacket, direction: PacketDirection, loggedAt time: Double,
                            decidedAt now: Double) -> JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("time", .double((time * 1e6).rounded() / 1e6)),
            ("event", .string("decision")),
            ("rule", d.rule.map(JSONValue.string) ?? .null),
            ("action", d.action.map { .string($0.rawValue) } ?? .null),
        ]
        switch d.verdict {
        case .accept: fields.append(("verdict", .string("accept")))
        case .drop: fields.append(("verdict", .string("drop")))
        case .delay(let until):
            fields.append(("verdict", .string("delay")))
            fields.append(("delay_ms", .double(((until - now) * 1e6).rounded() / 1e3)))
        }
        fields.append(("trigger", d.trigger.map(JSONValue.string) ?? .null))
        fields.append(("direction", .string(direction.rawValue)))
        fields.append(("packet", summary(packet)))
        fields.append(("forged", .array(d.forged.map(forged))))
        if !d.duplicates.isEmpty {
            fields.append(("duplicates_ms", .array(d.duplicates.map { .double((($0 - now) * 1e6).rounded() / 1e3) })))
        }
        return .object(fields)
    }

    static func summary(_ p: IPPacket) -> JSONValue {
        var f: [(key: String, value: JSONValue)] = [("src", .string(p.source.description)), ("dst", .string(p.destination.description))]
        switch p.header {
        case .v4(let h):
            f += [("ttl", .int(Int64(h.ttl))), ("ip_id", .int(Int64(h.identification))), ("df", .bool(h.dontFragment)),
                  ("length", .int(Int64(h.totalLength)))]
        case .v6(let h):
            f += [("ttl", .int(Int64(h.hopLimit))), ("length", .int(Int64(40 + Int(h.payloadLength))))]
        }
        switch p.transport {
        case .tcp(let t):
            f += [("proto", .string("tcp")), ("sport", .int(Int64(t.sourcePort))), ("dport", .int(Int64(t.destinationPort))),
                  ("flags", .string(t.flags.letters)), ("seq", .int(Int64(t.sequenceNumber))),
                  ("ack", .int(Int64(t.acknowledgmentNumber))), ("window", .int(Int64(t.window))),
                  ("options", .array(t.options.map { .string($0.name) })), ("payload_len", .int(Int64(t.payload.count)))]
        case .udp(let u):
            f += [("proto", .string("udp")), ("sport", .int(Int64(u.sourcePort))), ("dport", .int(Int64(u.destinationPort))),
                  ("payload_len", .int(Int64(u.payload.count)))]
        case .icmp(let i):
            f += [("proto", .string("icmp")), ("type", .int(Int64(i.type))), ("code", .int(Int64(i.code)))]
        default:
            f += [("proto", .int(Int64(p.header.upperLayerProtocol)))]
        }
        return .object(f)
    }

    static func forged(_ p: ForgedPacket) -> JSONValue {
        .object([
            ("to", .string(p.to.rawValue)), ("src", .string(p.source.description)), ("dst", .string(p.destination.description)),
            ("flags", .string(p.flags.letters)), ("seq", .int(Int64(p.sequenceNumber))),
            ("ack", .int(Int64(p.acknowledgmentNumber))), ("ttl", .int(Int64(p.ttl))),
            ("ip_id", p.ipID.map { .int(Int64($0)) } ?? .null), ("df", .bool(p.dontFragment)),
            ("window", .int(Int64(p.window))), ("payload_len", .int(Int64(p.payloadLength))),
        ])
    }
}

/// Appends JSON lines to a file (or standard output), one write(2) per line so that
/// a reader tailing the file never sees half a line.
final class LogWriter {
    private let fd: Int32
    private let owned: Bool

    init(path: String?) throws(CensorDaemonError) {
        guard let path else { fd = 1; owned = false; return }
        let f = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard f >= 0 else { throw .log(path: path, errno: errno) }
        fd = f
        owned = true
    }

    deinit { if owned { close(fd) } }

    func write(_ value: JSONValue) {
        let line = Array((value.serialized() + "\n").utf8)
        _ = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    /// A non-decision event (`ready`, `stop`, `warning`, `send-error`, `disturb-summary`).
    func event(_ name: String, time: Double, _ extra: [(key: String, value: JSONValue)] = []) {
        write(.object([("time", .double((time * 1e6).rounded() / 1e6)), ("event", .string(name))] + extra))
    }
}
