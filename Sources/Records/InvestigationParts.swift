import JSONSupport

// The parts of an investigation record (Docs/verdicts.md), each encoded and decoded here.
extension InvestigationRecord {
    /// What the censor keys on, and which probes showed it.
    public struct Trigger: Sendable, Equatable {
        public var kind: String?
        public var detail: String?
        public var blocked: [String]
        public var passed: [String]
        public var dimensions: [String]

        public init(kind: String?, detail: String?, blocked: [String], passed: [String], dimensions: [String] = []) {
            self.kind = kind
            self.detail = detail
            self.blocked = blocked
            self.passed = passed
            self.dimensions = dimensions
        }

        public var json: JSONValue {
            .object([("kind", .optional(kind)), ("detail", .optional(detail)), ("blocked", .strings(blocked)),
                     ("passed", .strings(passed)), ("dimensions", .strings(dimensions))])
        }

        init(json: JSONValue) {
            self.init(kind: json.string("kind"), detail: json.string("detail"), blocked: json.strings("blocked"),
                      passed: json.strings("passed"), dimensions: json.strings("dimensions"))
        }
    }

    /// One SYN variant's outcome (`syn_variants`, `other_port`).
    public struct SYNVariant: Sendable, Equatable {
        public var variant: String?
        public var size: Int?
        public var port: Int?
        public var padded: Bool?
        public var options: [String]
        public var result: String?
        public var injected: Bool?
        public var blocked: Bool?
        /// The first answer's fingerprint, in the SYN-response form.
        public var response: FingerprintRecord?
        public var rttMilliseconds: Double?

        public init(variant: String?, size: Int?, port: Int?, padded: Bool?, options: [String], result: String?,
                    injected: Bool?, blocked: Bool?, response: FingerprintRecord?, rttMilliseconds: Double?) {
            self.variant = variant
            self.size = size
            self.port = port
            self.padded = padded
            self.options = options
            self.result = result
            self.injected = injected
            self.blocked = blocked
            self.response = response
            self.rttMilliseconds = rttMilliseconds
        }

        public var json: JSONValue {
            .object([
                ("variant", .optional(variant)), ("size", .integer(size)), ("port", .integer(port)), ("padded", .optional(padded)),
                ("options", .strings(options)), ("result", .optional(result)), ("injected", .optional(injected)),
                ("blocked", .optional(blocked)), ("response", response?.as(.synResponse).json ?? .null),
                ("rtt_ms", .real(rttMilliseconds)),
            ])
        }

        init(json: JSONValue) {
            self.init(variant: json.string("variant"), size: json.int("size"), port: json.int("port"), padded: json.bool("padded"),
                      options: json.strings("options"), result: json.string("result"), injected: json.bool("injected"),
                      blocked: json.bool("blocked"), response: FingerprintRecord.optional(json["response"], form: .synResponse),
                      rttMilliseconds: json.double("rtt_ms"))
        }
    }

    /// Where on the path the censor sits.
    public struct Location: Sendable, Equatable {
        public var ttl: Int?
        public var address: String?
        public var before: String?
        public var onPath: Bool?
        public var confidence: String?
        public var reason: String?

        public init(ttl: Int?, address: String?, before: String?, onPath: Bool?, confidence: String?, reason: String?) {
            self.ttl = ttl
            self.address = address
            self.before = before
            self.onPath = onPath
            self.confidence = confidence
            self.reason = reason
        }

        public var json: JSONValue {
            .object([("ttl", .integer(ttl)), ("address", .optional(address)), ("before", .optional(before)),
                     ("on_path", .optional(onPath)), ("confidence", .optional(confidence)), ("reason", .optional(reason))])
        }

        init(json: JSONValue) {
            self.init(ttl: json.int("ttl"), address: json.string("address"), before: json.string("before"),
                      onPath: json.bool("on_path"), confidence: json.string("confidence"), reason: json.string("reason"))
        }
    }

    /// The fingerprint of the forged packets.
    public struct Injector: Sendable, Equatable {
        public var ttl: Int?
        public var ipID: Int?
        public var df: Bool?
        public var window: Int?
        public var flags: String?
        public var copies: Int?
        public var ttlCopiesProbe: Bool?
        public var reasons: [String]

        public init(ttl: Int?, ipID: Int?, df: Bool?, window: Int?, flags: String?, copies: Int?, ttlCopiesProbe: Bool?, reasons: [String]) {
            self.ttl = ttl
            self.ipID = ipID
            self.df = df
            self.window = window
            self.flags = flags
            self.copies = copies
            self.ttlCopiesProbe = ttlCopiesProbe
            self.reasons = reasons
        }

        public var json: JSONValue {
            .object([("ttl", .integer(ttl)), ("ip_id", .integer(ipID)), ("df", .optional(df)), ("window", .integer(window)),
                     ("flags", .optional(flags)), ("copies", .integer(copies)), ("ttl_copies_probe", .optional(ttlCopiesProbe)),
                     ("reasons", .strings(reasons))])
        }

        init(json: JSONValue) {
            self.init(ttl: json.int("ttl"), ipID: json.int("ip_id"), df: json.bool("df"), window: json.int("window"),
                      flags: json.string("flags"), copies: json.int("copies"), ttlCopiesProbe: json.bool("ttl_copies_probe"),
                      reasons: json.strings("reasons"))
        }
    }

    /// The host's own packets: their TTL and what showed it.
    public struct Genuine: Sendable, Equatable {
        public var ttl: Int?
        public var source: String?

        public init(ttl: Int?, source: String?) {
            self.ttl = ttl
            self.source = source
        }

        public var json: JSONValue { .object([("ttl", .integer(ttl)), ("source", .optional(source))]) }
    }

    /// One answer a probe drew, forged or genuine.
    public struct ObservedAnswer: Sendable, Equatable {
        public var probe: String?
        public var from: String?
        public var ttl: Int?
        public var kind: String?
        public var forged: Bool?

        public init(probe: String?, from: String?, ttl: Int?, kind: String?, forged: Bool?) {
            self.probe = probe
            self.from = from
            self.ttl = ttl
            self.kind = kind
            self.forged = forged
        }

        public var json: JSONValue {
            .object([("probe", .optional(probe)), ("from", .optional(from)), ("ttl", .integer(ttl)), ("kind", .optional(kind)),
                     ("forged", .optional(forged))])
        }

        init(json: JSONValue) {
            self.init(probe: json.string("probe"), from: json.string("from"), ttl: json.int("ttl"), kind: json.string("kind"),
                      forged: json.bool("forged"))
        }
    }

    /// A claim and the 1-based frame numbers in the evidence file that prove it.
    public struct EvidenceClaim: Sendable, Equatable {
        public var claim: String
        public var packets: [Int]

        public init(claim: String, packets: [Int]) {
            self.claim = claim
            self.packets = packets
        }

        public var json: JSONValue { .object([("claim", .string(claim)), ("packets", .ints(packets))]) }
    }

    /// Where the measurement was made from: `name` (a campaign's vantage, absent otherwise),
    /// `address`, `asn`, `cc`.
    public struct Vantage: Sendable, Equatable {
        public var name: String?
        public var address: String?
        public var asn: Int?
        public var cc: String?

        public init(address: String?, asn: Int? = nil, cc: String? = nil, name: String? = nil) {
            self.name = name
            self.address = address
            self.asn = asn
            self.cc = cc
        }

        public var json: JSONValue {
            let fields: [(key: String, value: JSONValue)] = [("address", .optional(address)), ("asn", .integer(asn)), ("cc", .optional(cc))]
            return .object(name.map { [("name", .string($0))] + fields } ?? fields)
        }
    }

    /// How the item was measured: its transport, its name, the experiment script that
    /// measured it and the seed of the probes' identifiers (`investigate` and campaigns).
    public struct RunKeys: Sendable, Equatable {
        public var transport: String?
        public var name: String?
        public var script: String?
        /// Absent from results written before the engine recorded it.
        public var seed: Int?
        /// Packets the capture dropped in the runs kept (`capture_dropped`), and runs measured
        /// again after drops, failed sends or a path slower than its wait assumed
        /// (`remeasured`): written only when not zero.
        public var captureDropped: Int?
        public var remeasured: Int?

        public init(transport: String?, name: String?, script: String?, seed: Int? = nil, captureDropped: Int? = nil, remeasured: Int? = nil) {
            self.transport = transport
            self.name = name
            self.script = script
            self.seed = seed
            self.captureDropped = captureDropped.flatMap { $0 > 0 ? $0 : nil }
            self.remeasured = remeasured.flatMap { $0 > 0 ? $0 : nil }
        }

        var fields: [(key: String, value: JSONValue)] {
            var fields: [(key: String, value: JSONValue)] = [
                ("transport", .optional(transport)), ("name", .optional(name)), ("script", .optional(script)),
            ]
            if let seed { fields.append(("seed", .integer(seed))) }
            if let captureDropped { fields.append(("capture_dropped", .integer(captureDropped))) }
            if let remeasured { fields.append(("remeasured", .integer(remeasured))) }
            return fields
        }

        static func optional(_ json: JSONValue) -> RunKeys? {
            guard json.has("transport") || json.has("script") || json.has("seed") else { return nil }
            return RunKeys(transport: json.string("transport"), name: json.string("name"), script: json.string("script"),
                           seed: json.int("seed"), captureDropped: json.int("capture_dropped"), remeasured: json.int("remeasured"))
        }
    }

    /// The payload sweep: absent (none was asked for), not run (null), or its steps.
    public enum PayloadSweep: Sendable, Equatable {
        case absent
        case notRun
        case steps([PayloadStepRecord])

        public var steps: [PayloadStepRecord]? {
            if case .steps(let s) = self { return s }
            return nil
        }
    }
}
