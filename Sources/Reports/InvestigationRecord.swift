import JSONSupport

/// A report's failure, as one sentence for the person who asked for the report.
public struct ReportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One `censorscope.investigation/1` object, read leniently: every field but `target` and
/// `verdict` may be missing or of the wrong type, and then reads as absent.
public struct InvestigationRecord: Sendable {
    /// The object exactly as read, for formats that pass it through (json, ooni).
    public let raw: JSONValue
    public let target: String
    public let port: Int?
    public let verdict: String
    public let blocked: Bool?
    public let summary: String?
    public let test: Request?
    public let control: Request?
    public let trigger: Trigger?
    public let synVariants: [SYNVariant]
    public let location: Location?
    public let injector: Injector?
    public let genuineTTL: Int?
    public let genuineSource: String?
    /// The control (passing) path, hop by hop.
    public let path: [Hop]
    /// The path as the blocked probes see it.
    public let testPath: [Hop]?
    public let answers: [ObservedAnswer]
    public let evidence: [EvidenceClaim]
    public let evidenceFile: String?
    public let measurementStartTime: String?
    public let runtimeSeconds: Double?
    public let vantageASN: String?
    public let vantageCC: String?
    public let softwareName: String?
    public let softwareVersion: String?

    /// The test or control request: what was sent on the connection, if anything.
    public struct Request: Sendable, Equatable {
        public let kind: String?
        /// The HTTP Host or the TLS SNI.
        public let name: String?
        public var text: String { [kind, name].compactMap { $0 }.joined(separator: " ") }
    }

    /// What the censor keys on, and which probes showed it.
    public struct Trigger: Sendable, Equatable {
        public let kind: String?
        public let detail: String?
        public let blocked: [String]
        public let passed: [String]
    }

    /// One SYN variant's outcome.
    public struct SYNVariant: Sendable, Equatable {
        public let variant: String?
        public let size: Int?
        public let result: String?
        public let injected: Bool?
        public let responseTTL: Int?
        public let responseIPID: Int?
        public let responseFlags: String?
        public let rttMilliseconds: Double?
    }

    /// Where on the path the censor sits.
    public struct Location: Sendable, Equatable {
        public let ttl: Int?
        public let address: String?
        public let before: String?
        public let onPath: Bool?
        public let confidence: String?
        public let reason: String?
    }

    /// The fingerprint of the forged packets.
    public struct Injector: Sendable, Equatable {
        public let ttl: Int?
        public let ipID: Int?
        public let df: Bool?
        public let window: Int?
        public let flags: String?
        public let copies: Int?
        public let reasons: [String]
    }

    /// One hop of a path; a silent hop has no address.
    public struct Hop: Sendable, Equatable {
        public let ttl: Int?
        public let address: String?
        public let rttMilliseconds: Double?
        public let kind: String?
        public let asn: String?
        public let asName: String?
    }

    /// One answer a probe drew, forged or genuine.
    public struct ObservedAnswer: Sendable, Equatable {
        public let probe: String?
        public let from: String?
        public let ttl: Int?
        public let kind: String?
        public let forged: Bool?
    }

    /// A claim and the 1-based frame numbers in the evidence file that prove it.
    public struct EvidenceClaim: Sendable, Equatable {
        public let claim: String
        public let packets: [Int]
    }

    /// Reads one object; `position` names it in errors ("result 3").
    public init(json: JSONValue, position: Int = 1) throws(ReportError) {
        guard json.isObject else { throw ReportError("result \(position) is not a JSON object") }
        guard let target = json.string("target"), !target.isEmpty else {
            throw ReportError("result \(position) has no \"target\" string, so it is not an investigation")
        }
        guard let verdict = json.string("verdict"), !verdict.isEmpty else {
            throw ReportError("result \(position) has no \"verdict\" string, so it is not an investigation")
        }
        raw = json
        self.target = target
        self.verdict = verdict
        port = json.int("port").flatMap { (0...65535).contains($0) ? $0 : nil }
        blocked = json.bool("blocked")
        summary = json.string("summary")
        test = json.object("test").map(InvestigationRecord.request)
        control = json.object("control").map(InvestigationRecord.request)
        trigger = json.object("trigger").map {
            Trigger(kind: $0.string("kind"), detail: $0.string("detail"),
                    blocked: $0.strings("blocked"), passed: $0.strings("passed"))
        }
        synVariants = json.objects("syn_variants").map { v in
            let response = v.object("response")
            return SYNVariant(variant: v.string("variant"), size: v.int("size"), result: v.string("result"),
                              injected: v.bool("injected"), responseTTL: response?.int("ttl"),
                              responseIPID: response?.int("ip_id"), responseFlags: response?.string("flags"),
                              rttMilliseconds: v.double("rtt_ms"))
        }
        location = json.object("location").map {
            Location(ttl: $0.int("ttl"), address: $0.string("address"), before: $0.string("before"),
                     onPath: $0.bool("on_path"), confidence: $0.string("confidence"), reason: $0.string("reason"))
        }
        injector = json.object("injector").map {
            Injector(ttl: $0.int("ttl"), ipID: $0.int("ip_id"), df: $0.bool("df"), window: $0.int("window"),
                     flags: $0.string("flags"), copies: $0.int("copies"), reasons: $0.strings("reasons"))
        }
        let genuine = json.object("genuine")
        genuineTTL = genuine?.int("ttl")
        genuineSource = genuine?.string("source")
        path = json.objects("path").map(InvestigationRecord.hop)
        testPath = json["test_path"]?.arrayValue.map { $0.filter(\.isObject).map(InvestigationRecord.hop) }
        answers = json.objects("answers").map {
            ObservedAnswer(probe: $0.string("probe"), from: $0.string("from"), ttl: $0.int("ttl"),
                           kind: $0.string("kind"), forged: $0.bool("forged"))
        }
        evidence = json.objects("evidence").compactMap { e in
            guard let claim = e.string("claim") else { return nil }
            let packets = (e["packets"]?.arrayValue ?? []).compactMap(\.intValue).filter { $0 >= 1 }
            return EvidenceClaim(claim: claim, packets: packets)
        }
        evidenceFile = json.string("evidence_file").flatMap { $0.isEmpty ? nil : $0 }
        measurementStartTime = json.string("measurement_start_time")
        runtimeSeconds = json.double("runtime_s")
        let vantage = json.object("vantage")
        vantageASN = vantage.flatMap { InvestigationRecord.asn($0["asn"]) }
        vantageCC = vantage?.string("cc")
        let software = json.object("software")
        softwareName = software?.string("name")
        softwareVersion = software?.string("version")
    }

    /// "host:port" (IPv6 in brackets), or the bare target when the port is unknown.
    public var endpoint: String {
        guard let port else { return target }
        return target.contains(":") ? "[\(target)]:\(port)" : "\(target):\(port)"
    }

    /// The path to draw and tabulate: the control path, else the test path.
    public var displayPath: [Hop] { path.isEmpty ? (testPath ?? []) : path }

    private static func request(_ json: JSONValue) -> Request {
        Request(kind: json.string("kind"), name: json.string("host") ?? json.string("sni"))
    }

    private static func hop(_ json: JSONValue) -> Hop {
        Hop(ttl: json.int("ttl"), address: json.string("address"), rttMilliseconds: json.double("rtt_ms"),
            kind: json.string("kind"), asn: asn(json["asn"]), asName: json.string("as_name"))
    }

    /// "AS1234" from 1234 or "AS1234"; nil for anything else.
    static func asn(_ value: JSONValue?) -> String? {
        if let n = value?.intValue, n >= 0, n <= Int(UInt32.max) { return "AS\(n)" }
        guard let s = value?.stringValue else { return nil }
        let digits = s.hasPrefix("AS") ? s.dropFirst(2) : Substring(s)
        guard let n = UInt32(digits) else { return nil }
        return "AS\(n)"
    }
}

/// Reads the RESULT input of `censorscope report`.
public enum InvestigationReader {
    /// Every investigation in a text holding one object, a JSON array of objects, or JSON
    /// Lines. `name` is used in errors.
    public static func read(bytes: [UInt8], name: String) throws(ReportError) -> [InvestigationRecord] {
        let documents: [JSONValue]
        do {
            documents = try JSONParser.parseDocuments(bytes: bytes)
        } catch {
            throw ReportError("\(name) is not JSON (\(error.description))")
        }
        guard !documents.isEmpty else { throw ReportError("\(name) holds no investigation result") }
        var investigations: [InvestigationRecord] = []
        for (i, document) in documents.enumerated() {
            investigations.append(try InvestigationRecord(json: document, position: i + 1))
        }
        return investigations
    }
}
