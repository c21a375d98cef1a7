import JSONSupport
import Packets

// The JSON forms of probe results (Docs/data-formats.md, "Probe results"). Shared by
// `probe`, `trace` and, later, campaign reports, so a field has one name everywhere.

extension Fingerprint {
    public var json: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("src", .string(source.description)),
            ("ttl", .number(ttl)),
            ("ip_id", .optional(ipID)),
            ("df", .bool(dontFragment)),
            ("tos", .number(tos)),
            ("length", .number(length)),
        ]
        if let flags {
            fields += [
                ("flags", .string(flags.letters)),
                ("window", .optional(window)),
                ("seq", .optional(sequenceNumber)),
                ("ack", .optional(acknowledgmentNumber)),
                ("options", .array((options ?? []).map { .string($0) })),
                ("payload_len", .optional(payloadLength)),
            ]
        }
        if let icmpType {
            fields += [("icmp_type", .number(icmpType)), ("icmp_code", .optional(icmpCode))]
        }
        return .object(fields)
    }
}

extension QuoteDifference {
    public var json: JSONValue { ["field": .string(field), "sent": .string(sent), "quoted": .string(quoted)] }
}

extension Answer {
    /// One answer; `injection` is added by callers that assessed it.
    public func json(injection: InjectionAssessment? = nil) -> JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("probe", .number(probeIndex)),
            ("kind", .string(kind.rawValue)),
            ("from", .string(fingerprint.source.description)),
            ("rtt_ms", rttMilliseconds.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
            ("match", .string(basis.rawValue)),
            ("duplicates", .number(duplicates)),
            ("fingerprint", fingerprint.json),
        ]
        if let quotedTTL {
            fields.append(("quoted_ttl", .number(quotedTTL)))
            fields.append(("quote_diff", .array(quoteDifferences.map(\.json))))
        }
        if let injection {
            fields.append(("injected", .bool(injection.injected)))
            fields.append(("injection_reasons", .array(injection.reasons.map { .string($0) })))
        }
        return .object(fields)
    }
}

extension HopResponse {
    public var json: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("address", .string(address.description)),
            ("kind", .string(kind.rawValue)),
            ("rtt_ms", rttMilliseconds.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
            ("probe", .number(probeIndex)),
            ("fingerprint", fingerprint.json),
            ("quote_diff", .array(quoteDifferences.map(\.json))),
        ]
        if !mplsLabels.isEmpty { fields.append(("mpls", .array(mplsLabels.map { .number($0) }))) }
        return .object(fields)
    }
}

extension TraceHop {
    public var json: JSONValue {
        let first = responses.first
        return [
            "ttl": .number(ttl),
            "address": .optional(address?.description),
            "rtt_ms": first?.rttMilliseconds.map { .double(($0 * 1000).rounded() / 1000) } ?? .null,
            "kind": .string(first?.kind.rawValue ?? "silent"),
            "responses": .array(responses.map(\.json)),
        ]
    }
}

extension Trace {
    /// The trace object of `trace --json` (without the run's metadata, which callers add).
    public var hopsJSON: [(key: String, value: JSONValue)] {
        [
            ("hops", .array(hops.map(\.json))),
            ("reached", .bool(reached)),
            ("destination_ttl", .optional(destinationTTL)),
            ("stop_reason", .string(stopReason)),
        ]
    }
}
