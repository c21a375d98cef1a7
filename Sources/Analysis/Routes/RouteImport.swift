import JSONSupport
import Packets

/// Reads a traced path from the output of censorscope, RIPE Atlas, scamper, mtr or
/// traceroute, the format told from the content. Never traps on hostile input: a file
/// that is not a path is a `RouteImportError` naming it.
public enum RouteImport {
    /// Reads a path from a file's bytes. `name` names the file in errors. `format` forces a
    /// format instead of detecting it. `direction` picks one half of a `trace --both`
    /// result (required for such a file). `index` picks the result (0-based) of a file
    /// holding several; the first by default.
    public static func parse(_ bytes: [UInt8], name: String, format: RouteFormat? = nil,
                             direction: RouteDirection? = nil, index: Int? = nil) throws(RouteImportError) -> RoutePath {
        var body = bytes
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body.removeFirst(3) }
        guard let first = body.first(where: { !isWhitespace($0) }) else {
            throw RouteImportError("\(name) is empty, so it holds no path.")
        }
        if body.count >= 2, body[0] == 0x1F, body[1] == 0x8B {
            throw RouteImportError("\(name) is gzip-compressed; decompress it first (gunzip).")
        }
        if let index, index < 0 { throw RouteImportError("--index must be 0 or more, not \(index).") }
        let looksLikeJSON = first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        var path: RoutePath
        if looksLikeJSON, format != .traceroute {
            path = try parseJSON(body, name: name, format: format, direction: direction, index: index)
        } else {
            if let format, format != .traceroute {
                throw RouteImportError("\(name) is not JSON, so it is not \(describe(format)).")
            }
            path = try TracerouteText.parse(String(decoding: body, as: UTF8.self), name: name, index: index)
        }
        guard !path.hops.isEmpty else {
            throw RouteImportError("\(name) holds a traceroute with no hops, so there is no path to compare.")
        }
        return path
    }

    /// Reads a path from text (tests, or input already decoded).
    public static func parse(_ text: String, name: String, format: RouteFormat? = nil,
                             direction: RouteDirection? = nil, index: Int? = nil) throws(RouteImportError) -> RoutePath {
        try parse(Array(text.utf8), name: name, format: format, direction: direction, index: index)
    }

    /// Whether the bytes hold a `trace --both` result (at `index`, default the first), whose
    /// two halves can be compared without a second file.
    public static func holdsBothDirections(_ bytes: [UInt8], index: Int? = nil) -> Bool {
        guard let values = try? JSONParser.parseDocuments(bytes: bytes) else { return false }
        let censorscope = values.filter { kind(of: $0)?.format == .censorscope }
        let chosen = index ?? 0
        return chosen >= 0 && chosen < censorscope.count && kind(of: censorscope[chosen]) == .censorscopeBoth
    }

    /// What a format's output is called in sentences.
    static func describe(_ format: RouteFormat) -> String {
        switch format {
        case .censorscope: return "censorscope trace or investigate --json output"
        case .atlas: return "a RIPE Atlas traceroute result"
        case .scamper: return "scamper JSON (sc_warts2json)"
        case .mtr: return "mtr --json output"
        case .traceroute: return "traceroute text"
        }
    }

    // MARK: - JSON

    /// What one JSON value in a file is.
    enum Kind: Equatable {
        case censorscopeTrace, censorscopeBoth, investigation, atlas, scamperTrace, scamperOther, mtr

        var format: RouteFormat {
            switch self {
            case .censorscopeTrace, .censorscopeBoth, .investigation: return .censorscope
            case .atlas: return .atlas
            case .scamperTrace, .scamperOther: return .scamper
            case .mtr: return .mtr
            }
        }
    }

    static func kind(of value: JSONValue) -> Kind? {
        guard case .object = value else { return nil }
        let type = RouteJSON.string(value["type"])
        if let report = value["report"], RouteJSON.array(report["hubs"]) != nil { return .mtr }
        if RouteJSON.array(value["hubs"]) != nil, value["mtr"] != nil { return .mtr }
        if type == "trace" { return .scamperTrace }
        if value["fw"] != nil {
            // Atlas ping, DNS… results share the envelope; only traceroutes are paths.
            return (type == nil || type == "traceroute") && value["result"] != nil ? .atlas : nil
        }
        if type == "traceroute", value["result"] != nil { return .atlas }
        if value["forward"]?["hops"] != nil || value["reverse"]?["hops"] != nil { return .censorscopeBoth }
        if RouteJSON.string(value["schema"])?.hasPrefix("censorscope.investigation") == true
            || (value["verdict"] != nil && value["path"] != nil) { return .investigation }
        if RouteJSON.array(value["hops"]) != nil, type == nil { return .censorscopeTrace }
        // scamper writes cycle-start/cycle-stop/list records (and other measurements) between traces.
        if let type, scamperRecordTypes.contains(type) { return .scamperOther }
        return nil
    }

    /// The record types scamper writes besides traces (sc_warts2json output).
    static let scamperRecordTypes: Set<String> = [
        "cycle-start", "cycle-stop", "cycle-def", "list", "ping", "tracelb", "dealias", "neighbourdisc",
        "tbit", "sting", "sniff", "host", "http", "udpprobe", "owamp",
    ]

    static func parseJSON(_ bytes: [UInt8], name: String, format: RouteFormat?, direction: RouteDirection?,
                          index: Int?) throws(RouteImportError) -> RoutePath {
        let values: [JSONValue]
        do { values = try JSONParser.parseDocuments(bytes: bytes) } catch {
            throw RouteImportError("\(name) is not valid JSON (\(error.description)).")
        }
        let kinds = values.map { (value: $0, kind: kind(of: $0)) }
        guard let detected = format ?? kinds.first(where: { $0.kind != nil && $0.kind != .scamperOther })?.kind?.format else {
            if kinds.contains(where: { $0.kind == .scamperOther }) {
                throw RouteImportError("\(name) holds scamper records but no trace (\"type\":\"trace\") among them.")
            }
            throw RouteImportError("\(name) holds JSON, but not a traceroute CensorScope reads: expected censorscope trace or investigate --json, a RIPE Atlas traceroute result, scamper JSON or mtr --json output.")
        }
        let candidates = kinds.filter { $0.kind?.format == detected && $0.kind != .scamperOther }
        guard !candidates.isEmpty else {
            throw RouteImportError("\(name) does not hold \(describe(detected)).")
        }
        let chosen = index ?? 0
        guard chosen < candidates.count else {
            let noun = candidates.count == 1 ? "result" : "results"
            throw RouteImportError("\(name) holds \(candidates.count) traceroute \(noun), so --index \(chosen) is out of range (0 to \(candidates.count - 1)).")
        }
        var notes: [String] = []
        if candidates.count > 1, index == nil {
            notes.append("\(name) holds \(candidates.count) traceroute results; the first is used (choose another with --index).")
        }
        let pick = candidates[chosen]
        var path: RoutePath
        switch pick.kind {
        case .mtr: path = try RouteJSONFormats.mtr(pick.value, name: name)
        case .scamperTrace: path = try RouteJSONFormats.scamper(pick.value, name: name)
        case .atlas: path = try RouteJSONFormats.atlas(pick.value, name: name)
        case .investigation: path = try RouteJSONFormats.investigation(pick.value, name: name)
        case .censorscopeTrace: path = try RouteJSONFormats.censorscopeTrace(pick.value, name: name)
        case .censorscopeBoth:
            guard let direction else {
                throw RouteImportError("\(name) holds both directions of a trace --both run; choose one with --direction forward or --direction reverse.")
            }
            guard let half = pick.value[direction.rawValue], half["hops"] != nil else {
                throw RouteImportError("\(name) holds a trace --both result without its \(direction.rawValue) trace.")
            }
            path = try RouteJSONFormats.censorscopeTrace(half, name: "\(name) (\(direction.rawValue))")
        case .scamperOther, nil:
            throw RouteImportError("\(name) does not hold \(describe(detected)).")
        }
        path.notes = notes + path.notes
        return path
    }

    static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
}

/// Lenient reads of untrusted JSON fields: the wrong type reads as absent.
enum RouteJSON {
    static func string(_ value: JSONValue?) -> String? {
        if case .string(let s)? = value { return s }
        return nil
    }

    /// An integer from a JSON integer, an integral double, or a decimal string (mtr
    /// 0.9x writes `"count": "3"`).
    static func int(_ value: JSONValue?) -> Int? {
        switch value {
        case .int(let i)?: return Int(exactly: i)
        case .double(let d)?: return d.isFinite && d == d.rounded() && abs(d) < 1e15 ? Int(d) : nil
        case .string(let s)?: return s.count <= 18 ? Int(s) : nil
        default: return nil
        }
    }

    /// A finite number, also from a numeric string.
    static func double(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d.isFinite ? d : nil
        case .string(let s)?: return s.count <= 32 ? Double(s).flatMap { $0.isFinite ? $0 : nil } : nil
        default: return nil
        }
    }

    static func array(_ value: JSONValue?) -> [JSONValue]? {
        if case .array(let items)? = value { return items }
        return nil
    }

    static func address(_ value: JSONValue?) -> IPAddress? {
        guard let text = string(value), text.utf8.count <= 64 else { return nil }
        return IPAddress(text)
    }
}
