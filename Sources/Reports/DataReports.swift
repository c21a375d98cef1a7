import JSONSupport
import Records

/// The report formats of `censorscope report`.
public enum ReportFormat: String, Sendable, CaseIterable {
    case json, ooni, csv, md, html, pcapng

    /// Whether the format is text that can go to standard output.
    public var isText: Bool { self != .pcapng }
}

extension ReportFormat {
    /// Renders a text format; pcapng is written by `EvidenceCapture` instead.
    public func render(_ investigations: [InvestigationRecord]) throws(ReportError) -> String {
        switch self {
        case .json: return JSONReport.render(investigations)
        case .ooni: return OONIReport.render(investigations)
        case .csv: return CSVReport.render(investigations)
        case .md: return MarkdownReport.render(investigations)
        case .html: return HTMLReport.render(investigations)
        case .pcapng: throw ReportError("the pcapng format is binary: give --output FILE")
        }
    }
}

/// The objects as read (a record made here: as encoded), pretty-printed: the single object,
/// or an array of them.
public enum JSONReport {
    public static func render(_ investigations: [InvestigationRecord]) -> String {
        let objects = investigations.map(\.passThrough)
        let value: JSONValue = objects.count == 1 ? objects[0] : .array(objects)
        return value.prettySerialized() + "\n"
    }
}

/// OONI-style JSON Lines: one measurement per investigation in OONI's base data format
/// (ooni/spec data-formats/df-000-base.md), the investigation under `test_keys`.
public enum OONIReport {
    public static let testName = "censorscope_investigate"
    public static let dataFormatVersion = "0.2.0"

    public static func render(_ investigations: [InvestigationRecord]) -> String {
        let reportID = reportID(investigations)
        let start = testStartTime(investigations)
        var out = ""
        for investigation in investigations {
            out += measurement(investigation, reportID: reportID, testStartTime: start).serialized() + "\n"
        }
        return out
    }

    /// One measurement; every line of a report shares `reportID` and `testStartTime`.
    public static func measurement(_ inv: InvestigationRecord, reportID: String, testStartTime: String?) -> JSONValue {
        let start = inv.measurementStartTime.flatMap(normalisedTime)
        var annotations: [(key: String, value: JSONValue)] = [("engine_name", "censorscope")]
        if let schema = inv.schemaName { annotations.append(("censorscope_schema", .string(schema))) }
        if let kind = inv.test?.kind { annotations.append(("censorscope_test_kind", .string(kind))) }
        // The vantage holds the probe's own address: OONI redacts it, so it stays out of test_keys.
        var keys: [(key: String, value: JSONValue)] = []
        if case .object(let fields) = inv.passThrough {
            keys = fields.filter { !["schema", "vantage", "software", "measurement_start_time", "runtime_s"].contains($0.key) }
        }
        let fields: [(key: String, value: JSONValue)] = [
            ("annotations", .object(annotations)),
            ("data_format_version", .string(dataFormatVersion)),
            ("input", .string(inv.endpoint)),
            ("measurement_start_time", .optional(start)),
            ("probe_asn", .string(inv.vantageASN ?? "AS0")),
            ("probe_cc", .string(countryCode(inv.vantage?.cc) ?? "ZZ")),
            ("probe_ip", "127.0.0.1"),
            ("report_id", .string(reportID)),
            ("software_name", .string(inv.softwareName ?? "censorscope")),
            ("software_version", .string(inv.softwareVersion ?? "unknown")),
            ("test_keys", .object(keys)),
            ("test_name", .string(testName)),
            ("test_runtime", inv.runtimeSeconds.map { .double($0) } ?? .null),
            ("test_start_time", .optional(testStartTime ?? start)),
            ("test_version", .string(testVersion(inv.schemaName))),
        ]
        return .object(fields)
    }

    /// The earliest measurement start: when the report's test began.
    static func testStartTime(_ investigations: [InvestigationRecord]) -> String? {
        investigations.compactMap { $0.measurementStartTime.flatMap(normalisedTime) }.min()
    }

    /// OONI's shape, "20261121T100000Z_AS0_<hash>": the hash of the inputs makes the same
    /// results give the same id, and different results different ids.
    static func reportID(_ investigations: [InvestigationRecord]) -> String {
        let time = testStartTime(investigations) ?? "1970-01-01 00:00:00"
        let compact = time.filter { $0 != "-" && $0 != ":" }.replacingOccurrences(" ", with: "T")
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for inv in investigations {
            for byte in inv.passThrough.serialized().utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        let hex = String(hash, radix: 16)
        let asn = investigations.first?.vantageASN ?? "AS0"
        return "\(compact)Z_\(asn)_" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// "YYYY-MM-DD HH:MM:SS" from that form or ISO 8601 ("…T…Z", fractions dropped); nil otherwise.
    static func normalisedTime(_ text: String) -> String? {
        let chars = Array(text)
        guard chars.count >= 19 else { return nil }
        let digitPositions = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        guard digitPositions.allSatisfy({ chars[$0].isASCII && chars[$0].isNumber }),
              chars[4] == "-", chars[7] == "-", chars[10] == " " || chars[10] == "T",
              chars[13] == ":", chars[16] == ":" else { return nil }
        let rest = chars[19...]
        let restOK = rest.isEmpty || rest == ["Z"] || (rest.first == "." && rest.dropFirst().allSatisfy {
            $0.isASCII && ($0.isNumber || $0 == "Z")
        })
        guard restOK else { return nil }
        var out = chars[0..<19]
        out[10] = " "
        return String(out)
    }

    static func countryCode(_ cc: String?) -> String? {
        guard let cc, cc.count == 2, cc.allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        return cc.uppercased()
    }

    /// The schema's version ("censorscope.investigation/1" gives "1.0.0").
    static func testVersion(_ schema: String?) -> String {
        guard let schema, let slash = schema.lastIndex(of: "/"), let major = Int(schema[schema.index(after: slash)...]) else {
            return "1.0.0"
        }
        return "\(major).0.0"
    }
}

/// RFC 4180 CSV: one row per investigation, CRLF line ends, fields quoted when they hold
/// a comma, a quote, CR or LF.
public enum CSVReport {
    public static let columns = [
        "target", "port", "verdict", "blocked", "trigger", "location_ttl", "location_address", "location_before",
        "on_path", "injector_ttl", "injector_ip_id", "summary", "measurement_start_time",
    ]

    public static func render(_ investigations: [InvestigationRecord]) -> String {
        var out = columns.map(field).joined(separator: ",") + "\r\n"
        for inv in investigations {
            let row: [String?] = [
                inv.target, inv.port.map(String.init), inv.verdict, inv.blocked.map(String.init), inv.trigger?.kind,
                inv.location?.ttl.map(String.init), inv.location?.address, inv.location?.before,
                inv.location?.onPath.map(String.init), inv.injector?.ttl.map(String.init),
                inv.injector?.ipID.map(String.init), inv.summary, inv.measurementStartTime,
            ]
            out += row.map { field($0 ?? "") }.joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// One field, quoted (with quotes doubled) only when RFC 4180 requires it.
    public static func field(_ text: String) -> String {
        let needsQuotes = text.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences("\"", with: "\"\"") + "\""
    }
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation needed).
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
