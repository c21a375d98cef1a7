import JSONSupport
import Packets
import ProbeSession
import Probing

/// The JSON of payloads and their observations, as `probe payload --json` prints them and
/// the investigation's `test`, `control` and `payload_sweep` carry them.
public enum PayloadJSON {
    public static func payload(_ p: PayloadTrace.Payload) -> JSONValue {
        switch p {
        case .http(let h): return .object([("kind", "http"), ("host", .string(h))])
        case .tls(let s): return .object([("kind", "tls"), ("sni", .string(s))])
        case .raw(let b): return .object([("kind", "raw"), ("hex", .string(Hex.encode(b)))])
        }
    }

    public static func steps(_ steps: [PayloadStep]) -> JSONValue {
        .array(steps.map { step in
            .object([("ttl", .number(step.ttl)), ("test", observation(step.test)), ("control", observation(step.control))])
        })
    }

    public static func observation(_ o: PayloadObservation) -> JSONValue {
        .object([
            ("outcome", .string(o.outcome.rawValue)),
            ("from", .optional(o.from?.description)),
            ("rtt_ms", o.rttMilliseconds.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
            ("fingerprint", o.fingerprint.map(fingerprint) ?? .null),
            ("quote_diff", .array(o.quoteDifferences.map {
                .object([("field", .string($0.field)), ("sent", .string($0.sent)), ("quoted", .string($0.quoted))])
            })),
            ("first_line", .optional(o.firstBytes)),
            ("response_bytes", .number(o.responseBytes)),
            ("in_window", .optional(o.inWindow)),
            ("time_exceeded_from", .optional(o.timeExceededFrom?.description)),
            ("socket_error", .optional(o.socketError)),
        ])
    }

    public static func fingerprint(_ f: Fingerprint) -> JSONValue {
        .object([
            ("ttl", .number(f.ttl)),
            ("ip_id", .optional(f.ipID)),
            ("df", .bool(f.dontFragment)),
            ("tos", .number(f.tos)),
            ("length", .number(f.length)),
            ("window", .optional(f.window)),
            ("flags", .optional(f.flags?.letters)),
            ("seq", .optional(f.sequenceNumber)),
            ("ack", .optional(f.acknowledgmentNumber)),
            ("icmp_type", .optional(f.icmpType)),
            ("icmp_code", .optional(f.icmpCode)),
        ])
    }
}
